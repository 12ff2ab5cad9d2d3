/* SPDX-License-Identifier: GPL-2.0-or-later
 * vu_fe.h - a vhost-user front-end, as QEMU's virtio-net drives it: guest
 *	     memory in a memfd, split rings, feature negotiation, kicks and
 *	     calls, dirty-page logging and the device-state channel
 *
 * Shared by the stand-in (test/tools/vu_frontend.c) and the benchmark
 * (test/bench/bench_vhost_user.c): all functions are static inline so that
 * each user takes what it needs. Every socket wait is bounded by a receive
 * timeout.
 *
 * Guest memory: two regions of one memfd, as QEMU lays out memory around
 * the PCI hole: region 0 at guest address 0 (file offset 0) holds the rings
 * and the transmit slots, region 1 at 4 GiB (file offset FE_REGION_SIZE)
 * holds the receive buffers, one page each.
 */
#ifndef VU_FE_H
#define VU_FE_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vhost_user.h"
#include "virtio.h"

/* The device asks not to be kicked (used ring flags, without EVENT_IDX) */
#define VRING_USED_F_NO_NOTIFY	1

#define FE_QSIZE		256
#define FE_REGION_SIZE		(16UL << 20)
#define FE_REGION1_GPA		(1ULL << 32)
#define FE_MEM_SIZE		(2 * FE_REGION_SIZE)
#define FE_PAGE			4096UL
#define FE_RXBUF_SIZE		FE_PAGE
#define FE_TX_SLOTS		64
#define FE_TX_SLOT_SIZE		(68UL << 10)
#define FE_TX_SLOTS_GPA		0x10000UL
#define FE_HDR_LEN		sizeof(struct virtio_net_hdr_mrg)
#define FE_FRAME_MAX		(65535 + 14 + 4)
#define FE_TIMEOUT_S		10

/* What the driver cannot do without; then what it uses if the device offers
 * it, as QEMU's virtio-net does (its event_idx and indirect_desc properties
 * withhold those two, as does fe->features_off here) */
#define FE_FEATURES_NEEDED	(BIT(VIRTIO_F_VERSION_1) |		\
				 BIT(VIRTIO_NET_F_MRG_RXBUF) |		\
				 BIT(VHOST_USER_F_PROTOCOL_FEATURES))
#define FE_FEATURES_OPTIONAL	(BIT(VIRTIO_RING_F_EVENT_IDX) |		\
				 BIT(VIRTIO_RING_F_INDIRECT_DESC))
#define FE_FEATURES		(FE_FEATURES_NEEDED | FE_FEATURES_OPTIONAL)
#define FE_PROTOCOL_FEATURES	(BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |	\
				 BIT(VHOST_USER_PROTOCOL_F_RARP) |	\
				 BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
				 BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE))

/**
 * struct fe_ring - the driver's side of one split ring
 * @desc_gpa:	guest address of the descriptor table
 * @avail_gpa:	guest address of the available ring
 * @used_gpa:	guest address of the used ring
 * @desc:	descriptor table
 * @avail:	available ring
 * @used:	used ring
 * @avail_idx:	next available index to publish
 * @kicked:	available index at the last kick decision
 * @last_used:	next used entry to read
 * @kick_fd:	eventfd the driver kicks
 * @call_fd:	eventfd the device notifies
 * @kicks:	kicks sent
 * @log_skip:	used entries published before logging was on, still unread
 */
struct fe_ring {
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;
	uint16_t kicked;
	uint16_t last_used;
	int kick_fd;
	int call_fd;
	unsigned long kicks;
	uint16_t log_skip;
};

/**
 * struct fe - one front-end connection and its guest
 * @name:	for messages
 * @sock:	connection to the back-end
 * @features_off: features the driver withholds even if offered
 * @features:	negotiated features (without VHOST_F_LOG_ALL)
 * @protocol_features: negotiated protocol features
 * @memfd:	guest memory
 * @mem:	its mapping
 * @q:		RX and TX rings
 * @tx_busy:	transmit slots in flight
 * @tx_count:	frames sent, also picks the descriptor layout
 * @logging:	dirty logging enabled
 * @log_fd:	log memfd
 * @log:	the log bitmap, as the back-end marks it
 * @log_size:	bytes of @log
 * @log_kick_fd: eventfd the back-end kicks after marking
 * @log_required: pages the back-end must have marked
 * @log_allowed: pages the back-end may have marked
 * @errors:	protocol errors seen in the back-end's ring use
 */
struct fe {
	const char *name;
	int sock;
	uint64_t features_off;
	uint64_t features;
	uint64_t protocol_features;
	int memfd;
	uint8_t *mem;
	struct fe_ring q[VU_QUEUES];
	bool tx_busy[FE_TX_SLOTS];
	unsigned long tx_count;
	bool logging;
	int log_fd;
	uint8_t *log;
	size_t log_size;
	int log_kick_fd;
	uint8_t *log_required;
	uint8_t *log_allowed;
	unsigned long errors;
};

/**
 * fe_region_of() - file offset and start of the region holding an address
 * @gpa:	guest address
 * @start:	guest address of the region's start
 *
 * Return: file offset of the region, or -1 if @gpa is in none
 */
static inline long fe_region_of(uint64_t gpa, uint64_t *start)
{
	if (gpa < FE_REGION_SIZE) {
		*start = 0;
		return 0;
	}
	if (gpa >= FE_REGION1_GPA && gpa - FE_REGION1_GPA < FE_REGION_SIZE) {
		*start = FE_REGION1_GPA;
		return (long)FE_REGION_SIZE;
	}
	return -1;
}

/**
 * fe_host() - pointer to guest memory at a guest address
 * @fe:		front-end
 * @gpa:	guest address, inside a region
 *
 * Return: pointer
 */
static inline void *fe_host(const struct fe *fe, uint64_t gpa)
{
	uint64_t start;
	long off = fe_region_of(gpa, &start);

	return off < 0 ? NULL : fe->mem + off + (gpa - start);
}

/**
 * fe_uva() - the front-end's own address of a guest address (as QEMU's)
 * @fe:		front-end
 * @gpa:	guest address
 *
 * Return: address in this process
 */
static inline uint64_t fe_uva(const struct fe *fe, uint64_t gpa)
{
	return (uint64_t)(uintptr_t)fe_host(fe, gpa);
}

/**
 * fe_send_msg() - send a message with optional fds
 * @fe:		front-end
 * @req:	request
 * @flags:	extra header flags (VHOST_USER_F_NEED_REPLY)
 * @payload:	payload, or NULL
 * @size:	payload size
 * @fds:	fds to pass, or NULL
 * @nfds:	number of fds
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_send_msg(struct fe *fe, uint32_t req, uint32_t flags,
			      const void *payload, uint32_t size,
			      const int *fds, unsigned int nfds)
{
	struct vu_msg_hdr hdr = { req, VHOST_USER_VERSION | flags, size };
	char cbuf[CMSG_SPACE(sizeof(int) * 16)] = { 0 };
	struct iovec iov[2] = { { &hdr, sizeof(hdr) },
				{ (void *)payload, size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

	if (nfds) {
		struct cmsghdr *cmsg;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	n = sendmsg(fe->sock, &mh, MSG_NOSIGNAL);
	if (n != (ssize_t)(sizeof(hdr) + size)) {
		fprintf(stderr, "%s: sending %s: %s\n", fe->name,
			vu_request_name(req), n < 0 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}

/**
 * fe_recv_reply() - read the reply to a request
 * @fe:		front-end
 * @req:	request it answers
 * @payload:	destination
 * @size:	size of @payload
 *
 * Return: payload size received, or -1 on failure (timeout, close, mismatch)
 */
static inline int fe_recv_reply(struct fe *fe, uint32_t req, void *payload,
				uint32_t size)
{
	struct vu_msg_hdr hdr;
	ssize_t n = recv(fe->sock, &hdr, sizeof(hdr), MSG_WAITALL);

	if (n != sizeof(hdr)) {
		fprintf(stderr, "%s: no reply to %s: %s\n", fe->name,
			vu_request_name(req),
			n < 0 ? strerror(errno) : "connection closed");
		return -1;
	}
	if (hdr.request != req || !(hdr.flags & VHOST_USER_F_REPLY) ||
	    hdr.size > size) {
		fprintf(stderr, "%s: bad reply to %s: request %u flags 0x%x "
			"size %u\n", fe->name, vu_request_name(req),
			hdr.request, hdr.flags, hdr.size);
		return -1;
	}
	if (hdr.size &&
	    recv(fe->sock, payload, hdr.size, MSG_WAITALL) != hdr.size) {
		fprintf(stderr, "%s: short reply to %s\n", fe->name,
			vu_request_name(req));
		return -1;
	}
	return (int)hdr.size;
}

/**
 * fe_call_u64() - send a request and read its u64 reply
 * @fe:		front-end
 * @req:	request
 * @payload:	payload, or NULL
 * @size:	payload size
 * @fds:	fds to pass, or NULL
 * @nfds:	number of fds
 * @v:		reply value
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_call_u64(struct fe *fe, uint32_t req, const void *payload,
			      uint32_t size, const int *fds, unsigned int nfds,
			      uint64_t *v)
{
	if (fe_send_msg(fe, req, 0, payload, size, fds, nfds) ||
	    fe_recv_reply(fe, req, v, sizeof(*v)) != sizeof(*v))
		return -1;
	return 0;
}

/**
 * fe_request() - send a request without reply of its own; with REPLY_ACK,
 *		  ask for the acknowledgement and check it, as QEMU does
 * @fe:		front-end
 * @req:	request
 * @payload:	payload, or NULL
 * @size:	payload size
 * @fds:	fds to pass, or NULL
 * @nfds:	number of fds
 *
 * Return: 0 on success, -1 on failure or a failure acknowledged
 */
static inline int fe_request(struct fe *fe, uint32_t req, const void *payload,
			     uint32_t size, const int *fds, unsigned int nfds)
{
	bool ack = fe->protocol_features & BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);
	uint64_t v;

	if (fe_send_msg(fe, req, ack ? VHOST_USER_F_NEED_REPLY : 0, payload,
			size, fds, nfds))
		return -1;
	if (!ack)
		return 0;
	if (fe_recv_reply(fe, req, &v, sizeof(v)) != sizeof(v))
		return -1;
	if (v) {
		fprintf(stderr, "%s: %s acknowledged failure %llu\n", fe->name,
			vu_request_name(req), (unsigned long long)v);
		return -1;
	}
	return 0;
}

/**
 * fe_request_u64() - fe_request() with a u64 payload
 * @fe:		front-end
 * @req:	request
 * @v:		payload
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_request_u64(struct fe *fe, uint32_t req, uint64_t v)
{
	return fe_request(fe, req, &v, sizeof(v), NULL, 0);
}

/**
 * fe_connect() - connect to a back-end's socket, retrying for a while
 * @fe:		front-end, @name set
 * @path:	socket path
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_connect(struct fe *fe, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = FE_TIMEOUT_S };
	int i;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	for (i = 0; i < 100; i++) {
		fe->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fe->sock < 0)
			return -1;
		if (!connect(fe->sock, (struct sockaddr *)&a, sizeof(a))) {
			setsockopt(fe->sock, SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv));
			setsockopt(fe->sock, SOL_SOCKET, SO_SNDTIMEO, &tv,
				   sizeof(tv));
			fe->protocol_features = 0;
			return 0;
		}
		close(fe->sock);
		fe->sock = -1;
		usleep(100 * 1000);
	}
	fprintf(stderr, "%s: cannot connect to %s: %s\n", fe->name, path,
		strerror(errno));
	return -1;
}

/**
 * fe_mem_init() - create the guest memory and lay out rings and buffers
 * @fe:		front-end
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_mem_init(struct fe *fe)
{
	unsigned int i;

	fe->memfd = memfd_create("vu_frontend guest", MFD_CLOEXEC);
	if (fe->memfd < 0 || ftruncate(fe->memfd, FE_MEM_SIZE))
		return -1;
	fe->mem = mmap(NULL, FE_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fe->memfd, 0);
	if (fe->mem == MAP_FAILED)
		return -1;
	for (i = 0; i < VU_QUEUES; i++) {
		struct fe_ring *r = &fe->q[i];

		r->desc_gpa = FE_PAGE * (1 + 3 * i);
		r->avail_gpa = r->desc_gpa + FE_PAGE;
		r->used_gpa = r->avail_gpa + FE_PAGE;
		r->desc = fe_host(fe, r->desc_gpa);
		r->avail = fe_host(fe, r->avail_gpa);
		r->used = fe_host(fe, r->used_gpa);
		r->kick_fd = r->call_fd = -1;
	}
	fe->log_fd = fe->log_kick_fd = -1;
	return 0;
}

/**
 * fe_rx_buf_gpa() - guest address of a receive buffer
 * @i:		buffer index, the same as its descriptor's
 *
 * Return: guest address
 */
static inline uint64_t fe_rx_buf_gpa(unsigned int i)
{
	return FE_REGION1_GPA + (uint64_t)i * FE_RXBUF_SIZE;
}

/**
 * fe_tx_slot_gpa() - guest address of a transmit slot
 * @i:		slot index
 *
 * Return: guest address
 */
static inline uint64_t fe_tx_slot_gpa(unsigned int i)
{
	return FE_TX_SLOTS_GPA + (uint64_t)i * FE_TX_SLOT_SIZE;
}

/**
 * fe_need_event() - the virtio event-index test
 * @event:	index the other side asked about
 * @new:	index now
 * @old:	index at the last notification
 *
 * Return: true if the other side must be notified
 */
static inline bool fe_need_event(uint16_t event, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/**
 * fe_has() - whether a feature was negotiated
 * @fe:		front-end
 * @bit:	feature bit
 *
 * Return: true if it was
 */
static inline bool fe_has(const struct fe *fe, unsigned int bit)
{
	return fe->features & BIT(bit);
}

/**
 * fe_publish() - publish new available entries and kick if the device asks:
 *		  past its avail_event with EVENT_IDX, else unless its used
 *		  ring's flags say VRING_USED_F_NO_NOTIFY
 * @fe:		front-end
 * @r:		one of its rings
 */
static inline void fe_publish(const struct fe *fe, struct fe_ring *r)
{
	uint16_t old = r->kicked, event, flags;
	bool kick;

	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&r->avail->idx, r->avail_idx, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (fe_has(fe, VIRTIO_RING_F_EVENT_IDX)) {
		event = __atomic_load_n((uint16_t *)&r->used->ring[FE_QSIZE],
					__ATOMIC_RELAXED);
		kick = fe_need_event(event, r->avail_idx, old);
	} else {
		flags = __atomic_load_n(&r->used->flags, __ATOMIC_RELAXED);
		kick = r->avail_idx != old &&
		       !(flags & VRING_USED_F_NO_NOTIFY);
	}
	r->kicked = r->avail_idx;
	if (r->kick_fd >= 0 && kick) {
		eventfd_write(r->kick_fd, 1);
		r->kicks++;
	}
}

/**
 * fe_avail_add() - put a chain head in the available ring (not published)
 * @r:		ring
 * @head:	descriptor index
 */
static inline void fe_avail_add(struct fe_ring *r, uint16_t head)
{
	r->avail->ring[r->avail_idx++ % FE_QSIZE] = head;
}

/**
 * fe_rx_post() - offer one receive buffer
 * @fe:		front-end
 * @i:		buffer and descriptor index
 */
static inline void fe_rx_post(struct fe *fe, unsigned int i)
{
	struct fe_ring *r = &fe->q[VU_QUEUE_RX];

	r->desc[i].addr = fe_rx_buf_gpa(i);
	r->desc[i].len = FE_RXBUF_SIZE;
	r->desc[i].flags = VRING_DESC_F_WRITE;
	r->desc[i].next = 0;
	fe_avail_add(r, (uint16_t)i);
}

/**
 * fe_rings_init() - a fresh guest driver: empty rings, every RX buffer
 *		     offered, calls wanted after each used entry
 * @fe:		front-end
 */
static inline void fe_rings_init(struct fe *fe)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++) {
		struct fe_ring *r = &fe->q[i];

		memset(r->desc, 0, 3 * FE_PAGE);
		r->avail_idx = r->kicked = r->last_used = 0;
	}
	for (i = 0; i < FE_QSIZE; i++)
		fe_rx_post(fe, i);
	__atomic_store_n(&fe->q[VU_QUEUE_RX].avail->idx,
			 fe->q[VU_QUEUE_RX].avail_idx, __ATOMIC_RELEASE);
	memset(fe->tx_busy, 0, sizeof(fe->tx_busy));
}

/**
 * fe_handshake() - what QEMU does on connecting: features, owner
 * @fe:		front-end, connected
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_handshake(struct fe *fe)
{
	uint64_t f, pf;

	if (fe_call_u64(fe, VHOST_USER_GET_FEATURES, NULL, 0, NULL, 0, &f))
		return -1;
	if ((f & FE_FEATURES_NEEDED) != FE_FEATURES_NEEDED) {
		fprintf(stderr, "%s: back-end features 0x%llx lack 0x%llx\n",
			fe->name, (unsigned long long)f,
			(unsigned long long)(FE_FEATURES_NEEDED & ~f));
		return -1;
	}
	fe->features = f & FE_FEATURES & ~fe->features_off;
	if (fe_call_u64(fe, VHOST_USER_GET_PROTOCOL_FEATURES, NULL, 0, NULL,
			0, &pf))
		return -1;
	pf &= FE_PROTOCOL_FEATURES;
	if (fe_request_u64(fe, VHOST_USER_SET_PROTOCOL_FEATURES, pf))
		return -1;
	fe->protocol_features = pf;
	return fe_request(fe, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
}

/**
 * fe_mem_table() - SET_MEM_TABLE with both regions of the memfd
 * @fe:		front-end
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_mem_table(struct fe *fe)
{
	struct vu_msg_mem t = { .nregions = 2 };
	int fds[2] = { fe->memfd, fe->memfd };

	t.regions[0] = (struct vu_msg_region){ 0, FE_REGION_SIZE,
					       fe_uva(fe, 0), 0 };
	t.regions[1] = (struct vu_msg_region){ FE_REGION1_GPA, FE_REGION_SIZE,
					       fe_uva(fe, FE_REGION1_GPA),
					       FE_REGION_SIZE };
	return fe_request(fe, VHOST_USER_SET_MEM_TABLE, &t,
			  offsetof(struct vu_msg_mem, regions) +
			  2 * sizeof(t.regions[0]), fds, 2);
}

/**
 * fe_vring_addr() - SET_VRING_ADDR for one ring, logged or not
 * @fe:		front-end
 * @i:		queue index
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_vring_addr(struct fe *fe, unsigned int i)
{
	const struct fe_ring *r = &fe->q[i];
	struct vu_msg_addr a = {
		.index = i,
		.flags = fe->logging ? BIT(VHOST_VRING_F_LOG) : 0,
		.desc_uva = fe_uva(fe, r->desc_gpa),
		.used_uva = fe_uva(fe, r->used_gpa),
		.avail_uva = fe_uva(fe, r->avail_gpa),
		.log_gpa = r->used_gpa,
	};

	return fe_request(fe, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a),
			  NULL, 0);
}

/**
 * fe_features_set() - SET_FEATURES, with dirty logging or without
 * @fe:		front-end
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_features_set(struct fe *fe)
{
	return fe_request_u64(fe, VHOST_USER_SET_FEATURES, fe->features |
			      (fe->logging ? BIT(VHOST_F_LOG_ALL) : 0));
}

/**
 * fe_device_start() - what QEMU does when the VM runs: features, memory,
 *		       and each ring from a given base
 * @fe:		front-end, after fe_handshake()
 * @base:	available index each ring resumes at
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_device_start(struct fe *fe, const uint16_t base[])
{
	unsigned int i;

	if (fe_features_set(fe) || fe_mem_table(fe))
		return -1;
	for (i = 0; i < VU_QUEUES; i++) {
		struct fe_ring *r = &fe->q[i];
		struct vu_msg_state num = { i, FE_QSIZE }, b = { i, base[i] };
		uint64_t idx = i;

		if (r->kick_fd >= 0)
			close(r->kick_fd);
		if (r->call_fd >= 0)
			close(r->call_fd);
		r->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		r->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fe_request(fe, VHOST_USER_SET_VRING_NUM, &num, sizeof(num),
			       NULL, 0) ||
		    fe_request(fe, VHOST_USER_SET_VRING_BASE, &b, sizeof(b),
			       NULL, 0) ||
		    fe_vring_addr(fe, i) ||
		    fe_request(fe, VHOST_USER_SET_VRING_KICK, &idx, sizeof(idx),
			       &r->kick_fd, 1) ||
		    fe_request(fe, VHOST_USER_SET_VRING_CALL, &idx, sizeof(idx),
			       &r->call_fd, 1))
			return -1;
	}
	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_msg_state en = { i, 1 };

		if (fe_request(fe, VHOST_USER_SET_VRING_ENABLE, &en,
			       sizeof(en), NULL, 0))
			return -1;
	}
	return 0;
}

/**
 * fe_rings_stop() - GET_VRING_BASE on each ring, as QEMU stops the device
 * @fe:		front-end
 * @base:	where each ring stopped
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_rings_stop(struct fe *fe, uint16_t base[])
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_msg_state s = { i, 0 }, reply;

		if (fe_send_msg(fe, VHOST_USER_GET_VRING_BASE, 0, &s,
				sizeof(s), NULL, 0) ||
		    fe_recv_reply(fe, VHOST_USER_GET_VRING_BASE, &reply,
				  sizeof(reply)) != sizeof(reply))
			return -1;
		if (reply.index != i || reply.num > UINT16_MAX) {
			fprintf(stderr, "%s: GET_VRING_BASE %u: bad reply %u "
				"%u\n", fe->name, i, reply.index, reply.num);
			return -1;
		}
		base[i] = (uint16_t)reply.num;
	}
	return 0;
}

/**
 * fe_log_mark() - note pages in a bitmap of the log's shape
 * @map:	bitmap
 * @size:	bytes of @map
 * @gpa:	guest address
 * @len:	length
 */
static inline void fe_log_mark(uint8_t *map, size_t size, uint64_t gpa,
			       uint64_t len)
{
	uint64_t p;

	if (!map || !len)
		return;
	for (p = gpa / FE_PAGE; p <= (gpa + len - 1) / FE_PAGE; p++)
		if (p / 8 < size)
			map[p / 8] |= (uint8_t)(1U << (p % 8));
}

/**
 * fe_log_enable() - what QEMU does when migration starts: log memfd, log
 *		     eventfd, VHOST_F_LOG_ALL, used rings logged
 * @fe:		front-end, device started
 *
 * Return: 0 on success, -1 on failure
 */
static inline int fe_log_enable(struct fe *fe)
{
	struct vu_msg_log l;
	unsigned int i;
	uint64_t v;

	fe->log_size = (FE_REGION1_GPA + FE_REGION_SIZE) / FE_PAGE / 8;
	fe->log_fd = memfd_create("vu_frontend log", MFD_CLOEXEC);
	if (fe->log_fd < 0 || ftruncate(fe->log_fd, (off_t)fe->log_size))
		return -1;
	fe->log = mmap(NULL, fe->log_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fe->log_fd, 0);
	fe->log_required = calloc(1, fe->log_size);
	fe->log_allowed = calloc(1, fe->log_size);
	fe->log_kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fe->log == MAP_FAILED || !fe->log_required || !fe->log_allowed ||
	    fe->log_kick_fd < 0)
		return -1;

	l.size = fe->log_size;
	l.offset = 0;
	if (fe_call_u64(fe, VHOST_USER_SET_LOG_BASE, &l, sizeof(l),
			&fe->log_fd, 1, &v) ||
	    fe_request(fe, VHOST_USER_SET_LOG_FD, NULL, 0, &fe->log_kick_fd, 1))
		return -1;
	fe->logging = true;
	if (fe_features_set(fe))
		return -1;
	for (i = 0; i < VU_QUEUES; i++)
		if (fe_vring_addr(fe, i))
			return -1;
	/* Every write from now on is logged: entries already published may
	 * have been written before
	 */
	for (i = 0; i < VU_QUEUES; i++) {
		struct fe_ring *r = &fe->q[i];

		r->log_skip = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE) -
			      r->last_used;
	}
	/* The used rings, avail_event included, may be written any time */
	for (i = 0; i < VU_QUEUES; i++)
		fe_log_mark(fe->log_allowed, fe->log_size, fe->q[i].used_gpa,
			    VRING_USED_SIZE(FE_QSIZE));
	return 0;
}

/**
 * fe_log_written() - account for guest memory the back-end wrote, as seen
 *		      from a used entry: with logging on, it must be marked;
 *		      for entries published before logging was on, it may be
 * @fe:		front-end
 * @r:		ring of the entry
 * @pos:	used index of the entry
 * @gpa:	guest address of the buffer written, or 0 for none
 * @len:	bytes written into the buffer
 */
static inline void fe_log_written(struct fe *fe, struct fe_ring *r,
				  uint16_t pos, uint64_t gpa, uint64_t len)
{
	uint8_t *map = fe->log_required;

	if (!fe->logging)
		return;
	if (r->log_skip) {
		map = fe->log_allowed;
		r->log_skip--;
	}
	fe_log_mark(map, fe->log_size, r->used_gpa + 2, 2);
	fe_log_mark(map, fe->log_size, r->used_gpa + 4 + 8UL * (pos % FE_QSIZE),
		    8);
	fe_log_mark(map, fe->log_size, gpa, len);
}

/**
 * fe_log_check() - compare the back-end's marks with its writes, with the
 *		    rings stopped and every used entry read
 * @fe:		front-end
 * @marked:	pages marked
 *
 * Return: 0 if every page written was marked and no other, -1 if not
 */
static inline int fe_log_check(struct fe *fe, unsigned long *marked)
{
	unsigned long missing = 0, extra = 0;
	uint64_t kicks = 0;
	size_t i;

	*marked = 0;
	for (i = 0; i < fe->log_size * 8; i++) {
		uint8_t bit = (uint8_t)(1U << (i % 8));
		bool m = __atomic_load_n(&fe->log[i / 8], __ATOMIC_RELAXED) &
			 bit;
		bool req = fe->log_required[i / 8] & bit;
		bool ok = req || (fe->log_allowed[i / 8] & bit);

		*marked += m;
		if (req && !m) {
			fprintf(stderr, "%s: log: page 0x%zx written, not "
				"marked\n", fe->name, i * FE_PAGE);
			missing++;
		}
		if (m && !ok) {
			fprintf(stderr, "%s: log: page 0x%zx marked, never "
				"written\n", fe->name, i * FE_PAGE);
			extra++;
		}
	}
	if (eventfd_read(fe->log_kick_fd, &kicks))
		kicks = 0;
	if (*marked && !kicks) {
		fprintf(stderr, "%s: log: pages marked, log fd never kicked\n",
			fe->name);
		return -1;
	}
	return missing || extra ? -1 : 0;
}

/**
 * fe_rx_frame() - read one frame from used RX entries, offer the buffers
 *		   again
 * @fe:		front-end
 * @buf:	destination for the frame, without virtio-net header
 * @size:	size of @buf
 *
 * Return: frame length, 0 if none is waiting, -1 for a protocol error
 */
static inline ssize_t fe_rx_frame(struct fe *fe, uint8_t *buf, size_t size)
{
	struct fe_ring *r = &fe->q[VU_QUEUE_RX];
	uint16_t avail = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);
	uint16_t nbuf = 0, i;
	size_t len = 0;

	if (avail == r->last_used)
		return 0;
	for (i = 0; i == 0 || i < nbuf; i++) {
		struct vring_used_elem e;
		const uint8_t *p;
		size_t skip = 0;

		if ((uint16_t)(avail - r->last_used) == 0) {
			fprintf(stderr, "%s: RX: num_buffers %u but %u used\n",
				fe->name, nbuf, i);
			return -1;
		}
		e = r->used->ring[r->last_used % FE_QSIZE];
		if (e.id >= FE_QSIZE || e.len > FE_RXBUF_SIZE) {
			fprintf(stderr, "%s: RX: bad used entry %u len %u\n",
				fe->name, e.id, e.len);
			return -1;
		}
		p = fe_host(fe, fe_rx_buf_gpa(e.id));
		if (!i) {
			struct virtio_net_hdr_mrg h;

			if (e.len < FE_HDR_LEN) {
				fprintf(stderr, "%s: RX: %u bytes\n", fe->name,
					e.len);
				return -1;
			}
			memcpy(&h, p, sizeof(h));
			nbuf = h.num_buffers;
			skip = FE_HDR_LEN;
			if (!nbuf) {
				fprintf(stderr, "%s: RX: num_buffers 0\n",
					fe->name);
				return -1;
			}
		}
		if (len + e.len - skip > size) {
			fprintf(stderr, "%s: RX: frame too long\n", fe->name);
			return -1;
		}
		memcpy(buf + len, p + skip, e.len - skip);
		len += e.len - skip;
		fe_log_written(fe, r, r->last_used, fe_rx_buf_gpa(e.id), e.len);
		r->last_used++;
		fe_rx_post(fe, e.id);
	}
	/* A call for the next used entry, then give the buffers back */
	r->avail->ring[FE_QSIZE] = r->last_used;
	fe_publish(fe, r);
	return (ssize_t)len;
}

/**
 * fe_tx_reap() - take back transmit slots the back-end is done with
 * @fe:		front-end
 *
 * Return: slots taken back, or -1 for a protocol error
 */
static inline int fe_tx_reap(struct fe *fe)
{
	struct fe_ring *r = &fe->q[VU_QUEUE_TX];
	uint16_t avail = __atomic_load_n(&r->used->idx, __ATOMIC_ACQUIRE);
	int n = 0;

	while (r->last_used != avail) {
		struct vring_used_elem e = r->used->ring[r->last_used % FE_QSIZE];

		if (e.id % 2 || e.id / 2 >= FE_TX_SLOTS || !fe->tx_busy[e.id / 2]) {
			fprintf(stderr, "%s: TX: bad used id %u\n", fe->name,
				e.id);
			return -1;
		}
		fe_log_written(fe, r, r->last_used, 0, 0);
		fe->tx_busy[e.id / 2] = false;
		r->last_used++;
		n++;
	}
	r->avail->ring[FE_QSIZE] = r->last_used;
	return n;
}

/**
 * fe_tx_frame() - queue one frame for the back-end, with the descriptor
 *		   layout rotating: one buffer, a chain of two, indirect (if
 *		   negotiated)
 * @fe:		front-end
 * @frame:	Ethernet frame
 * @len:	its length
 * @publish:	publish (and maybe kick) now, or leave it for a batch
 *
 * Return: 0 if queued, -EAGAIN if every slot is in flight
 */
static inline int fe_tx_frame(struct fe *fe, const uint8_t *frame, size_t len,
			      bool publish)
{
	struct fe_ring *r = &fe->q[VU_QUEUE_TX];
	struct virtio_net_hdr_mrg h = { 0 };
	unsigned int layouts = fe_has(fe, VIRTIO_RING_F_INDIRECT_DESC) ? 3 : 2;
	unsigned int s, layout = fe->tx_count % layouts;
	uint16_t head;
	uint64_t gpa;
	uint8_t *p;

	if (len > FE_FRAME_MAX)
		return -EMSGSIZE;
	for (s = 0; s < FE_TX_SLOTS && fe->tx_busy[s]; s++)
		;
	if (s == FE_TX_SLOTS)
		return -EAGAIN;
	fe->tx_busy[s] = true;
	head = (uint16_t)(2 * s);
	gpa = fe_tx_slot_gpa(s);
	p = fe_host(fe, gpa);
	memcpy(p, &h, FE_HDR_LEN);
	memcpy(p + FE_HDR_LEN, frame, len);

	if (layout == 0) {
		r->desc[head] = (struct vring_desc){
			gpa, (uint32_t)(FE_HDR_LEN + len), 0, 0 };
	} else if (layout == 1) {
		r->desc[head] = (struct vring_desc){
			gpa, FE_HDR_LEN, VRING_DESC_F_NEXT, head + 1 };
		r->desc[head + 1] = (struct vring_desc){
			gpa + FE_HDR_LEN, (uint32_t)len, 0, 0 };
	} else {
		uint64_t tbl_gpa = gpa + FE_TX_SLOT_SIZE -
				   2 * sizeof(struct vring_desc);
		struct vring_desc *tbl = fe_host(fe, tbl_gpa);

		tbl[0] = (struct vring_desc){ gpa, FE_HDR_LEN,
					      VRING_DESC_F_NEXT, 1 };
		tbl[1] = (struct vring_desc){ gpa + FE_HDR_LEN, (uint32_t)len,
					      0, 0 };
		r->desc[head] = (struct vring_desc){
			tbl_gpa, 2 * sizeof(struct vring_desc),
			VRING_DESC_F_INDIRECT, 0 };
	}
	fe_avail_add(r, head);
	fe->tx_count++;
	if (publish)
		fe_publish(fe, r);
	return 0;
}

/**
 * fe_calls_drain() - consume pending calls on both rings
 * @fe:		front-end
 */
static inline void fe_calls_drain(struct fe *fe)
{
	unsigned int i;
	eventfd_t v;

	for (i = 0; i < VU_QUEUES; i++)
		if (fe->q[i].call_fd >= 0)
			eventfd_read(fe->q[i].call_fd, &v);
}

/**
 * fe_wait_fd() - wait, bounded, until an fd is ready
 * @fd:		file descriptor
 * @events:	POLLIN or POLLOUT
 *
 * Return: true if ready (or hung up), false on timeout or error
 */
static inline bool fe_wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, FE_TIMEOUT_S * 1000) == 1;
}

/* Most bytes of the stream a relay may corrupt */
#define FE_RELAY_CORRUPT_MAX	8

/**
 * struct fe_relay - faults the front-end puts into a device-state transfer
 * @corrupt:	stream offsets whose byte is inverted on the way
 * @ncorrupt:	entries in @corrupt
 * @stall_at:	stream offset at which the relay stops moving bytes and waits
 *		for either back-end to close its end, or UINT64_MAX
 */
struct fe_relay {
	uint64_t corrupt[FE_RELAY_CORRUPT_MAX];
	unsigned int ncorrupt;
	uint64_t stall_at;
};

/**
 * fe_relay_corrupt() - invert the bytes of a piece of stream that a relay
 *			is told to corrupt
 * @relay:	faults
 * @buf:	piece of stream
 * @len:	its length
 * @off:	its offset in the stream
 */
static inline void fe_relay_corrupt(const struct fe_relay *relay,
				    uint8_t *buf, size_t len, uint64_t off)
{
	unsigned int i;

	for (i = 0; i < relay->ncorrupt; i++)
		if (relay->corrupt[i] >= off && relay->corrupt[i] < off + len)
			buf[relay->corrupt[i] - off] ^= 0xff;
}

/**
 * fe_relay_stall() - hold the stream until either back-end closes its end
 *		      (the source at its deadline, the target when it dies)
 * @from:	read end of the source's pipe
 * @to:		write end of the target's pipe
 *
 * Return: 0 once one of them closed, -1 after FE_TIMEOUT_S * 6 seconds
 */
static inline int fe_relay_stall(int from, int to)
{
	struct pollfd p[] = { { .fd = from }, { .fd = to } };

	/* No events asked: only hang-ups and errors are reported */
	return poll(p, 2, FE_TIMEOUT_S * 6 * 1000) > 0 ? 0 : -1;
}

/**
 * fe_state_move() - move the device state from one back-end to another
 *		     through pipes, as QEMU does on migration
 * @src:	source front-end (rings stopped)
 * @dst:	target front-end (handshake done)
 * @relay:	faults to put into the stream, or NULL
 * @bytes:	bytes moved
 *
 * Return: 0 if both back-ends report success, -1 otherwise
 */
static inline int fe_state_move(struct fe *src, struct fe *dst,
				const struct fe_relay *relay, size_t *bytes)
{
	struct vu_msg_device_state save = { VHOST_USER_STATE_DIR_SAVE, 0 };
	struct vu_msg_device_state load = { VHOST_USER_STATE_DIR_LOAD, 0 };
	uint64_t stall_at = relay ? relay->stall_at : UINT64_MAX;
	int from[2], to[2], ret = 0;
	uint64_t r_src, r_dst;
	static uint8_t buf[65536];
	ssize_t n = -1;

	*bytes = 0;
	if (pipe2(from, O_CLOEXEC) || pipe2(to, O_CLOEXEC))
		return -1;
	if (fe_call_u64(src, VHOST_USER_SET_DEVICE_STATE_FD, &save,
			sizeof(save), &from[1], 1, &r_src) ||
	    fe_call_u64(dst, VHOST_USER_SET_DEVICE_STATE_FD, &load,
			sizeof(load), &to[0], 1, &r_dst))
		return -1;
	close(from[1]);
	close(to[0]);
	if ((r_src & 0xff) || (r_dst & 0xff) ||
	    !(r_src & VHOST_USER_STATE_NO_FD) ||
	    !(r_dst & VHOST_USER_STATE_NO_FD)) {
		fprintf(stderr, "SET_DEVICE_STATE_FD refused: source 0x%llx, "
			"target 0x%llx\n", (unsigned long long)r_src,
			(unsigned long long)r_dst);
		return -1;
	}

	while (fe_wait_fd(from[0], POLLIN) &&
	       (n = read(from[0], buf, MIN(sizeof(buf),
					   stall_at - *bytes))) > 0) {
		if (relay)
			fe_relay_corrupt(relay, buf, (size_t)n, *bytes);
		if (!fe_wait_fd(to[1], POLLOUT) ||
		    write(to[1], buf, (size_t)n) != n) {
			ret = -1;
			break;
		}
		*bytes += (size_t)n;
		if (*bytes == stall_at) {
			fe_relay_stall(from[0], to[1]);
			ret = -1;
			break;
		}
	}
	if (n < 0)
		ret = -1;
	close(from[0]);
	close(to[1]);

	if (fe_call_u64(src, VHOST_USER_CHECK_DEVICE_STATE, NULL, 0, NULL, 0,
			&r_src) ||
	    fe_call_u64(dst, VHOST_USER_CHECK_DEVICE_STATE, NULL, 0, NULL, 0,
			&r_dst))
		return -1;
	if (r_src || r_dst) {
		fprintf(stderr, "CHECK_DEVICE_STATE: source %llu, target %llu\n",
			(unsigned long long)r_src, (unsigned long long)r_dst);
		return -1;
	}
	return ret;
}

#endif /* VU_FE_H */
