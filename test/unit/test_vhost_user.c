// SPDX-License-Identifier: GPL-2.0-or-later
/* test_vhost_user.c - the vhost-user back-end driven over a socketpair */

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"
#include "../tools/vu_fe.h"

/**
 * struct t_vu - a back-end and the front-end end of its connection
 * @c:		execution context of the back-end
 * @fe:		front-end
 * @ref:	epoll reference of the back-end's end
 */
struct t_vu {
	struct ctx c;
	struct fe fe;
	union epoll_ref ref;
};

static vu_state_done_fn t_state_done;
static int t_state_fd = -1;

/**
 * t_state_start() - device-state start operation: keeps the fd and the
 *		     callback, so the test decides when the transfer ends
 * @c:		execution context
 * @fd:		device-state fd
 * @direction:	direction
 * @done:	completion callback
 *
 * Return: 0
 */
static int t_state_start(struct ctx *c, int fd, int direction,
			 vu_state_done_fn done)
{
	(void)c;
	(void)direction;
	t_state_fd = fd;
	t_state_done = done;
	return 0;
}

static unsigned int t_resumes;

/**
 * t_resumed() - device-state resumed operation: counts the calls
 * @c:		execution context
 */
static void t_resumed(struct ctx *c)
{
	(void)c;
	t_resumes++;
}

static unsigned int t_rooms;

/**
 * t_room() - room callback: counts the calls
 * @c:		execution context
 */
static void t_room(struct ctx *c)
{
	(void)c;
	t_rooms++;
}

static const struct vu_device_state_ops t_ops = {
	.start = t_state_start, .resumed = t_resumed,
};

/**
 * t_vu_init() - connect a fresh back-end to a socketpair
 * @t:		test state
 *
 * Return: 0 on success
 */
static int t_vu_init(struct t_vu *t)
{
	int sv[2];

	memset(t, 0, sizeof(*t));
	t->c.epollfd = epoll_create1(0);
	if (t->c.epollfd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -1;
	vu_init(&t->c, &t_ops);
	vu_connect(&t->c, sv[0], NULL, t_room);
	t->ref.type = EPOLL_TYPE_VHOST_CMD;
	t->ref.fd = sv[0];
	t->fe.name = "test";
	t->fe.sock = sv[1];
	return vu_ready(&t->c) ? 0 : -1;
}

/**
 * t_vu_free() - disconnect and close
 * @t:		test state
 */
static void t_vu_free(struct t_vu *t)
{
	vu_disconnect(&t->c);
	close(t->fe.sock);
	close(t->c.epollfd);
}

/**
 * t_vu_serve() - let the back-end handle what was sent
 * @t:		test state
 */
static void t_vu_serve(struct t_vu *t)
{
	vu_cmd_handler(&t->c, t->ref, EPOLLIN);
}

/**
 * t_pending() - whether the back-end sent anything
 * @t:		test state
 *
 * Return: true if bytes wait on the front-end's end
 */
static bool t_pending(struct t_vu *t)
{
	char b;

	return recv(t->fe.sock, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/**
 * t_requests_waiting() - whether messages wait on the back-end's end
 * @t:		test state
 *
 * Return: true if bytes wait there
 */
static bool t_requests_waiting(struct t_vu *t)
{
	char b;

	return recv(t->ref.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/**
 * t_rings_start() - guest memory and rings, started as QEMU starts them
 * @t:		test state
 *
 * Return: 0 on success
 */
static int t_rings_start(struct t_vu *t)
{
	static const uint16_t base[VU_QUEUES];

	t->fe.features = FE_FEATURES;
	if (fe_mem_init(&t->fe))
		return -1;
	fe_rings_init(&t->fe);
	if (fe_device_start(&t->fe, base))
		return -1;
	while (t_requests_waiting(t))
		t_vu_serve(t);
	return vu_ready(&t->c) ? 0 : -1;
}

/**
 * t_kicks_serve() - dispatch the kicks waiting in the back-end's epoll set
 * @t:		test state
 *
 * Return: number of kicks dispatched
 */
static int t_kicks_serve(struct t_vu *t)
{
	struct epoll_event ev[VU_QUEUES + 1];
	int n = epoll_wait(t->c.epollfd, ev, VU_QUEUES + 1, 0), i, kicks = 0;

	for (i = 0; i < n; i++) {
		union epoll_ref ref = { .u64 = ev[i].data.u64 };

		if (ref.type != EPOLL_TYPE_VHOST_KICK)
			continue;
		vu_kick_handler(&t->c, ref, ev[i].events);
		kicks++;
	}
	return kicks;
}

/**
 * t_guest_free() - release what t_rings_start() made, on the driver's side
 * @t:		test state
 */
static void t_guest_free(struct t_vu *t)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++) {
		close(t->fe.q[i].kick_fd);
		close(t->fe.q[i].call_fd);
	}
	munmap(t->fe.mem, FE_MEM_SIZE);
	close(t->fe.memfd);
}

/**
 * t_state_fd_send() - negotiate the device-state feature, then send an fd
 *		       for a transfer and read the back-end's answer
 * @t:		test state
 * @ds:		direction and phase of the transfer
 * @fd:		fd to pass
 * @v:		set to the back-end's reply
 *
 * Return: 0 if both messages went and a reply came, -1 otherwise
 */
static int t_state_fd_send(struct t_vu *t, const struct vu_msg_device_state *ds,
			   int fd, uint64_t *v)
{
	uint64_t pf = BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE);

	if (fe_send_msg(&t->fe, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &pf,
			sizeof(pf), NULL, 0) ||
	    fe_send_msg(&t->fe, VHOST_USER_SET_DEVICE_STATE_FD, 0, ds,
			sizeof(*ds), &fd, 1))
		return -1;
	t_vu_serve(t);
	return fe_recv_reply(&t->fe, VHOST_USER_SET_DEVICE_STATE_FD, v,
			     sizeof(*v)) == 8 ? 0 : -1;
}

TEST(vhost_user_offers_features_the_front_end_needs)
{
	struct t_vu t;
	uint64_t f = 0;

	CHECK(!t_vu_init(&t));
	CHECK(!fe_send_msg(&t.fe, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0));
	t_vu_serve(&t);
	CHECK(fe_recv_reply(&t.fe, VHOST_USER_GET_FEATURES, &f, sizeof(f)) == 8);
	CHECK((f & FE_FEATURES) == FE_FEATURES);
	CHECK(f & BIT(VHOST_F_LOG_ALL));
	t_vu_free(&t);
}

TEST(vhost_user_ring_size_not_power_of_two_closes_connection)
{
	struct vu_msg_state s = { 0, 1000 };
	struct t_vu t;

	CHECK(!t_vu_init(&t));
	CHECK(!fe_send_msg(&t.fe, VHOST_USER_SET_VRING_NUM, 0, &s, sizeof(s),
			   NULL, 0));
	t_vu_serve(&t);
	CHECK(!vu_ready(&t.c));
	t_vu_free(&t);
}

TEST(vhost_user_unknown_request_is_nacked_and_connection_kept)
{
	struct t_vu t;
	uint64_t v = 0, pf = BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK);

	CHECK(!t_vu_init(&t));
	CHECK(!fe_send_msg(&t.fe, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &pf,
			   sizeof(pf), NULL, 0));
	CHECK(!fe_send_msg(&t.fe, 99, VHOST_USER_F_NEED_REPLY, NULL, 0, NULL,
			   0));
	t_vu_serve(&t);
	CHECK(fe_recv_reply(&t.fe, 99, &v, sizeof(v)) == 8);
	CHECK(v != 0);
	CHECK(vu_ready(&t.c));
	t_vu_free(&t);
}

TEST(vhost_user_check_device_state_waits_for_the_transfer)
{
	struct vu_msg_device_state ds = { VHOST_USER_STATE_DIR_LOAD, 0 };
	struct t_vu t;
	uint64_t v = 0;
	int p[2];

	CHECK(!t_vu_init(&t));
	CHECK(!pipe(p));
	CHECK(!t_state_fd_send(&t, &ds, p[0], &v));
	CHECK(v == VHOST_USER_STATE_NO_FD && t_state_done && t_state_fd >= 0);

	CHECK(!fe_send_msg(&t.fe, VHOST_USER_CHECK_DEVICE_STATE, 0, NULL, 0,
			   NULL, 0));
	t_vu_serve(&t);
	CHECK(!t_pending(&t));

	t_state_done(&t.c, 0);
	CHECK(fe_recv_reply(&t.fe, VHOST_USER_CHECK_DEVICE_STATE, &v,
			    sizeof(v)) == 8);
	CHECK(v == 0);
	close(t_state_fd);
	close(p[0]);
	close(p[1]);
	t_vu_free(&t);
}

TEST(vhost_user_ring_started_during_a_save_means_the_guest_resumes_here)
{
	struct vu_msg_device_state ds = { VHOST_USER_STATE_DIR_SAVE, 0 };
	uint64_t v = 0, kick = 0;
	struct t_vu t;
	int p[2], efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	CHECK(!t_vu_init(&t));
	CHECK(!pipe(p));
	CHECK(!t_state_fd_send(&t, &ds, p[1], &v));
	CHECK(v == VHOST_USER_STATE_NO_FD && t_state_fd >= 0);

	/* The target refused at once: QEMU resumes the VM while this side
	 * still saves
	 */
	t_resumes = 0;
	CHECK(efd >= 0);
	CHECK(!fe_send_msg(&t.fe, VHOST_USER_SET_VRING_KICK, 0, &kick,
			   sizeof(kick), &efd, 1));
	t_vu_serve(&t);
	CHECK(t_resumes == 1);
	t_state_done(&t.c, -ECANCELED);
	close(t_state_fd);
	close(efd);
	close(p[0]);
	close(p[1]);
	t_vu_free(&t);
}

TEST(vhost_user_save_while_a_queue_runs_is_refused)
{
	struct vu_msg_device_state ds = { VHOST_USER_STATE_DIR_SAVE, 0 };
	struct t_vu t;
	uint64_t v = 0;
	int p[2];

	CHECK(!t_vu_init(&t));
	CHECK(!pipe(p));
	/* A front-end that does not stop its queues before it saves: the
	 * guest's frames would reach the flows while they are written
	 */
	CHECK(!t_rings_start(&t));
	CHECK(vu_ready(&t.c));
	t_state_fd = -1;
	CHECK(!t_state_fd_send(&t, &ds, p[1], &v));
	CHECK((v & 0xff) && (v & VHOST_USER_STATE_NO_FD));
	CHECK(t_state_fd < 0);
	CHECK(vu_ready(&t.c));
	close(p[0]);
	close(p[1]);
	t_vu_free(&t);
	t_guest_free(&t);
}

TEST(vhost_user_new_call_fd_of_a_running_queue_is_notified)
{
	uint64_t idx = VU_QUEUE_RX;
	eventfd_t v = 0;
	struct t_vu t;
	int efd;

	CHECK(!t_vu_init(&t));
	CHECK(!t_rings_start(&t));
	/* As QEMU after a failed migration: the queue runs, then the call
	 * fd the guest listens on comes; what went on the old one is lost
	 */
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(efd >= 0);
	CHECK(!fe_send_msg(&t.fe, VHOST_USER_SET_VRING_CALL, 0, &idx,
			   sizeof(idx), &efd, 1));
	t_vu_serve(&t);
	CHECK(!eventfd_read(efd, &v) && v == 1);
	CHECK(vu_ready(&t.c));
	close(efd);
	t_vu_free(&t);
	t_guest_free(&t);
}

TEST(vhost_user_unknown_state_direction_is_refused_not_fatal)
{
	struct vu_msg_device_state ds = { 7, 0 };
	struct t_vu t;
	uint64_t v = 0;
	int p[2];

	CHECK(!t_vu_init(&t));
	CHECK(!pipe(p));
	CHECK(!t_state_fd_send(&t, &ds, p[0], &v));
	CHECK((v & 0xff) && (v & VHOST_USER_STATE_NO_FD));
	CHECK(vu_ready(&t.c));
	close(p[0]);
	close(p[1]);
	t_vu_free(&t);
}

TEST(vhost_user_full_receive_ring_says_when_the_guest_offers_buffers)
{
	static uint8_t frame[64], got[FE_RXBUF_SIZE];
	struct iovec iov = { .iov_base = frame, .iov_len = sizeof(frame) };
	unsigned int sent = 0;
	struct t_vu t;

	CHECK(!t_vu_init(&t));
	CHECK(!t_rings_start(&t));
	t_kicks_serve(&t);
	t_rooms = 0;
	while (sent <= FE_QSIZE && !vu_send(&t.c, &iov, 1))
		sent++;
	CHECK(sent == FE_QSIZE);
	CHECK(vu_send(&t.c, &iov, 1) == -EAGAIN);
	CHECK(!t_kicks_serve(&t) && !t_rooms);

	/* The guest takes one frame in and offers its buffer again */
	CHECK(fe_rx_frame(&t.fe, got, sizeof(got)) == (ssize_t)sizeof(frame));
	CHECK(t_kicks_serve(&t) == 1 && t_rooms == 1);
	CHECK(!vu_send(&t.c, &iov, 1));
	CHECK(vu_send(&t.c, &iov, 1) == -EAGAIN);
	t_vu_free(&t);
	t_guest_free(&t);
}
