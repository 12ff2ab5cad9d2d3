// SPDX-License-Identifier: GPL-2.0-or-later
/* icmp.c - ICMP and ICMPv6 echo through unprivileged ping sockets
 *
 * Each echo identifier the guest uses towards one destination gets a ping
 * socket (SOCK_DGRAM, IPPROTO_ICMP or IPPROTO_ICMPV6), which needs no
 * privilege when net.ipv4.ping_group_range includes the daemon's group. The
 * kernel picks its own identifier on that socket: replies are given back
 * the guest's identifier, and come from the address the guest asked for.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"
#include "icmp.h"
#include "inany.h"
#include "ip.h"
#include "log.h"
#include "nat.h"
#include "passt.h"

#define ICMP_ECHO_MAX		128
#define ICMP_IDLE_MS		60000
#define ICMP_BUF_SIZE		65536

/**
 * struct icmp_echo - one guest echo identifier towards one destination
 * @fd:		ping socket, -1 if the slot is free
 * @af:		AF_INET or AF_INET6
 * @id:		identifier the guest uses
 * @guest_src:	guest's source address
 * @guest_dst:	destination as the guest addressed it
 * @last_ms:	last activity, for the idle timeout
 */
struct icmp_echo {
	int fd;
	int af;
	uint16_t id;
	union inany_addr guest_src;
	union inany_addr guest_dst;
	uint64_t last_ms;
};

static struct icmp_echo echoes[ICMP_ECHO_MAX];
static bool echoes_ready;

/**
 * icmp_echoes_init() - mark every slot free, once
 */
static void icmp_echoes_init(void)
{
	int i;

	if (echoes_ready)
		return;
	for (i = 0; i < ICMP_ECHO_MAX; i++)
		echoes[i].fd = -1;
	echoes_ready = true;
}

/**
 * icmp_echo_find() - the slot for an identifier and destination
 * @af:		address family
 * @id:		guest's echo identifier
 * @dst:	destination as the guest addressed it
 *
 * Return: slot, or NULL
 */
static struct icmp_echo *icmp_echo_find(int af, uint16_t id,
					const union inany_addr *dst)
{
	int i;

	for (i = 0; i < ICMP_ECHO_MAX; i++) {
		struct icmp_echo *e = &echoes[i];

		if (e->fd >= 0 && e->af == af && e->id == id &&
		    inany_equal(&e->guest_dst, dst))
			return e;
	}
	return NULL;
}

/**
 * icmp_echo_close() - close a slot's socket and free it
 * @c:		execution context
 * @e:		slot
 */
static void icmp_echo_close(const struct ctx *c, struct icmp_echo *e)
{
	epoll_del_fd(c, e->fd);
	close(e->fd);
	e->fd = -1;
}

/**
 * icmp_sock_error() - explain why a ping socket could not be opened
 * @af:		address family
 * @error:	errno from socket()
 */
static void icmp_sock_error(int af, int error)
{
	char range[64] = "unknown";
	FILE *f;

	if (error != EACCES && error != EPERM) {
		err_ratelimit("icmp: cannot open ping socket: %s",
			      strerror(error));
		return;
	}
	f = fopen("/proc/sys/net/ipv4/ping_group_range", "re");
	if (f) {
		if (!fgets(range, sizeof(range), f))
			strcpy(range, "unreadable");
		range[strcspn(range, "\n")] = 0;
		fclose(f);
	}
	err_ratelimit("icmp: %s ping sockets not permitted for group %u: "
		      "net.ipv4.ping_group_range is \"%s\"; echo requests "
		      "from the guest are dropped",
		      af == AF_INET ? "ICMP" : "ICMPv6", (unsigned)getgid(),
		      range);
}

/**
 * icmp_echo_new() - open a ping socket for a new identifier and destination
 * @c:		execution context
 * @af:		address family
 * @id:		guest's echo identifier
 * @src:	guest's source address
 * @dst:	destination as the guest addressed it
 * @host:	destination on the host side
 *
 * Return: new slot, or NULL if none is free or the socket failed
 */
static struct icmp_echo *icmp_echo_new(const struct ctx *c, int af,
				       uint16_t id,
				       const union inany_addr *src,
				       const union inany_addr *dst,
				       const union inany_addr *host)
{
	union epoll_ref ref = { .type = EPOLL_TYPE_PING };
	struct icmp_echo *e = NULL;
	int i, fd;

	for (i = 0; i < ICMP_ECHO_MAX && !e; i++)
		if (echoes[i].fd < 0)
			e = &echoes[i];
	if (!e) {
		err_ratelimit("icmp: all %d echo slots busy, request dropped",
			      ICMP_ECHO_MAX);
		return NULL;
	}
	fd = fwd_sock_outbound(c, SOCK_DGRAM,
			       af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			       host);
	if (fd < 0) {
		icmp_sock_error(af, -fd);
		return NULL;
	}
	ref.fd = fd;
	ref.index = (uint32_t)(e - echoes);
	if (epoll_add_ref(c, fd, EPOLLIN, ref)) {
		close(fd);
		return NULL;
	}
	e->fd = fd;
	e->af = af;
	e->id = id;
	e->guest_src = *src;
	e->guest_dst = *dst;
	return e;
}

/**
 * icmp_sockaddr() - socket address for a host-side destination
 * @a:		destination
 * @sa:		filled in
 *
 * Return: length of the socket address
 */
static socklen_t icmp_sockaddr(const union inany_addr *a,
			       struct sockaddr_storage *sa)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	const struct in_addr *v4 = inany_v4(a);

	memset(sa, 0, sizeof(*sa));
	if (v4) {
		s4->sin_family = AF_INET;
		s4->sin_addr = *v4;
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_addr = a->a6;
	return sizeof(*s6);
}

/**
 * icmp_input() - an ICMP or ICMPv6 message from the guest
 * @c:		execution context
 * @af:		AF_INET or AF_INET6
 * @src:	guest's source address
 * @dst:	destination address
 * @l4:		ICMP header and data, checksum already verified
 * @len:	length of @l4, at least 8
 */
void icmp_input(struct ctx *c, int af, const union inany_addr *src,
		const union inany_addr *dst, const uint8_t *l4, size_t len)
{
	uint8_t echo_type = af == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	struct sockaddr_storage sa;
	union inany_addr host;
	struct icmp_echo *e;
	uint16_t id;

	if (c->no_icmp || l4[0] != echo_type || l4[1]) {
		trace("icmp: type %u code %u dropped", l4[0], l4[1]);
		return;
	}
	if (!nat_outbound(c, dst, &host)) {
		trace("icmp: destination not reachable from the host");
		return;
	}
	icmp_echoes_init();
	id = (uint16_t)(l4[4] << 8 | l4[5]);
	e = icmp_echo_find(af, id, dst);
	if (!e && !(e = icmp_echo_new(c, af, id, src, dst, &host)))
		return;
	e->guest_src = *src;
	e->last_ms = now_ms();
	if (sendto(e->fd, l4, len, MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   icmp_sockaddr(&host, &sa)) < 0)
		debug("icmp: echo request not sent: %s", strerror(errno));
}

/**
 * icmp_sock_handler() - an echo reply arrived on a ping socket
 * @c:		execution context
 * @ref:	epoll reference: index is the echo slot
 * @events:	epoll events
 */
void icmp_sock_handler(struct ctx *c, union epoll_ref ref, uint32_t events)
{
	static uint8_t buf[ICMP_BUF_SIZE];
	struct icmp_echo *e;
	ssize_t n;

	(void)events;
	if (ref.index >= ICMP_ECHO_MAX || echoes[ref.index].fd != ref.fd)
		return;
	e = &echoes[ref.index];
	while ((n = recv(e->fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 8) {
		/* The kernel's identifier goes back to the guest's */
		buf[4] = (uint8_t)(e->id >> 8);
		buf[5] = (uint8_t)e->id;
		buf[2] = buf[3] = 0;
		e->last_ms = now_ms();
		if (e->af == AF_INET)
			ip4_send(c, *inany_v4(&e->guest_dst),
				 *inany_v4(&e->guest_src), IPPROTO_ICMP,
				 buf, (size_t)n);
		else
			ip6_send(c, &e->guest_dst.a6, &e->guest_src.a6,
				 IPPROTO_ICMPV6, buf, (size_t)n);
	}
}

/**
 * icmp_timer() - close ping sockets idle for too long
 * @c:		execution context
 * @now:	current time, milliseconds
 */
void icmp_timer(struct ctx *c, uint64_t now)
{
	int i;

	if (!echoes_ready)
		return;
	for (i = 0; i < ICMP_ECHO_MAX; i++)
		if (echoes[i].fd >= 0 && now - echoes[i].last_ms > ICMP_IDLE_MS)
			icmp_echo_close(c, &echoes[i]);
}
