/* SPDX-License-Identifier: GPL-2.0-or-later
 * passt.h - the daemon's shared context and epoll references
 *
 * Data definitions only: every module includes this header, and it includes
 * no module header above util.h, so it never creates an upward dependency.
 */
#ifndef PASST_H
#define PASST_H

#include <limits.h>
#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "util.h"

#define PASST_VERSION	"0.1"

/**
 * enum epoll_type - what kind of fd an epoll event refers to
 */
enum epoll_type {
	EPOLL_TYPE_NONE = 0,
	EPOLL_TYPE_SIGNAL,		/* signalfd: SIGTERM, SIGINT */
	EPOLL_TYPE_TIMER,		/* timerfd driving periodic work */
	EPOLL_TYPE_TAP_LISTEN,		/* UNIX socket QEMU connects to */
	EPOLL_TYPE_TAP_STREAM,		/* connected stream-transport socket */
	EPOLL_TYPE_PING,		/* ICMP/ICMPv6 echo (ping) socket */
	EPOLL_TYPE_MIGRATE,		/* device-state transfer fd */
	EPOLL_TYPE_VHOST_CMD,		/* vhost-user front-end connection */
	EPOLL_TYPE_VHOST_KICK,		/* vhost-user kick eventfd */
	EPOLL_TYPE_REPAIR_LISTEN,	/* repair helper listening socket */
	EPOLL_TYPE_REPAIR,		/* repair helper connection */
	EPOLL_TYPE_TCP,			/* connected TCP socket of a flow */
	EPOLL_TYPE_TCP_LISTEN,		/* listening socket for -t forwarding */
	EPOLL_TYPE_UDP_LISTEN,		/* bound socket for -u forwarding */
	EPOLL_TYPE_UDP_REPLY,		/* per-flow UDP socket towards the host */
	EPOLL_NUM_TYPES,
};

/**
 * union epoll_ref - epoll data: type, fd and a type-specific index
 * @type:	enum epoll_type
 * @fd:		file descriptor the event is for
 * @index:	type-specific: flow index, queue index, ...
 * @u64:	the whole reference, as stored in epoll_event.data
 */
union epoll_ref {
	struct {
		uint32_t type:8;
		int32_t fd:24;
		uint32_t index;
	};
	uint64_t u64;
};

#define MAX_DNS		4
#define MAX_SEARCH	6
#define DOMAIN_MAXLEN	254

/**
 * struct ip4_ctx - IPv4 configuration and what was seen of the guest
 * @addr:	address assigned to the guest (by default the host's own)
 * @prefix_len:	prefix length of @addr
 * @gw:		gateway as seen by the guest: stands for the host itself
 * @dns:	resolvers advertised to the guest
 * @dns_count:	number of valid entries in @dns
 * @dns_match:	DNS queries from the guest to this address are forwarded...
 * @dns_host:	...to this resolver of the host (--dns-forward, --dns-host)
 * @map_host_loopback: guest traffic to this address goes to 127.0.0.1
 * @map_guest_addr: guest traffic to this address goes to the host's @addr
 * @addr_seen:	source address last seen in guest traffic
 * @outbound:	source address for host sockets (-o), or INADDR_ANY
 * @outbound_if: interface host sockets are bound to, or empty
 */
struct ip4_ctx {
	struct in_addr addr;
	int prefix_len;
	struct in_addr gw;
	struct in_addr dns[MAX_DNS];
	int dns_count;
	struct in_addr dns_match;
	struct in_addr dns_host;
	struct in_addr map_host_loopback;
	struct in_addr map_guest_addr;
	struct in_addr addr_seen;
	struct in_addr outbound;
	char outbound_if[IFNAMSIZ];
};

/**
 * struct ip6_ctx - IPv6 configuration and what was seen of the guest
 * @addr:	address assigned to the guest (by default the host's own)
 * @prefix_len:	prefix length of @addr
 * @gw:		gateway as seen by the guest: stands for the host itself
 * @our_ll:	link-local address the daemon uses towards the guest
 * @dns:	resolvers advertised to the guest
 * @dns_count:	number of valid entries in @dns
 * @dns_match:	DNS queries from the guest to this address are forwarded...
 * @dns_host:	...to this resolver of the host
 * @map_host_loopback: guest traffic to this address goes to ::1
 * @map_guest_addr: guest traffic to this address goes to the host's @addr
 * @addr_seen:	global source address last seen in guest traffic
 * @addr_ll_seen: link-local source address last seen in guest traffic
 * @outbound:	source address for host sockets (-o), or in6addr_any
 * @outbound_if: interface host sockets are bound to, or empty
 */
struct ip6_ctx {
	struct in6_addr addr;
	int prefix_len;
	struct in6_addr gw;
	struct in6_addr our_ll;
	struct in6_addr dns[MAX_DNS];
	int dns_count;
	struct in6_addr dns_match;
	struct in6_addr dns_host;
	struct in6_addr map_host_loopback;
	struct in6_addr map_guest_addr;
	struct in6_addr addr_seen;
	struct in6_addr addr_ll_seen;
	struct in6_addr outbound;
	char outbound_if[IFNAMSIZ];
};

#define PORT_SPEC_MAX	32

/**
 * struct port_spec - one forwarding specification, as given with -t or -u
 * @first:	first host port
 * @last:	last host port
 * @to_first:	guest port @first maps to
 * @exclude:	this range is excluded (~PORTS)
 * @bind_addr:	host address to bind, AF_UNSPEC for any
 * @bind_if:	interface to bind, or empty
 */
struct port_spec {
	uint16_t first;
	uint16_t last;
	uint16_t to_first;
	bool exclude;
	struct {
		int family;
		union {
			struct in_addr a4;
			struct in6_addr a6;
		};
	} bind_addr;
	char bind_if[IFNAMSIZ];
};

/**
 * enum fwd_mode - how a protocol's inbound forwarding was given
 */
enum fwd_mode {
	FWD_NONE = 0,
	FWD_SPEC,
	FWD_ALL,
	FWD_AUTO,
};

/**
 * struct fwd_ports - inbound forwarding for one protocol
 * @mode:	none, explicit specs, all or auto
 * @specs:	parsed specifications, in order given
 * @count:	number of valid entries in @specs
 */
struct fwd_ports {
	enum fwd_mode mode;
	struct port_spec specs[PORT_SPEC_MAX];
	int count;
};

/**
 * struct ctx - the daemon's whole configuration and run-time state
 */
struct ctx {
	/* Process */
	int epollfd;
	int fd_timer;
	int fd_signal;
	bool foreground;
	bool quiet;
	int log_level;
	char log_file[PATH_MAX];
	char pid_file[PATH_MAX];
	bool one_off;
	bool exiting;

	/* Guest link */
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd_tap_listen;
	int fd_tap;
	int fd_tap_given;		/* --fd: connected socket from launcher */
	bool vhost_user;
	uint8_t our_mac[6];
	uint8_t guest_mac[6];
	bool guest_mac_seen;
	int mtu;

	/* Addresses */
	char ifname[IFNAMSIZ];
	bool ifi4;
	bool ifi6;
	struct ip4_ctx ip4;
	struct ip6_ctx ip6;
	char search[MAX_SEARCH][DOMAIN_MAXLEN];
	int search_count;
	char hostname[DOMAIN_MAXLEN];
	char fqdn[DOMAIN_MAXLEN];

	/* Services the daemon provides itself */
	bool no_dhcp;
	bool no_ndp;
	bool no_dhcpv6;
	bool no_ra;
	bool no_icmp;
	bool no_tcp;
	bool no_udp;
	bool no_dhcp_dns;
	bool no_map_gw;
	bool no_dhcp_search;
	bool freebind;

	/* Forwarding */
	struct fwd_ports tcp_fwd;
	struct fwd_ports udp_fwd;

	/* Migration */
	char repair_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned int migrate_version;	/* 0: newest */
	unsigned int migrate_timeout_ms;
	char migrate_save_dir[PATH_MAX];
	bool migrate_no_linger;
	bool migrate_exit;
};

#endif /* PASST_H */
