// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_vhost_user.c - arbitrary bytes as vhost-user messages, then as rings
 *
 * Each input: a fresh connection over a socketpair, a real memory table (a
 * memfd whose first bytes are the input itself, so that rings placed there
 * hold fuzzer data), the input as the message stream, then kick eventfds
 * for both queues, a kick of the TX queue and one frame sent to the guest:
 * whatever rings the input set up are walked.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "passt.h"
#include "vhost_user.h"
#include "virtio.h"
#include "../tools/vu_fe.h"

#define FUZZ_MEM	(1 << 20)
#define FUZZ_UVA	0x10000000ULL

static struct ctx c;
static int memfd = -1;

/**
 * fuzz_serve() - let the back-end read everything, draining its replies
 * @fe:		front-end's end
 * @ref:	back-end's epoll reference
 */
static void fuzz_serve(int fe, union epoll_ref ref)
{
	static uint8_t buf[1 << 16];
	int i;

	for (i = 0; i < 4096 && vu_ready(&c); i++) {
		char b;

		vu_cmd_handler(&c, ref, EPOLLIN);
		while (recv(fe, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
		if (recv(ref.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * LLVMFuzzerTestOneInput() - one input: a whole front-end session
 * @data:	input
 * @size:	input length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_msg_mem t = { .nregions = 1 };
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_CMD };
	uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct iovec iov = { frame, sizeof(frame) };
	struct epoll_event ev[8];
	int sv[2], kick[2], q, n, i;
	struct fe fe = { .name = "fuzz" };
	uint8_t *mem;

	if (memfd < 0) {
		log_init("fuzz", true, NULL, LOG_LEVEL_ERR);
		c.epollfd = epoll_create1(0);
		vu_init(&c, NULL);
		memfd = memfd_create("fuzz guest", 0);
		if (ftruncate(memfd, FUZZ_MEM))
			return 0;
	}
	mem = mmap(NULL, FUZZ_MEM, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	memset(mem, 0, FUZZ_MEM);
	memcpy(mem, data, size < FUZZ_MEM ? size : FUZZ_MEM);
	munmap(mem, FUZZ_MEM);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	ref.fd = sv[0];
	fe.sock = sv[1];
	vu_connect(&c, sv[0], NULL, NULL);
	t.regions[0] = (struct vu_msg_region){ 0, FUZZ_MEM, FUZZ_UVA, 0 };
	fe_send_msg(&fe, VHOST_USER_SET_MEM_TABLE, 0, &t,
		    offsetof(struct vu_msg_mem, regions) + sizeof(t.regions[0]),
		    &memfd, 1);
	fuzz_serve(sv[1], ref);

	send(sv[1], data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
	fuzz_serve(sv[1], ref);

	for (q = 0; q < VU_QUEUES; q++) {
		uint64_t idx = (uint64_t)q;

		kick[q] = eventfd(1, EFD_NONBLOCK);
		fe_send_msg(&fe, VHOST_USER_SET_VRING_KICK, 0, &idx,
			    sizeof(idx), &kick[q], 1);
		fuzz_serve(sv[1], ref);
	}
	/* The kick eventfds start readable: dispatch them as the loop would */
	n = epoll_wait(c.epollfd, ev, 8, 0);
	for (i = 0; i < n && vu_ready(&c); i++) {
		union epoll_ref kref = { .u64 = ev[i].data.u64 };

		if (kref.type == EPOLL_TYPE_VHOST_KICK)
			vu_kick_handler(&c, kref, ev[i].events);
	}
	if (vu_ready(&c))
		vu_send(&c, &iov, 1);
	vu_disconnect(&c);
	close(sv[1]);
	close(kick[0]);
	close(kick[1]);
	return 0;
}
