/* SPDX-License-Identifier: GPL-2.0-or-later
 * inany.h - one address type for IPv4 and IPv6 (IPv4 as v4-mapped IPv6)
 */
#ifndef INANY_H
#define INANY_H

#include <arpa/inet.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/**
 * union inany_addr - an IPv6 address, or an IPv4 one stored v4-mapped
 * @a6:		the address as IPv6
 * @v4mapped:	the IPv4 view: ::ffff:a.b.c.d
 */
union inany_addr {
	struct in6_addr a6;
	struct {
		uint8_t zero[10];
		uint8_t one[2];
		struct in_addr a4;
	} v4mapped;
};

/**
 * union sockaddr_inany - a socket address of either family
 * @sa:		generic view
 * @sa4:	IPv4 view
 * @sa6:	IPv6 view
 */
union sockaddr_inany {
	struct sockaddr sa;
	struct sockaddr_in sa4;
	struct sockaddr_in6 sa6;
};

/* Long enough for any IPv6 address, and so for a v4-mapped one */
#define INANY_ADDRSTRLEN	INET6_ADDRSTRLEN

/**
 * inany_from_v4() - make an inany address from an IPv4 one
 * @a:		result
 * @v4:		IPv4 address
 */
static inline void inany_from_v4(union inany_addr *a, struct in_addr v4)
{
	memset(a->v4mapped.zero, 0, sizeof(a->v4mapped.zero));
	a->v4mapped.one[0] = a->v4mapped.one[1] = 0xff;
	a->v4mapped.a4 = v4;
}

/**
 * inany_v4() - the IPv4 address inside an inany, if it is one
 * @a:		inany address
 *
 * Return: pointer to the IPv4 address, or NULL for a real IPv6 address
 */
static inline const struct in_addr *inany_v4(const union inany_addr *a)
{
	if (!IN6_IS_ADDR_V4MAPPED(&a->a6))
		return NULL;
	return &a->v4mapped.a4;
}

/**
 * inany_af() - address family an inany address belongs to
 * @a:		inany address
 *
 * Return: AF_INET for a v4-mapped address, AF_INET6 otherwise
 */
static inline int inany_af(const union inany_addr *a)
{
	return inany_v4(a) ? AF_INET : AF_INET6;
}

/**
 * inany_equal() - compare two inany addresses
 * @a:		first address
 * @b:		second address
 *
 * Return: true if equal
 */
static inline bool inany_equal(const union inany_addr *a,
			       const union inany_addr *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/**
 * inany_is_unspecified() - whether an address is 0.0.0.0 or ::
 * @a:		inany address
 *
 * Return: true for either unspecified address
 */
static inline bool inany_is_unspecified(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return v4->s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&a->a6);
}

/**
 * inany_is_loopback() - whether an address is a loopback one
 * @a:		inany address
 *
 * Return: true for 127.0.0.0/8 and ::1
 */
static inline bool inany_is_loopback(const union inany_addr *a)
{
	const struct in_addr *v4 = inany_v4(a);

	if (v4)
		return (ntohl(v4->s_addr) >> 24) == IN_LOOPBACKNET;
	return IN6_IS_ADDR_LOOPBACK(&a->a6);
}

/**
 * inany_loopback() - the loopback address of a family
 * @a:		result: 127.0.0.1 or ::1
 * @af:		AF_INET or AF_INET6
 */
static inline void inany_loopback(union inany_addr *a, int af)
{
	if (af == AF_INET) {
		struct in_addr lo = { htonl(INADDR_LOOPBACK) };

		inany_from_v4(a, lo);
	} else {
		a->a6 = in6addr_loopback;
	}
}

/**
 * inany_to_sockaddr() - make a socket address from an inany address and port
 * @sa:		result, of the address's own family
 * @a:		address
 * @port:	port, host order
 *
 * Return: length of the socket address
 */
static inline socklen_t inany_to_sockaddr(union sockaddr_inany *sa,
					  const union inany_addr *a,
					  uint16_t port)
{
	const struct in_addr *v4 = inany_v4(a);

	memset(sa, 0, sizeof(*sa));
	if (v4) {
		sa->sa4.sin_family = AF_INET;
		sa->sa4.sin_addr = *v4;
		sa->sa4.sin_port = htons(port);
		return sizeof(sa->sa4);
	}
	sa->sa6.sin6_family = AF_INET6;
	sa->sa6.sin6_addr = a->a6;
	sa->sa6.sin6_port = htons(port);
	return sizeof(sa->sa6);
}

/**
 * inany_from_sockaddr() - take the address and port out of a socket address
 * @a:		address result (v4-mapped for AF_INET)
 * @port:	port result, host order
 * @sa:		socket address, AF_INET or AF_INET6
 *
 * Return: 0 on success, -1 for another family
 */
static inline int inany_from_sockaddr(union inany_addr *a, uint16_t *port,
				      const union sockaddr_inany *sa)
{
	if (sa->sa.sa_family == AF_INET) {
		inany_from_v4(a, sa->sa4.sin_addr);
		*port = ntohs(sa->sa4.sin_port);
		return 0;
	}
	if (sa->sa.sa_family == AF_INET6) {
		a->a6 = sa->sa6.sin6_addr;
		*port = ntohs(sa->sa6.sin6_port);
		return 0;
	}
	return -1;
}

/**
 * inany_ntop() - format an inany address, dotted quad for IPv4
 * @a:		address
 * @buf:	output buffer
 * @len:	size of @buf, INANY_ADDRSTRLEN is enough
 *
 * Return: @buf
 */
static inline const char *inany_ntop(const union inany_addr *a, char *buf,
				     socklen_t len)
{
	const struct in_addr *v4 = inany_v4(a);

	if (!(v4 ? inet_ntop(AF_INET, v4, buf, len) :
		   inet_ntop(AF_INET6, &a->a6, buf, len)) && len)
		buf[0] = '\0';
	return buf;
}

/**
 * ip4_is_loopback() - whether an IPv4 address is in 127.0.0.0/8
 * @a:		address
 *
 * Return: true for a loopback address
 */
static inline bool ip4_is_loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == 127;
}

#endif /* INANY_H */
