// SPDX-License-Identifier: GPL-2.0-or-later
/* vhost_user.c - the vhost-user back-end: QEMU's virtio-net talks to the
 *		  daemon directly through shared guest memory
 *
 * tap.c accepts the front-end's connection on the daemon's UNIX socket and
 * hands it over with vu_connect(). Messages are read without blocking, one
 * at a time (a message's fds arrive with its first bytes), checked against
 * a table row giving the payload size and fd count each request carries,
 * then handled. A malformed message closes the connection with one error
 * line naming the request and the field; a request the daemon does not
 * serve gets a log line and the answer the protocol defines, never a hang.
 *
 * One queue pair: frames from the guest's TX queue go up through the input
 * callback without their virtio-net header; frames for the guest go into RX
 * buffers with vu_send(), spread over several buffers when mergeable
 * receive buffers are negotiated.
 *
 * While the front-end has stopped a ring (GET_VRING_BASE) the daemon writes
 * nothing into guest memory for it and notifies nothing; it never sends a
 * message of its own at all, it only answers.
 *
 * The device state travels through the layer above (migrate.c), handed down
 * as a table of operations: this layer validates the request, gives the fd
 * away, and answers CHECK_DEVICE_STATE only once the transfer has ended.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "passt.h"
#include "util.h"
#include "vhost_user.h"
#include "vhost_user_msg.h"
#include "virtio.h"

#define VU_FEATURES	(BIT(VIRTIO_F_VERSION_1) |			\
			 BIT(VIRTIO_NET_F_MRG_RXBUF) |			\
			 BIT(VIRTIO_NET_F_MTU) |			\
			 BIT(VIRTIO_RING_F_EVENT_IDX) |			\
			 BIT(VIRTIO_RING_F_INDIRECT_DESC) |		\
			 BIT(VHOST_F_LOG_ALL) |				\
			 BIT(VHOST_USER_F_PROTOCOL_FEATURES))

#define VU_PROTOCOL_FEATURES	(BIT(VHOST_USER_PROTOCOL_F_LOG_SHMFD) |	\
				 BIT(VHOST_USER_PROTOCOL_F_RARP) |	\
				 BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
				 BIT(VHOST_USER_PROTOCOL_F_NET_MTU) |	\
				 BIT(VHOST_USER_PROTOCOL_F_DEVICE_STATE))

/* Largest frame from or to the guest: 64 KiB IP packet and Ethernet header */
#define VU_FRAME_MAX		(65535 + 14)
#define VU_NET_HDR_MAX		sizeof(struct virtio_net_hdr_mrg)
/* Receive buffers one frame may span, and buffers of a frame to the guest */
#define VU_RX_CHAINS_MAX	256
#define VU_SEND_IOV_MAX		64
/* Messages handled per wake-up, so that frames keep moving meanwhile */
#define VU_MSG_BUDGET		64

#define VU_SIZE_ANY		(-1)
#define VU_FDS_ANY		(-1)

/**
 * struct vu_queue - one virtqueue and what the front-end told about it
 * @vq:		the ring itself
 * @desc_uva:	descriptor table address (front-end's)
 * @avail_uva:	available ring address
 * @used_uva:	used ring address
 * @addr_set:	SET_VRING_ADDR was received
 * @kick_fd:	eventfd the driver kicks, or -1
 * @started:	kicked off by SET_VRING_KICK, not stopped by GET_VRING_BASE
 * @enabled:	SET_VRING_ENABLE said so (or no protocol features)
 */
struct vu_queue {
	struct virtq vq;
	uint64_t desc_uva;
	uint64_t avail_uva;
	uint64_t used_uva;
	bool addr_set;
	int kick_fd;
	bool started;
	bool enabled;
};

/**
 * struct vu_state - the device-state transfer
 * @ops:	operations of the layer above, or NULL: transfers refused
 * @running:	a transfer was started and has not ended
 * @done:	a transfer ended on this connection, @result holds its outcome
 * @result:	0 or negative error code of the last transfer
 * @check_pending: CHECK_DEVICE_STATE waits for the end of the transfer
 * @saving:	the last transfer started on this connection is a save
 * @saved:	a save succeeded on this connection and no ring started since:
 *		a ring starting now means the guest resumes here
 */
struct vu_state {
	const struct vu_device_state_ops *ops;
	bool running;
	bool done;
	int result;
	bool check_pending;
	bool saving;
	bool saved;
};

/**
 * struct vu_dev - the one vhost-user device
 * @fd:		connection to the front-end, or -1
 * @input:	where frames from the guest go
 * @room:	told when the guest offers receive buffers again
 * @features:	negotiated virtio features
 * @protocol_features: negotiated vhost-user protocol features
 * @hdr_len:	virtio-net header length for these features
 * @mtu:	MTU the front-end set with NET_SET_MTU, or 0
 * @mem:	guest memory and dirty log
 * @q:		the queues
 * @msg:	message being read
 * @state:	device-state transfer
 * @frame:	one frame from the TX queue, with its virtio-net header
 * @rx_chains:	receive buffers being filled with one frame
 */
static struct vu_dev {
	int fd;
	vu_frame_fn input;
	vu_room_fn room;
	uint64_t features;
	uint64_t protocol_features;
	size_t hdr_len;
	uint32_t mtu;
	struct vu_mem mem;
	struct vu_queue q[VU_QUEUES];
	struct vu_msg msg;
	struct vu_state state;
	uint8_t frame[VU_NET_HDR_MAX + VU_FRAME_MAX];
	struct virtq_chain rx_chains[VU_RX_CHAINS_MAX];
} vu = { .fd = -1 };

/* What a request handler tells the dispatcher to do next */
enum vu_action {
	VU_OK,		/* done: acknowledge success if asked to */
	VU_REFUSED,	/* not done, connection fine: acknowledge failure */
	VU_REPLY,	/* send the reply the handler filled in */
	VU_DEFER,	/* reply later, read nothing more meanwhile */
};

/**
 * struct vu_handler - how one request is checked and served
 * @name:	request name, for log messages
 * @fn:		handler: enum vu_action, or negative for a malformed message
 *		(already logged: the connection is closed)
 * @size:	payload size the request must have, or VU_SIZE_ANY
 * @fds:	number of fds it must carry, or VU_FDS_ANY
 */
struct vu_handler {
	const char *name;
	int (*fn)(struct ctx *c, struct vu_msg *m);
	int size;
	int fds;
};

static const struct vu_handler vu_handlers[VHOST_USER_REQUEST_MAX];

/**
 * vu_request_name() - name of a request, for log messages
 * @request:	request number
 *
 * Return: name, or "unknown"
 */
const char *vu_request_name(uint32_t request)
{
	if (request < ARRAY_SIZE(vu_handlers) && vu_handlers[request].name)
		return vu_handlers[request].name;
	return "unknown";
}

/**
 * vu_has_feature() - whether a virtio feature was negotiated
 * @bit:	feature bit
 *
 * Return: true if negotiated
 */
static bool vu_has_feature(unsigned int bit)
{
	return vu.features & BIT(bit);
}

/**
 * vu_has_protocol_feature() - whether a protocol feature was negotiated
 * @bit:	protocol feature bit
 *
 * Return: true if negotiated
 */
static bool vu_has_protocol_feature(unsigned int bit)
{
	/* Usable from SET_PROTOCOL_FEATURES on: QEMU sends it, and expects
	 * acknowledgements, before SET_FEATURES acks the feature bit
	 */
	return vu.protocol_features & BIT(bit);
}

/**
 * vu_queues_started() - whether any queue is started, not stopped since
 *
 * A save needs them all stopped: while one runs, the guest's frames reach
 * the flows the save is writing (the specification makes the front-end
 * stop them first, and QEMU does).
 *
 * Return: true if one is
 */
static bool vu_queues_started(void)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++)
		if (vu.q[i].started)
			return true;
	return false;
}

/**
 * vu_queue_running() - whether the daemon may use a queue now
 * @vq:		queue
 *
 * Return: true if started, enabled, and its rings are mapped
 */
static bool vu_queue_running(const struct vu_queue *vq)
{
	return vq->started && vq->enabled && vq->vq.desc;
}

/**
 * vu_kick_stop() - stop watching a queue's kick eventfd, and close it
 * @c:		execution context
 * @vq:		queue
 */
static void vu_kick_stop(const struct ctx *c, struct vu_queue *vq)
{
	if (vq->kick_fd >= 0)
		epoll_del_fd(c, vq->kick_fd);
	fd_close(&vq->kick_fd);
}

/**
 * vu_queue_reset() - forget everything about a queue
 * @c:		execution context
 * @vq:		queue
 */
static void vu_queue_reset(const struct ctx *c, struct vu_queue *vq)
{
	vu_kick_stop(c, vq);
	fd_close(&vq->vq.call_fd);
	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = -1;
	vq->vq.call_fd = -1;
}

/**
 * vu_dev_reset() - reset the device: rings, memory, log and features
 * @c:		execution context
 */
static void vu_dev_reset(const struct ctx *c)
{
	unsigned int i;

	for (i = 0; i < VU_QUEUES; i++)
		vu_queue_reset(c, &vu.q[i]);
	vu_mem_unmap(&vu.mem);
	vu_log_unmap(&vu.mem);
	fd_close(&vu.mem.log_fd);
	vu.mem.log_on = false;
	vu.mem.log_kick = false;
	vu.features = vu.protocol_features = 0;
	vu.hdr_len = sizeof(struct virtio_net_hdr_mrg) - sizeof(uint16_t);
	vu.mtu = 0;
}

/**
 * vu_queue_get() - the queue a message refers to
 * @m:		message
 * @index:	queue index from the payload
 *
 * Return: queue, or NULL (logged) if the index is out of range
 */
static struct vu_queue *vu_queue_get(const struct vu_msg *m, uint32_t index)
{
	if (index >= VU_QUEUES) {
		err("vhost-user: %s: queue index %u out of range (%u queues)",
		    vu_request_name(m->hdr.request), index, VU_QUEUES);
		return NULL;
	}
	return &vu.q[index];
}

/**
 * vu_reply_u64() - set a u64 reply
 * @m:		message
 * @v:		value
 *
 * Return: VU_REPLY
 */
static int vu_reply_u64(struct vu_msg *m, uint64_t v)
{
	m->reply.u64 = v;
	m->reply_size = sizeof(v);
	return VU_REPLY;
}

/**
 * vu_get_u64() - GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM: what
 *		  the daemon offers
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_REPLY
 */
static int vu_get_u64(struct ctx *c, struct vu_msg *m)
{
	static const uint64_t offer[] = {
		[VHOST_USER_GET_FEATURES] = VU_FEATURES,
		[VHOST_USER_GET_PROTOCOL_FEATURES] = VU_PROTOCOL_FEATURES,
		[VHOST_USER_GET_QUEUE_NUM] = VU_QUEUES / 2,
	};

	(void)c;
	return vu_reply_u64(m, offer[m->hdr.request]);
}

/**
 * vu_set_features() - SET_FEATURES: the features the driver accepted
 * @c:		execution context
 * @m:		message
 *
 * Also sent while running, to switch dirty logging (VHOST_F_LOG_ALL).
 *
 * Return: VU_OK
 */
static int vu_set_features(struct ctx *c, struct vu_msg *m)
{
	uint64_t f = m->p.u64;
	unsigned int i;

	(void)c;
	if (f & ~VU_FEATURES) {
		warn("vhost-user: SET_FEATURES: ignoring features 0x%llx "
		     "that were not offered",
		     (unsigned long long)(f & ~VU_FEATURES));
		f &= VU_FEATURES;
	}
	vu.features = f;
	vu.hdr_len = sizeof(struct virtio_net_hdr_mrg);
	if (!vu_has_feature(VIRTIO_F_VERSION_1) &&
	    !vu_has_feature(VIRTIO_NET_F_MRG_RXBUF))
		vu.hdr_len -= sizeof(uint16_t);
	vu.mem.log_on = vu_has_feature(VHOST_F_LOG_ALL);
	for (i = 0; i < VU_QUEUES; i++)
		vu.q[i].vq.event_idx = vu_has_feature(VIRTIO_RING_F_EVENT_IDX);
	debug("vhost-user: features 0x%llx, dirty logging %s",
	      (unsigned long long)f, vu.mem.log_on ? "on" : "off");
	return VU_OK;
}

/**
 * vu_set_protocol_features() - SET_PROTOCOL_FEATURES
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK
 */
static int vu_set_protocol_features(struct ctx *c, struct vu_msg *m)
{
	uint64_t f = m->p.u64;

	(void)c;
	if (f & ~VU_PROTOCOL_FEATURES) {
		warn("vhost-user: SET_PROTOCOL_FEATURES: ignoring 0x%llx that "
		     "were not offered",
		     (unsigned long long)(f & ~VU_PROTOCOL_FEATURES));
		f &= VU_PROTOCOL_FEATURES;
	}
	vu.protocol_features = f;
	return VU_OK;
}

/**
 * vu_set_owner() - SET_OWNER: nothing to do, the connection is the session
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK
 */
static int vu_set_owner(struct ctx *c, struct vu_msg *m)
{
	(void)c;
	(void)m;
	return VU_OK;
}

/**
 * vu_reset() - RESET_OWNER, RESET_DEVICE: back to the state of a new connection
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK
 */
static int vu_reset(struct ctx *c, struct vu_msg *m)
{
	debug("vhost-user: %s: device reset", vu_request_name(m->hdr.request));
	vu_dev_reset(c);
	return VU_OK;
}

/**
 * vu_queue_start() - map a started queue's rings, and get it going
 * @c:		execution context
 * @vq:		queue, started
 * @index:	its index, for log messages
 *
 * Return: 0 on success, -1 (logged) if the rings are outside guest memory
 */
static int vu_queue_start(const struct ctx *c, struct vu_queue *vq,
			  unsigned int index)
{
	(void)c;
	if (!vq->vq.num || !vq->addr_set) {
		err("vhost-user: queue %u started without size or address",
		    index);
		return -1;
	}
	if (virtq_start(&vq->vq, &vu.mem, vq->desc_uva, vq->avail_uva,
			vq->used_uva)) {
		err("vhost-user: queue %u: rings at 0x%llx, 0x%llx, 0x%llx "
		    "(size %u) outside every memory region, or misaligned",
		    index, (unsigned long long)vq->desc_uva,
		    (unsigned long long)vq->avail_uva,
		    (unsigned long long)vq->used_uva, vq->vq.num);
		return -1;
	}
	/* Chains may be waiting already (after a migration): look now */
	if (index == VU_QUEUE_TX && vq->kick_fd >= 0)
		eventfd_write(vq->kick_fd, 1);
	return 0;
}

/**
 * vu_set_mem_table() - SET_MEM_TABLE: map the guest memory regions
 * @c:		execution context
 * @m:		message, with one fd a region
 *
 * Return: VU_OK, or -1 (logged) for a malformed table
 */
static int vu_set_mem_table(struct ctx *c, struct vu_msg *m)
{
	const struct vu_msg_mem *t = &m->p.mem;
	struct vu_mem fresh = { 0 };
	unsigned int i;

	if (m->hdr.size < offsetof(struct vu_msg_mem, regions) ||
	    !t->nregions || t->nregions > VHOST_USER_FDS_MAX ||
	    m->hdr.size != offsetof(struct vu_msg_mem, regions) +
			   t->nregions * sizeof(t->regions[0])) {
		err("vhost-user: SET_MEM_TABLE: payload size %u does not fit "
		    "region count %u", m->hdr.size,
		    m->hdr.size >= sizeof(uint32_t) ? t->nregions : 0);
		return -1;
	}
	if (m->nfds != t->nregions) {
		err("vhost-user: SET_MEM_TABLE: %u fds for %u regions",
		    m->nfds, t->nregions);
		return -1;
	}
	for (i = 0; i < t->nregions; i++) {
		const struct vu_msg_region *r = &t->regions[i];
		char what[64];

		snprintf(what, sizeof(what),
			 "vhost-user: SET_MEM_TABLE: region %u", i);
		if (vu_region_map(&fresh.regions[i], r->gpa, r->size, r->uva,
				  r->mmap_offset, m->fds[i], what)) {
			vu_mem_unmap(&fresh);
			return -1;
		}
		fresh.nregions++;
		debug("vhost-user: region %u: guest 0x%llx-0x%llx", i,
		      (unsigned long long)t->regions[i].gpa,
		      (unsigned long long)(t->regions[i].gpa +
					   t->regions[i].size - 1));
	}

	vu_mem_unmap(&vu.mem);
	memcpy(vu.mem.regions, fresh.regions, sizeof(fresh.regions));
	vu.mem.nregions = fresh.nregions;
	for (i = 0; i < VU_QUEUES; i++) {
		struct vu_queue *vq = &vu.q[i];

		vq->vq.desc = NULL;
		vq->vq.avail = NULL;
		vq->vq.used = NULL;
		if (vq->started && vu_queue_start(c, vq, i))
			return -1;
	}
	return VU_OK;
}

/**
 * vu_set_log_base() - SET_LOG_BASE: map the dirty-page log
 * @c:		execution context
 * @m:		message, with the log's fd
 *
 * Return: VU_REPLY (an empty u64), or -1 (logged) for a bad log
 */
static int vu_set_log_base(struct ctx *c, struct vu_msg *m)
{
	(void)c;
	if (vu_log_map(&vu.mem, m->fds[0], m->p.log.size, m->p.log.offset,
		       "vhost-user: SET_LOG_BASE"))
		return -1;
	debug("vhost-user: dirty log of %llu bytes",
	      (unsigned long long)m->p.log.size);
	return vu_reply_u64(m, 0);
}

/**
 * vu_set_log_fd() - SET_LOG_FD: the eventfd to kick after marking the log
 * @c:		execution context
 * @m:		message, with the eventfd
 *
 * Return: VU_OK, or -1 (logged) for a payload of the wrong size
 */
static int vu_set_log_fd(struct ctx *c, struct vu_msg *m)
{
	(void)c;
	if (m->hdr.size && m->hdr.size != sizeof(uint64_t)) {
		err("vhost-user: SET_LOG_FD: payload size %u, expected 0 or 8",
		    m->hdr.size);
		return -1;
	}
	fd_close(&vu.mem.log_fd);
	vu.mem.log_fd = vu_msg_fd_take(m);
	fd_set_nonblock(vu.mem.log_fd);
	return VU_OK;
}

/**
 * vu_queue_stopped() - get a queue that must be stopped for this request
 * @m:		message, its payload starting with a queue index
 *
 * Return: queue, or NULL (logged) if out of range or running
 */
static struct vu_queue *vu_queue_stopped(const struct vu_msg *m)
{
	struct vu_queue *vq = vu_queue_get(m, m->p.state.index);

	if (vq && vq->started) {
		err("vhost-user: %s: queue %u is running",
		    vu_request_name(m->hdr.request), m->p.state.index);
		return NULL;
	}
	return vq;
}

/**
 * vu_set_vring_num() - SET_VRING_NUM: the size of a queue
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK, or -1 (logged) for a bad queue or size
 */
static int vu_set_vring_num(struct ctx *c, struct vu_msg *m)
{
	struct vu_queue *vq = vu_queue_stopped(m);
	uint32_t num = m->p.state.num;

	(void)c;
	if (!vq)
		return -1;
	if (!num || num > VIRTQ_SIZE_MAX || (num & (num - 1))) {
		err("vhost-user: SET_VRING_NUM: queue %u: size %u is not a "
		    "power of two from 1 to %u", m->p.state.index, num,
		    VIRTQ_SIZE_MAX);
		return -1;
	}
	vq->vq.num = (uint16_t)num;
	return VU_OK;
}

/**
 * vu_set_vring_base() - SET_VRING_BASE: where a queue resumes
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK, or -1 (logged) for a bad queue or index
 */
static int vu_set_vring_base(struct ctx *c, struct vu_msg *m)
{
	struct vu_queue *vq = vu_queue_stopped(m);

	(void)c;
	if (!vq)
		return -1;
	if (m->p.state.num > UINT16_MAX) {
		err("vhost-user: SET_VRING_BASE: queue %u: index %u exceeds "
		    "16 bits", m->p.state.index, m->p.state.num);
		return -1;
	}
	vq->vq.last_avail = vq->vq.used_idx = (uint16_t)m->p.state.num;
	return VU_OK;
}

/**
 * vu_get_vring_base() - GET_VRING_BASE: stop a queue, say where it stopped
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_REPLY, or -1 (logged) for a bad queue
 */
static int vu_get_vring_base(struct ctx *c, struct vu_msg *m)
{
	struct vu_queue *vq = vu_queue_get(m, m->p.state.index);

	if (!vq)
		return -1;
	vu_kick_stop(c, vq);
	vq->started = false;
	m->reply.state.index = m->p.state.index;
	m->reply.state.num = vq->vq.last_avail;
	m->reply_size = sizeof(m->reply.state);
	debug("vhost-user: queue %u stopped at %u", m->p.state.index,
	      vq->vq.last_avail);
	return VU_REPLY;
}

/**
 * vu_set_vring_addr() - SET_VRING_ADDR: where a queue's rings are
 * @c:		execution context
 * @m:		message
 *
 * Also sent on a running queue, to switch logging of its used ring.
 *
 * Return: VU_OK, or -1 (logged) for a bad queue or addresses
 */
static int vu_set_vring_addr(struct ctx *c, struct vu_msg *m)
{
	const struct vu_msg_addr *a = &m->p.addr;
	struct vu_queue *vq = vu_queue_get(m, a->index);
	struct virtq check;

	if (!vq)
		return -1;
	if (a->flags & ~BIT(VHOST_VRING_F_LOG)) {
		err("vhost-user: SET_VRING_ADDR: queue %u: unknown flags 0x%x",
		    a->index, a->flags);
		return -1;
	}
	if (vq->vq.num) {
		check = vq->vq;
		if (virtq_start(&check, &vu.mem, a->desc_uva, a->avail_uva,
				a->used_uva)) {
			err("vhost-user: SET_VRING_ADDR: queue %u: address "
			    "0x%llx, 0x%llx or 0x%llx (size %u) outside every "
			    "memory region, or misaligned", a->index,
			    (unsigned long long)a->desc_uva,
			    (unsigned long long)a->avail_uva,
			    (unsigned long long)a->used_uva, vq->vq.num);
			return -1;
		}
	}
	vq->desc_uva = a->desc_uva;
	vq->avail_uva = a->avail_uva;
	vq->used_uva = a->used_uva;
	vq->addr_set = true;
	vq->vq.log_used = a->flags & BIT(VHOST_VRING_F_LOG);
	vq->vq.log_gpa = a->log_gpa;
	if (vq->started) {
		vq->vq.desc = vu_uva_to_host(&vu.mem, a->desc_uva,
					     VRING_DESC_SIZE(vq->vq.num));
		vq->vq.avail = vu_uva_to_host(&vu.mem, a->avail_uva,
					      VRING_AVAIL_SIZE(vq->vq.num));
		vq->vq.used = vu_uva_to_host(&vu.mem, a->used_uva,
					     VRING_USED_SIZE(vq->vq.num));
	}
	(void)c;
	return VU_OK;
}

/**
 * vu_vring_fd_get() - queue and optional fd of SET_VRING_KICK, _CALL, _ERR
 * @m:		message
 * @fd:		the fd, taken from the message, or -1 if "no fd" was set
 *
 * Return: queue, or NULL (logged) for a bad index, flags or fd count
 */
static struct vu_queue *vu_vring_fd_get(struct vu_msg *m, int *fd)
{
	uint64_t v = m->p.u64;
	bool nofd = v & VHOST_USER_VRING_NOFD;
	const char *name = vu_request_name(m->hdr.request);

	*fd = -1;
	if (v & ~(uint64_t)(VHOST_USER_VRING_IDX_MASK | VHOST_USER_VRING_NOFD)) {
		err("vhost-user: %s: unknown bits in 0x%llx", name,
		    (unsigned long long)v);
		return NULL;
	}
	if (m->nfds != (nofd ? 0U : 1U)) {
		err("vhost-user: %s: %u fds, expected %u", name, m->nfds,
		    nofd ? 0 : 1);
		return NULL;
	}
	*fd = nofd ? -1 : vu_msg_fd_take(m);
	if (*fd >= 0)
		fd_set_nonblock(*fd);
	return vu_queue_get(m, v & VHOST_USER_VRING_IDX_MASK);
}

/**
 * vu_set_vring_kick() - SET_VRING_KICK: the driver's kick eventfd; starts
 *			 the queue
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK, VU_REFUSED without an fd (polling is not supported), or -1
 *	   (logged) for a malformed message or rings outside guest memory
 */
static int vu_set_vring_kick(struct ctx *c, struct vu_msg *m)
{
	unsigned int index = m->p.u64 & VHOST_USER_VRING_IDX_MASK;
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_KICK };
	struct vu_queue *vq;
	int fd;

	vq = vu_vring_fd_get(m, &fd);
	if (!vq) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	vu_kick_stop(c, vq);
	if (fd < 0) {
		warn("vhost-user: SET_VRING_KICK: queue %u without a kick fd: "
		     "polling is not supported, queue stays stopped", index);
		vq->started = false;
		return VU_REFUSED;
	}
	ref.fd = fd;
	ref.index = index;
	if (epoll_add_ref(c, fd, EPOLLIN, ref)) {
		err("vhost-user: SET_VRING_KICK: cannot watch kick fd");
		close(fd);
		return -1;
	}
	vq->kick_fd = fd;
	vq->started = true;
	if (vu.state.saved || (vu.state.running && vu.state.saving)) {
		/* QEMU resumes the VM here: the migration failed further on,
		 * possibly before this side's save even ended (a target that
		 * refused the stream at once)
		 */
		info("vhost-user: rings started again %s the device state "
		     "was saved: the guest resumes here",
		     vu.state.saved ? "after" : "while");
		vu.state.saved = false;
		if (vu.state.ops->resumed)
			vu.state.ops->resumed(c);
	}
	if (!vu_has_feature(VHOST_USER_F_PROTOCOL_FEATURES))
		vq->enabled = true;
	if (vu_queue_start(c, vq, index))
		return -1;
	debug("vhost-user: queue %u started at %u, size %u", index,
	      vq->vq.last_avail, vq->vq.num);
	return VU_OK;
}

/**
 * vu_set_vring_call() - SET_VRING_CALL: the eventfd that notifies the driver
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK, or -1 (logged) for a malformed message
 */
static int vu_set_vring_call(struct ctx *c, struct vu_msg *m)
{
	struct vu_queue *vq;
	int fd;

	(void)c;
	vq = vu_vring_fd_get(m, &fd);
	if (!vq) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fd_close(&vq->vq.call_fd);
	vq->vq.call_fd = fd;
	/* QEMU starts a queue (SET_VRING_KICK) before it gives the call fd
	 * the guest listens on, and drops what came on the previous one: a
	 * notification sent in between is lost, and with EVENT_IDX the
	 * driver would never be notified again (it waits for an index
	 * already passed). Notify once on the new fd; a notification too
	 * many only makes the driver look at its used ring.
	 */
	vq->vq.signalled_valid = false;
	if (vq->started && fd >= 0)
		eventfd_write(fd, 1);
	return VU_OK;
}

/**
 * vu_set_vring_err() - SET_VRING_ERR: the daemon reports no errors this way
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK, or -1 (logged) for a malformed message
 */
static int vu_set_vring_err(struct ctx *c, struct vu_msg *m)
{
	int fd;

	(void)c;
	if (!vu_vring_fd_get(m, &fd)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return VU_OK;
}

/**
 * vu_set_vring_enable() - SET_VRING_ENABLE: let a queue run, or pause it
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK, or -1 (logged) for a bad queue or value
 */
static int vu_set_vring_enable(struct ctx *c, struct vu_msg *m)
{
	struct vu_queue *vq = vu_queue_get(m, m->p.state.index);

	if (!vq)
		return -1;
	if (m->p.state.num > 1) {
		err("vhost-user: SET_VRING_ENABLE: queue %u: value %u is "
		    "neither 0 nor 1", m->p.state.index, m->p.state.num);
		return -1;
	}
	vq->enabled = m->p.state.num;
	if (vq->enabled && m->p.state.index == VU_QUEUE_TX &&
	    vu_queue_running(vq))
		eventfd_write(vq->kick_fd, 1);
	(void)c;
	return VU_OK;
}

/**
 * vu_send_rarp() - SEND_RARP: announce the guest after a migration
 * @c:		execution context
 * @m:		message, the guest's MAC address in the first six bytes
 *
 * The daemon has no Ethernet segment where stale forwarding entries could
 * live: there is nobody to announce to.
 *
 * Return: VU_OK
 */
static int vu_send_rarp(struct ctx *c, struct vu_msg *m)
{
	char buf[MAC_STRLEN];

	(void)c;
	debug("vhost-user: SEND_RARP for %s: nothing to announce",
	      mac_ntop(m->p.raw, buf, sizeof(buf)));
	return VU_OK;
}

/**
 * vu_net_set_mtu() - NET_SET_MTU: the MTU QEMU advertises to the guest
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_OK, or VU_REFUSED for an MTU outside 68 to 65535
 */
static int vu_net_set_mtu(struct ctx *c, struct vu_msg *m)
{
	(void)c;
	if (m->p.u64 < 68 || m->p.u64 > 65535) {
		warn("vhost-user: NET_SET_MTU: refusing MTU %llu",
		     (unsigned long long)m->p.u64);
		return VU_REFUSED;
	}
	vu.mtu = (uint32_t)m->p.u64;
	info("vhost-user: front-end MTU %u", vu.mtu);
	return VU_OK;
}

/**
 * vu_state_checked() - CHECK_DEVICE_STATE is answered now: its value, and
 *			with --migrate-exit, exit after a successful save
 * @c:		execution context
 *
 * Return: 0 if the last transfer on this connection succeeded, else 1
 */
static uint64_t vu_state_checked(struct ctx *c)
{
	bool ok = vu.state.done && !vu.state.result;

	if (ok && vu.state.saving && c->migrate_exit) {
		info("vhost-user: device state saved, exiting (--migrate-exit)");
		c->exiting = true;
	}
	return ok ? 0 : 1;
}

/**
 * vu_state_done() - the device-state transfer ended: answer a pending check
 * @c:		execution context
 * @result:	0 on success, negative error code on failure
 */
static void vu_state_done(struct ctx *c, int result)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_CMD, .fd = vu.fd };
	struct vu_msg *m = &vu.msg;

	if (!vu.state.running)
		return;
	vu.state.running = false;
	vu.state.done = vu.fd >= 0;
	vu.state.result = result;
	vu.state.saved = vu.state.done && vu.state.saving && !result;
	info("vhost-user: device state transfer %s%s%s",
	     result ? "failed: " : "succeeded", result ? strerror(-result) : "",
	     vu.fd < 0 ? " (front-end gone)" : "");
	if (!vu.state.check_pending)
		return;

	vu.state.check_pending = false;
	m->hdr.request = VHOST_USER_CHECK_DEVICE_STATE;
	vu_reply_u64(m, vu_state_checked(c));
	if (vu_msg_reply_send(vu.fd, m) ||
	    epoll_mod_ref(c, vu.fd, EPOLLIN | EPOLLRDHUP, ref))
		vu_disconnect(c);
}

/**
 * vu_set_device_state_fd() - SET_DEVICE_STATE_FD: start moving the state
 * @c:		execution context
 * @m:		message, with the pipe's fd
 *
 * Return: VU_REPLY: bit 8 set (no fd of our own), bits 0-7 zero if started
 */
static int vu_set_device_state_fd(struct ctx *c, struct vu_msg *m)
{
	uint32_t dir = m->p.device_state.direction;
	uint32_t phase = m->p.device_state.phase;
	const char *why = NULL;
	int fd, ret;

	if (dir != VHOST_USER_STATE_DIR_SAVE &&
	    dir != VHOST_USER_STATE_DIR_LOAD)
		why = "unknown direction";
	else if (phase != VHOST_USER_STATE_PHASE_STOPPED)
		why = "unknown phase";
	else if (!vu_has_protocol_feature(VHOST_USER_PROTOCOL_F_DEVICE_STATE))
		why = "device state feature not negotiated";
	else if (!vu.state.ops)
		why = "no migration support";
	else if (vu.state.running)
		why = "a transfer is already running";
	else if (dir == VHOST_USER_STATE_DIR_SAVE && vu_queues_started())
		why = "a queue still runs (the front-end must stop every queue, GET_VRING_BASE, before it saves)";
	if (why) {
		warn("vhost-user: SET_DEVICE_STATE_FD: direction %u, phase %u "
		     "refused: %s", dir, phase, why);
		return vu_reply_u64(m, VHOST_USER_STATE_NO_FD | 1);
	}

	info("vhost-user: device state %s started",
	     dir == VHOST_USER_STATE_DIR_SAVE ? "save" : "load");
	fd = vu_msg_fd_take(m);
	vu.state.running = true;
	vu.state.done = false;
	vu.state.saved = false;
	vu.state.saving = dir == VHOST_USER_STATE_DIR_SAVE;
	ret = vu.state.ops->start(c, fd, (int)dir, vu_state_done);
	if (ret < 0) {
		vu.state.running = false;
		warn("vhost-user: SET_DEVICE_STATE_FD: transfer not started: "
		     "%s", strerror(-ret));
		return vu_reply_u64(m, VHOST_USER_STATE_NO_FD | 1);
	}
	return vu_reply_u64(m, VHOST_USER_STATE_NO_FD);
}

/**
 * vu_check_device_state() - CHECK_DEVICE_STATE: the transfer's result
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_REPLY with 0 if the transfer succeeded, nonzero if it failed
 *	   or none ran; VU_DEFER while it is still running
 */
static int vu_check_device_state(struct ctx *c, struct vu_msg *m)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_CMD, .fd = vu.fd };

	if (vu.state.running) {
		debug("vhost-user: CHECK_DEVICE_STATE waits for the transfer");
		vu.state.check_pending = true;
		/* Only hang-ups from now until the answer */
		epoll_mod_ref(c, vu.fd, 0, ref);
		return VU_DEFER;
	}
	return vu_reply_u64(m, vu_state_checked(c));
}

/**
 * vu_unsupported() - a request the daemon does not serve, without reply
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_REFUSED: failure is acknowledged if the front-end asked
 */
static int vu_unsupported(struct ctx *c, struct vu_msg *m)
{
	(void)c;
	warn("vhost-user: request %u (%s) not supported, ignored",
	     m->hdr.request, vu_request_name(m->hdr.request));
	return VU_REFUSED;
}

/**
 * vu_unsupported_get() - a request with a reply that the daemon does not
 *			  serve: an empty reply, which front-ends take as
 *			  failure
 * @c:		execution context
 * @m:		message
 *
 * Return: VU_REPLY
 */
static int vu_unsupported_get(struct ctx *c, struct vu_msg *m)
{
	(void)c;
	warn("vhost-user: request %u (%s) not supported, empty reply",
	     m->hdr.request, vu_request_name(m->hdr.request));
	m->reply_size = 0;
	return VU_REPLY;
}

static const struct vu_handler vu_handlers[VHOST_USER_REQUEST_MAX] = {
#define VU_ROW(req, fn, size, fds)					\
	[VHOST_USER_##req] = { #req, fn, size, fds }
	VU_ROW(GET_FEATURES, vu_get_u64, 0, 0),
	VU_ROW(SET_FEATURES, vu_set_features, 8, 0),
	VU_ROW(SET_OWNER, vu_set_owner, 0, 0),
	VU_ROW(RESET_OWNER, vu_reset, 0, 0),
	VU_ROW(SET_MEM_TABLE, vu_set_mem_table, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(SET_LOG_BASE, vu_set_log_base, 16, 1),
	VU_ROW(SET_LOG_FD, vu_set_log_fd, VU_SIZE_ANY, 1),
	VU_ROW(SET_VRING_NUM, vu_set_vring_num, 8, 0),
	VU_ROW(SET_VRING_ADDR, vu_set_vring_addr, 40, 0),
	VU_ROW(SET_VRING_BASE, vu_set_vring_base, 8, 0),
	VU_ROW(GET_VRING_BASE, vu_get_vring_base, 8, 0),
	VU_ROW(SET_VRING_KICK, vu_set_vring_kick, 8, VU_FDS_ANY),
	VU_ROW(SET_VRING_CALL, vu_set_vring_call, 8, VU_FDS_ANY),
	VU_ROW(SET_VRING_ERR, vu_set_vring_err, 8, VU_FDS_ANY),
	VU_ROW(GET_PROTOCOL_FEATURES, vu_get_u64, 0, 0),
	VU_ROW(SET_PROTOCOL_FEATURES, vu_set_protocol_features, 8, 0),
	VU_ROW(GET_QUEUE_NUM, vu_get_u64, 0, 0),
	VU_ROW(SET_VRING_ENABLE, vu_set_vring_enable, 8, 0),
	VU_ROW(SEND_RARP, vu_send_rarp, 8, 0),
	VU_ROW(NET_SET_MTU, vu_net_set_mtu, 8, 0),
	VU_ROW(SET_BACKEND_REQ_FD, vu_unsupported, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(IOTLB_MSG, vu_unsupported, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(SET_VRING_ENDIAN, vu_unsupported, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(GET_CONFIG, vu_unsupported_get, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(SET_CONFIG, vu_unsupported, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(POSTCOPY_ADVISE, vu_unsupported_get, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(GET_INFLIGHT_FD, vu_unsupported_get, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(SET_INFLIGHT_FD, vu_unsupported, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(RESET_DEVICE, vu_reset, 0, 0),
	VU_ROW(GET_MAX_MEM_SLOTS, vu_unsupported_get, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(ADD_MEM_REG, vu_unsupported, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(REM_MEM_REG, vu_unsupported, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(SET_STATUS, vu_unsupported, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(GET_STATUS, vu_unsupported_get, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(GET_SHARED_OBJECT, vu_unsupported_get, VU_SIZE_ANY, VU_FDS_ANY),
	VU_ROW(SET_DEVICE_STATE_FD, vu_set_device_state_fd, 8, 1),
	VU_ROW(CHECK_DEVICE_STATE, vu_check_device_state, 0, 0),
#undef VU_ROW
};

/**
 * vu_msg_check() - check a message's size and fds against its table row
 * @m:		complete message
 * @h:		its table row
 *
 * Return: 0 if they match, -1 (logged) if not
 */
static int vu_msg_check(const struct vu_msg *m, const struct vu_handler *h)
{
	if (m->fds_bad) {
		err("vhost-user: %s: more than %u fds, or fds lost",
		    h->name, VHOST_USER_FDS_MAX);
		return -1;
	}
	if (h->size != VU_SIZE_ANY && m->hdr.size != (uint32_t)h->size) {
		err("vhost-user: %s: payload size %u, expected %d",
		    h->name, m->hdr.size, h->size);
		return -1;
	}
	if (h->fds != VU_FDS_ANY && m->nfds != (unsigned int)h->fds) {
		err("vhost-user: %s: %u fds, expected %d", h->name, m->nfds,
		    h->fds);
		return -1;
	}
	return 0;
}

/**
 * vu_msg_dispatch() - serve one complete message
 * @c:		execution context
 * @m:		message
 *
 * Return: 0 to go on reading, 1 to stop reading (reply deferred), -1 to
 *	   close the connection (logged)
 */
static int vu_msg_dispatch(struct ctx *c, struct vu_msg *m)
{
	const struct vu_handler *h = NULL;
	int action;

	trace("vhost-user: %s (%u), %u bytes, %u fds",
	      vu_request_name(m->hdr.request), m->hdr.request, m->hdr.size,
	      m->nfds);
	if (m->hdr.request < ARRAY_SIZE(vu_handlers))
		h = &vu_handlers[m->hdr.request];
	if (!h || !h->fn) {
		warn("vhost-user: unknown request %u ignored", m->hdr.request);
		action = VU_REFUSED;
	} else if (vu_msg_check(m, h)) {
		return -1;
	} else {
		m->reply_size = 0;
		action = h->fn(c, m);
	}

	if (action < 0)
		return -1;
	if (action == VU_DEFER)
		return 1;
	if (action != VU_REPLY) {
		if (!(m->hdr.flags & VHOST_USER_F_NEED_REPLY) ||
		    !vu_has_protocol_feature(VHOST_USER_PROTOCOL_F_REPLY_ACK))
			return 0;
		vu_reply_u64(m, action == VU_REFUSED ? 1 : 0);
	}
	return vu_msg_reply_send(vu.fd, m);
}

/**
 * vu_cmd_handler() - the front-end's connection is readable, or hung up
 * @c:		execution context
 * @ref:	epoll reference
 * @events:	epoll events
 */
void vu_cmd_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	struct vu_msg *m = &vu.msg;
	int budget = VU_MSG_BUDGET;

	if (ref.fd != vu.fd)
		return;
	if (vu.state.check_pending) {
		if (events & (EPOLLHUP | EPOLLERR))
			vu_disconnect(c);
		return;
	}
	while (vu.fd >= 0 && budget--) {
		int ret = vu_msg_read(vu.fd, m);

		if (ret == 0)
			return;
		if (ret > 0) {
			ret = vu_msg_dispatch(c, m);
			vu_msg_fds_close(m);
			m->len = 0;
		}
		if (ret < 0) {
			vu_disconnect(c);
			return;
		}
		if (ret > 0)
			return;
	}
}

/**
 * vu_tx_frame() - pass one chain from the TX queue up as a frame
 * @opaque:	execution context
 * @chain:	chain, taken from the queue and given back once this returns
 */
static void vu_tx_frame(void *opaque, const struct virtq_chain *chain)
{
	ssize_t len = virtq_chain_read(&vu.mem, chain, vu.frame,
				       sizeof(vu.frame));

	if (len < 0) {
		err_ratelimit("vhost-user: TX chain %u: %s", chain->head,
			      len == -EMSGSIZE ? "frame too large" :
			      "buffer outside guest memory");
		return;
	}
	if ((size_t)len < vu.hdr_len + 14) {
		debug("vhost-user: TX chain %u: %zd bytes, too short",
		      chain->head, len);
		return;
	}
	if (vu.input)
		vu.input(opaque, vu.frame + vu.hdr_len, (size_t)len - vu.hdr_len);
}

/**
 * vu_tx_process() - take the frames the guest queued for sending
 * @c:		execution context
 *
 * At most one ring's worth per call: if more is left, the queue's own kick
 * fd is written so that the loop comes back after serving other fds.
 */
static void vu_tx_process(struct ctx *c)
{
	struct vu_queue *vq = &vu.q[VU_QUEUE_TX];
	static struct virtq_chain chain;

	if (!vu_queue_running(vq))
		return;
	if (virtq_drain(&vq->vq, &vu.mem, &chain, vu_tx_frame, c))
		eventfd_write(vq->kick_fd, 1);
	vu_log_kick(&vu.mem);
}

/**
 * vu_kick_handler() - the driver kicked a queue: frames to take on TX, new
 *		      receive buffers on RX
 * @c:		execution context
 * @ref:	epoll reference, index is the queue
 * @events:	epoll events
 */
void vu_kick_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	uint64_t v;

	(void)events;
	if (ref.index >= VU_QUEUES || ref.fd != vu.q[ref.index].kick_fd)
		return;
	if (read(ref.fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		debug("vhost-user: kick read: %s", strerror(errno));
	if (ref.index == VU_QUEUE_TX)
		vu_tx_process(c);
	else if (vu.room)
		vu.room(c);
}

/**
 * vu_send() - place one frame into the guest's receive buffers
 * @c:		execution context
 * @iov:	frame buffers, starting with the Ethernet header
 * @cnt:	number of buffers
 *
 * Return: 0 on success, -EAGAIN if the queue is stopped or has too few
 *	   buffers (the frame is dropped), -EMSGSIZE, -EINVAL or -EIO
 */
int vu_send(const struct ctx *c, const struct iovec *iov, size_t cnt)
{
	struct vu_queue *vq = &vu.q[VU_QUEUE_RX];
	struct virtio_net_hdr_mrg hdr = { 0 };
	struct iovec v[VU_SEND_IOV_MAX + 1];
	struct iov_pos src = { .iov = v, .cnt = cnt + 1 };
	size_t len = 0, i;
	int n;

	(void)c;
	if (vu.fd < 0 || !vu_queue_running(vq))
		return -EAGAIN;
	if (cnt > VU_SEND_IOV_MAX)
		return -EINVAL;
	for (i = 0; i < cnt; i++) {
		v[i + 1] = iov[i];
		len += iov[i].iov_len;
	}
	if (len > VU_FRAME_MAX)
		return -EMSGSIZE;

	n = virtq_rx_collect(&vq->vq, &vu.mem, vu.rx_chains,
			     vu_has_feature(VIRTIO_NET_F_MRG_RXBUF) ?
			     VU_RX_CHAINS_MAX : 1, vu.hdr_len + len);
	if (n < 0) {
		vu_log_kick(&vu.mem);
		return n;
	}
	hdr.num_buffers = htole16((uint16_t)n);
	v[0].iov_base = &hdr;
	v[0].iov_len = vu.hdr_len;
	virtq_rx_fill(&vq->vq, &vu.mem, vu.rx_chains, (unsigned int)n, &src);
	vu_log_kick(&vu.mem);
	return 0;
}

/**
 * vu_ready() - whether a front-end is connected
 * @c:		execution context
 *
 * Return: true if connected
 */
bool vu_ready(const struct ctx *c)
{
	(void)c;
	return vu.fd >= 0;
}

/**
 * vu_connect() - serve a front-end on a newly accepted connection
 * @c:		execution context
 * @fd:		connected socket, now owned by this module
 * @input:	where frames from the guest go
 * @room:	called when the guest kicks its receive queue: it offers
 *		buffers again, frames refused for lack of them may go now
 */
void vu_connect(struct ctx *c, int fd, vu_frame_fn input, vu_room_fn room)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_VHOST_CMD, .fd = fd };

	if (vu.fd >= 0) {
		warn("vhost-user: refusing a second front-end");
		close(fd);
		return;
	}
	fd_set_nonblock(fd);
	if (epoll_add_ref(c, fd, EPOLLIN | EPOLLRDHUP, ref)) {
		err("vhost-user: cannot watch front-end connection");
		close(fd);
		return;
	}
	vu_dev_reset(c);
	vu.fd = fd;
	vu.input = input;
	vu.room = room;
	vu.msg.len = 0;
	vu.state.done = false;
	vu.state.saved = false;
	vu.state.check_pending = false;
	info("vhost-user: front-end connected");
}

/**
 * vu_disconnect() - drop the front-end: reset the device, serve the next one
 * @c:		execution context
 *
 * With --one-off, the daemon exits instead, unless the guest migrated away
 * from here: its frozen sockets then stay, silent, until it is told to end.
 */
void vu_disconnect(struct ctx *c)
{
	bool migrated = vu.state.saved;

	if (vu.fd < 0)
		return;
	epoll_del_fd(c, vu.fd);
	fd_close(&vu.fd);
	vu_msg_fds_close(&vu.msg);
	vu.msg.len = 0;
	vu.state.check_pending = false;
	vu.state.done = false;
	vu.state.saved = false;
	vu_dev_reset(c);
	info("vhost-user: front-end disconnected");
	if (c->one_off && migrated)
		info("vhost-user: the guest migrated away: staying despite --one-off, to keep its frozen sockets silent");
	else if (c->one_off)
		c->exiting = true;
}

/**
 * vu_init() - set up the back-end before any front-end connects
 * @c:		execution context
 * @ops:	device-state operations of the layer above, or NULL
 */
void vu_init(struct ctx *c, const struct vu_device_state_ops *ops)
{
	unsigned int i;

	vu.fd = -1;
	vu.mem.log_fd = -1;
	for (i = 0; i < VU_QUEUES; i++) {
		vu.q[i].kick_fd = -1;
		vu.q[i].vq.call_fd = -1;
	}
	vu_dev_reset(c);
	vu.state = (struct vu_state){ .ops = ops };
}

/**
 * vu_print_capabilities() - print the back-end's capabilities as JSON, as
 *			     the vhost-user back-end conventions require
 */
void vu_print_capabilities(void)
{
	printf("{\n  \"type\": \"net\"\n}\n");
}
