/* SPDX-License-Identifier: GPL-2.0-or-later
 * udp_flow.h - the UDP flow entry of the flow table (data only)
 *
 * Included by flow.h, after struct flow_common.
 */
#ifndef UDP_FLOW_H
#define UDP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

/**
 * struct udp_flow - datagrams between one guest port and one remote port
 * @f:		flow table common part
 * @sock:	socket datagrams to the host side leave from
 * @shared:	@sock is a forwarding listener's (inbound flow), not owned:
 *		datagrams go out with sendto() to the peer, and closing the
 *		flow leaves it open
 * @active_at:	time of the last datagram either way, milliseconds
 */
struct udp_flow {
	struct flow_common f;
	int32_t sock;
	bool shared;
	uint64_t active_at;
};

#endif /* UDP_FLOW_H */
