/* SPDX-License-Identifier: GPL-2.0-or-later
 * vhost_user.h - the vhost-user back-end: QEMU's virtio-net talks to the
 *		  daemon directly through shared guest memory
 */
#ifndef VHOST_USER_H
#define VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "passt.h"

/* Requests (front-end to back-end) */
enum vu_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_BACKEND_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_POSTCOPY_ADVISE = 28,
	VHOST_USER_GET_INFLIGHT_FD = 31,
	VHOST_USER_SET_INFLIGHT_FD = 32,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
	VHOST_USER_GET_SHARED_OBJECT = 41,
	VHOST_USER_SET_DEVICE_STATE_FD = 42,
	VHOST_USER_CHECK_DEVICE_STATE = 43,
	VHOST_USER_REQUEST_MAX,
};

/* Message header flags */
#define VHOST_USER_VERSION		1
#define VHOST_USER_VERSION_MASK		3
#define VHOST_USER_F_REPLY		BIT(2)
#define VHOST_USER_F_NEED_REPLY		BIT(3)

/* Feature bit meaning "protocol features are negotiated" */
#define VHOST_USER_F_PROTOCOL_FEATURES	30

/* Protocol features */
#define VHOST_USER_PROTOCOL_F_MQ		0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD		1
#define VHOST_USER_PROTOCOL_F_RARP		2
#define VHOST_USER_PROTOCOL_F_REPLY_ACK		3
#define VHOST_USER_PROTOCOL_F_NET_MTU		4
#define VHOST_USER_PROTOCOL_F_DEVICE_STATE	19

/* SET_VRING_KICK, _CALL, _ERR payload: queue index, and "no fd" */
#define VHOST_USER_VRING_IDX_MASK	0xff
#define VHOST_USER_VRING_NOFD		BIT(8)

/* SET_VRING_ADDR flag: log used-ring writes at log_guest_addr */
#define VHOST_VRING_F_LOG		0

/* SET_DEVICE_STATE_FD reply: the back-end returns no fd of its own */
#define VHOST_USER_STATE_NO_FD		BIT(8)
#define VHOST_USER_STATE_DIR_SAVE	0
#define VHOST_USER_STATE_DIR_LOAD	1
#define VHOST_USER_STATE_PHASE_STOPPED	0

#define VHOST_USER_HDR_SIZE		12
#define VHOST_USER_PAYLOAD_MAX		4096
#define VHOST_USER_FDS_MAX		8

/* Queues of the one queue pair the daemon serves */
#define VU_QUEUE_RX		0
#define VU_QUEUE_TX		1
#define VU_QUEUES		2

/**
 * struct vu_msg_region - one memory region as SET_MEM_TABLE describes it
 * @gpa:	guest-physical address
 * @size:	length
 * @uva:	front-end virtual address
 * @mmap_offset: offset of the region in the file descriptor
 */
struct vu_msg_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

/**
 * struct vu_msg_mem - SET_MEM_TABLE payload
 * @nregions:	number of regions, each with one fd
 * @padding:	zero
 * @regions:	the regions
 */
struct vu_msg_mem {
	uint32_t nregions;
	uint32_t padding;
	struct vu_msg_region regions[VHOST_USER_FDS_MAX];
};

/**
 * struct vu_msg_state - vring state payload (NUM, BASE, ENABLE)
 * @index:	queue index
 * @num:	value
 */
struct vu_msg_state {
	uint32_t index;
	uint32_t num;
};

/**
 * struct vu_msg_addr - SET_VRING_ADDR payload
 * @index:	queue index
 * @flags:	BIT(VHOST_VRING_F_LOG)
 * @desc_uva:	descriptor table, front-end address
 * @used_uva:	used ring, front-end address
 * @avail_uva:	available ring, front-end address
 * @log_gpa:	used ring, guest-physical address, for the dirty log
 */
struct vu_msg_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_uva;
	uint64_t used_uva;
	uint64_t avail_uva;
	uint64_t log_gpa;
};

/**
 * struct vu_msg_log - SET_LOG_BASE payload
 * @size:	bytes of the log to map
 * @offset:	offset of the log in the fd
 */
struct vu_msg_log {
	uint64_t size;
	uint64_t offset;
};

/**
 * struct vu_msg_device_state - SET_DEVICE_STATE_FD payload
 * @direction:	VHOST_USER_STATE_DIR_SAVE or _LOAD
 * @phase:	VHOST_USER_STATE_PHASE_STOPPED
 */
struct vu_msg_device_state {
	uint32_t direction;
	uint32_t phase;
};

/**
 * struct vu_msg_hdr - message header, in host (little-endian) order
 * @request:	enum vu_request
 * @flags:	version and VHOST_USER_F_*
 * @size:	payload bytes that follow
 */
struct vu_msg_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

/**
 * typedef vu_frame_fn - handler for one frame from the guest's TX queue
 * @c:		execution context
 * @frame:	Ethernet frame, without the virtio-net header
 * @len:	frame length
 */
typedef void (*vu_frame_fn)(struct ctx *c, const uint8_t *frame, size_t len);

/**
 * typedef vu_room_fn - called when the guest offers receive buffers again
 * @c:		execution context
 */
typedef void (*vu_room_fn)(struct ctx *c);

/**
 * typedef vu_state_done_fn - called when a device-state transfer ends
 * @c:		execution context
 * @result:	0 on success, negative error code on failure
 */
typedef void (*vu_state_done_fn)(struct ctx *c, int result);

/**
 * struct vu_device_state_ops - the layer above that moves the device state
 * @start:	begin a transfer on @fd (ownership passes, even on failure) in
 *		@direction (VHOST_USER_STATE_DIR_*), call @done when it ends;
 *		return 0 if started, negative error code if not
 * @resumed:	the front-end starts the rings again on the connection that
 *		saved the state: the migration failed after this side was
 *		done, the guest goes on here
 */
struct vu_device_state_ops {
	int (*start)(struct ctx *c, int fd, int direction,
		     vu_state_done_fn done);
	void (*resumed)(struct ctx *c);
};

void vu_init(struct ctx *c, const struct vu_device_state_ops *ops);
void vu_connect(struct ctx *c, int fd, vu_frame_fn input, vu_room_fn room);
void vu_disconnect(struct ctx *c);
bool vu_ready(const struct ctx *c);
int vu_send(const struct ctx *c, const struct iovec *iov, size_t cnt);
void vu_cmd_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void vu_kick_handler(struct ctx *c, union epoll_ref ref, uint32_t events);
void vu_print_capabilities(void);
const char *vu_request_name(uint32_t request);

#endif /* VHOST_USER_H */
