/* SPDX-License-Identifier: GPL-2.0-or-later
 * vhost_user_msg.h - reading vhost-user messages and sending replies
 */
#ifndef VHOST_USER_MSG_H
#define VHOST_USER_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "vhost_user.h"

/**
 * union vu_payload - every payload the daemon reads or writes, aligned
 */
union vu_payload {
	uint64_t u64;
	struct vu_msg_state state;
	struct vu_msg_addr addr;
	struct vu_msg_mem mem;
	struct vu_msg_log log;
	struct vu_msg_device_state device_state;
	uint8_t raw[VHOST_USER_PAYLOAD_MAX];
};

/**
 * struct vu_msg - one message being read, then handled
 * @raw:	header and payload as read from the socket
 * @len:	bytes of @raw read so far
 * @hdr:	header, once complete
 * @p:		payload, copied out of @raw once complete
 * @fds:	fds that came with the message, -1 once taken by a handler
 * @nfds:	number of entries in @fds
 * @fds_bad:	more fds than allowed, or the control data was truncated
 * @reply:	reply payload, set by handlers that answer
 * @reply_size:	bytes of @reply
 */
struct vu_msg {
	uint8_t raw[VHOST_USER_HDR_SIZE + VHOST_USER_PAYLOAD_MAX];
	size_t len;
	struct vu_msg_hdr hdr;
	union vu_payload p;
	int fds[VHOST_USER_FDS_MAX];
	unsigned int nfds;
	bool fds_bad;
	union vu_payload reply;
	uint32_t reply_size;
};

void vu_msg_fds_close(struct vu_msg *m);
int vu_msg_fd_take(struct vu_msg *m);
int vu_msg_read(int fd, struct vu_msg *m);
int vu_msg_reply_send(int fd, const struct vu_msg *m);

#endif /* VHOST_USER_MSG_H */
