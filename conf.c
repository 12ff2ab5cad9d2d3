// SPDX-License-Identifier: GPL-2.0-or-later
/* conf.c - the command line: passt-compatible options, checks and defaults
 *
 * Every option is one row of a table that gives its spelling, its help text
 * and what it does, so that parsing and --help never disagree.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fwd_spec.h"
#include "inany.h"
#include "log.h"
#include "migrate.h"
#include "netlink.h"
#include "passt.h"
#include "util.h"
#include "vhost_user.h"

#define MTU_DEFAULT	65520
#define MTU_MIN		68
#define MTU_MAX		65520
#define RESOLV_CONF	"/etc/resolv.conf"

static const uint8_t mac_default[6] = { 0x9a, 0x55, 0x9a, 0x55, 0x9a, 0x55 };

/**
 * struct conf_opt - one command-line option
 * @name:	long name
 * @short_name:	one-letter name, or 0
 * @arg:	name of the argument in --help, or NULL if it takes none
 * @help:	one line of --help
 * @set:	handler for the option, or NULL for a plain flag
 * @flag_off:	for a plain flag, offset of its bool in struct ctx
 */
struct conf_opt {
	const char *name;
	char short_name;
	const char *arg;
	const char *help;
	int (*set)(struct ctx *c, const char *arg);
	size_t flag_off;
};

/**
 * parse_uint() - parse a decimal number within bounds
 * @s:		text
 * @min:	smallest allowed value
 * @max:	largest allowed value
 * @v:		result
 *
 * Return: 0 on success, -1 if @s is not a number in range
 */
static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *v)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -1;
	*v = strtoul(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return -1;
	return 0;
}

/**
 * parse_addr() - parse an IPv4 or IPv6 address
 * @s:		text
 * @a4:		set if @s is IPv4
 * @a6:		set if @s is IPv6
 *
 * Return: AF_INET, AF_INET6, or -1 if @s is neither
 */
static int parse_addr(const char *s, struct in_addr *a4, struct in6_addr *a6)
{
	if (inet_pton(AF_INET, s, a4) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a6) == 1)
		return AF_INET6;
	return -1;
}

/**
 * set_copy() - copy a string option into a fixed buffer
 * @dst:	destination
 * @size:	size of @dst
 * @arg:	option argument
 *
 * Return: 0 on success, -1 if too long
 */
static int set_copy(char *dst, size_t size, const char *arg)
{
	if (strlen(arg) >= size || !*arg)
		return -1;
	strcpy(dst, arg);
	return 0;
}

/** set_debug() - -d: debug messages */
static int set_debug(struct ctx *c, const char *arg)
{
	(void)arg;
	if (c->log_level < LOG_LEVEL_DEBUG)
		c->log_level = LOG_LEVEL_DEBUG;
	return 0;
}

/** set_trace() - --trace: debug and per-packet messages */
static int set_trace(struct ctx *c, const char *arg)
{
	(void)arg;
	c->log_level = LOG_LEVEL_TRACE;
	return 0;
}

/** set_quiet() - -q: errors and warnings only */
static int set_quiet(struct ctx *c, const char *arg)
{
	(void)arg;
	c->quiet = true;
	c->log_level = LOG_LEVEL_WARN;
	return 0;
}

/** set_log_file() - -l: log to a file */
static int set_log_file(struct ctx *c, const char *arg)
{
	return set_copy(c->log_file, sizeof(c->log_file), arg);
}

/** set_accept_any() - options accepted for compatibility, with no effect */
static int set_accept_any(struct ctx *c, const char *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

/** set_pid() - -P: PID file */
static int set_pid(struct ctx *c, const char *arg)
{
	return set_copy(c->pid_file, sizeof(c->pid_file), arg);
}

/** set_socket() - -s: UNIX socket path */
static int set_socket(struct ctx *c, const char *arg)
{
	return set_copy(c->sock_path, sizeof(c->sock_path), arg);
}

/** set_fd() - -F: connected socket given by a launcher */
static int set_fd(struct ctx *c, const char *arg)
{
	unsigned long v;

	if (parse_uint(arg, 0, INT_MAX, &v))
		return -1;
	c->fd_tap_given = (int)v;
	return 0;
}

/** set_mtu() - -m: MTU given to the guest */
static int set_mtu(struct ctx *c, const char *arg)
{
	unsigned long v;

	if (parse_uint(arg, MTU_MIN, MTU_MAX, &v))
		return -1;
	c->mtu = (int)v;
	return 0;
}

/** set_address() - -a: the guest's address, IPv4 or IPv6 */
static int set_address(struct ctx *c, const char *arg)
{
	struct in6_addr a6;
	struct in_addr a4;
	int af = parse_addr(arg, &a4, &a6);

	if (af == AF_INET && a4.s_addr != INADDR_ANY &&
	    !IN_MULTICAST(ntohl(a4.s_addr)))
		c->ip4.addr = a4;
	else if (af == AF_INET6 && !IN6_IS_ADDR_UNSPECIFIED(&a6) &&
		 !IN6_IS_ADDR_MULTICAST(&a6) && !IN6_IS_ADDR_LINKLOCAL(&a6))
		c->ip6.addr = a6;
	else
		return -1;
	return 0;
}

/** set_netmask() - -n: IPv4 netmask or prefix length */
static int set_netmask(struct ctx *c, const char *arg)
{
	unsigned long v;
	struct in_addr m;
	uint32_t h;

	if (!parse_uint(arg, 0, 32, &v)) {
		c->ip4.prefix_len = (int)v;
		return 0;
	}
	if (inet_pton(AF_INET, arg, &m) != 1)
		return -1;
	h = ntohl(m.s_addr);
	if (h & ~(h << 1) & 0x7fffffff)
		return -1;	/* not contiguous */
	c->ip4.prefix_len = __builtin_popcount(h);
	return 0;
}

/** set_gateway() - -g: the gateway address the guest sees */
static int set_gateway(struct ctx *c, const char *arg)
{
	struct in6_addr a6;
	struct in_addr a4;
	int af = parse_addr(arg, &a4, &a6);

	if (af == AF_INET && a4.s_addr != INADDR_ANY)
		c->ip4.gw = a4;
	else if (af == AF_INET6 && !IN6_IS_ADDR_UNSPECIFIED(&a6))
		c->ip6.gw = a6;
	else
		return -1;
	return 0;
}

/** set_mac() - -M: the daemon's own MAC address towards the guest */
static int set_mac(struct ctx *c, const char *arg)
{
	if (mac_parse(arg, c->our_mac) || (c->our_mac[0] & 1))
		return -1;
	return 0;
}

/** set_interface() - -i: template interface for addresses and routes */
static int set_interface(struct ctx *c, const char *arg)
{
	if (set_copy(c->ifname, sizeof(c->ifname), arg))
		return -1;
	return if_nametoindex(arg) ? 0 : -1;
}

/**
 * set_addr_by_family() - store an address option in its family's field
 * @a4:		IPv4 destination
 * @a6:		IPv6 destination
 * @arg:	option argument
 *
 * Return: 0 on success, -1 on a bad address
 */
static int set_addr_by_family(struct in_addr *a4, struct in6_addr *a6,
			const char *arg)
{
	struct in6_addr v6;
	struct in_addr v4;
	int af = parse_addr(arg, &v4, &v6);

	if (af == AF_INET)
		*a4 = v4;
	else if (af == AF_INET6)
		*a6 = v6;
	else
		return -1;
	return 0;
}

/** set_outbound() - -o: source address of host sockets */
static int set_outbound(struct ctx *c, const char *arg)
{
	return set_addr_by_family(&c->ip4.outbound, &c->ip6.outbound, arg);
}

/** set_outbound_if4() - --outbound-if4: interface for IPv4 host sockets */
static int set_outbound_if4(struct ctx *c, const char *arg)
{
	return set_copy(c->ip4.outbound_if, sizeof(c->ip4.outbound_if), arg);
}

/** set_outbound_if6() - --outbound-if6: interface for IPv6 host sockets */
static int set_outbound_if6(struct ctx *c, const char *arg)
{
	return set_copy(c->ip6.outbound_if, sizeof(c->ip6.outbound_if), arg);
}

/**
 * dns_add() - add a resolver to advertise to the guest
 * @c:		execution context
 * @af:		AF_INET or AF_INET6
 * @a4:		IPv4 address, if @af is AF_INET
 * @a6:		IPv6 address, if @af is AF_INET6
 */
static void dns_add(struct ctx *c, int af, struct in_addr a4,
		    const struct in6_addr *a6)
{
	if (af == AF_INET && c->ip4.dns_count < MAX_DNS)
		c->ip4.dns[c->ip4.dns_count++] = a4;
	else if (af == AF_INET6 && c->ip6.dns_count < MAX_DNS)
		c->ip6.dns[c->ip6.dns_count++] = *a6;
}

static bool dns_given, dns_none, search_given, search_none;

/** set_dns() - -D: a resolver for the guest, or "none" */
static int set_dns(struct ctx *c, const char *arg)
{
	struct in6_addr a6;
	struct in_addr a4;
	int af;

	dns_given = true;
	if (!strcmp(arg, "none")) {
		dns_none = true;
		c->ip4.dns_count = c->ip6.dns_count = 0;
		return 0;
	}
	af = parse_addr(arg, &a4, &a6);
	if (af < 0)
		return -1;
	dns_add(c, af, a4, &a6);
	return 0;
}

/** set_dns_forward() - --dns-forward: address whose DNS queries go to the host's resolver */
static int set_dns_forward(struct ctx *c, const char *arg)
{
	return set_addr_by_family(&c->ip4.dns_match, &c->ip6.dns_match, arg);
}

/** set_dns_host() - --dns-host: the host resolver forwarded queries go to */
static int set_dns_host(struct ctx *c, const char *arg)
{
	return set_addr_by_family(&c->ip4.dns_host, &c->ip6.dns_host, arg);
}

/**
 * search_add() - add a search domain for the guest
 * @c:		execution context
 * @name:	domain name
 *
 * Return: 0 on success, -1 if the name is not a valid domain
 */
static int search_add(struct ctx *c, const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= DOMAIN_MAXLEN || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
	    != len)
		return -1;
	if (c->search_count < MAX_SEARCH)
		strcpy(c->search[c->search_count++], name);
	return 0;
}

/** set_search() - -S: a search domain, or "none" */
static int set_search(struct ctx *c, const char *arg)
{
	search_given = true;
	if (!strcmp(arg, "none")) {
		search_none = true;
		c->search_count = 0;
		return 0;
	}
	return search_add(c, arg);
}

/** set_hostname() - -H: hostname given to the guest by DHCP */
static int set_hostname(struct ctx *c, const char *arg)
{
	return set_copy(c->hostname, sizeof(c->hostname), arg);
}

/** set_fqdn() - --fqdn: FQDN given to the guest by DHCP */
static int set_fqdn(struct ctx *c, const char *arg)
{
	return set_copy(c->fqdn, sizeof(c->fqdn), arg);
}

/** set_ipv4_only() - -4: IPv4 only */
static int set_ipv4_only(struct ctx *c, const char *arg)
{
	(void)arg;
	if (!c->ifi4)
		return -1;	/* together with -6 */
	c->ifi6 = false;
	return 0;
}

/** set_ipv6_only() - -6: IPv6 only */
static int set_ipv6_only(struct ctx *c, const char *arg)
{
	(void)arg;
	if (!c->ifi6)
		return -1;	/* together with -4 */
	c->ifi4 = false;
	return 0;
}

/** set_tcp_ports() - -t: inbound TCP forwarding */
static int set_tcp_ports(struct ctx *c, const char *arg)
{
	return fwd_spec_parse(&c->tcp_fwd, arg);
}

/** set_udp_ports() - -u: inbound UDP forwarding */
static int set_udp_ports(struct ctx *c, const char *arg)
{
	return fwd_spec_parse(&c->udp_fwd, arg);
}

/** set_map_host_loopback() - --map-host-loopback: address for the host */
static int set_map_host_loopback(struct ctx *c, const char *arg)
{
	return set_addr_by_family(&c->ip4.map_host_loopback,
			    &c->ip6.map_host_loopback, arg);
}

/** set_map_guest_addr() - --map-guest-addr: address for the guest's own */
static int set_map_guest_addr(struct ctx *c, const char *arg)
{
	return set_addr_by_family(&c->ip4.map_guest_addr, &c->ip6.map_guest_addr,
			    arg);
}

/** set_repair_path() - --repair-path: the repair helper's socket */
static int set_repair_path(struct ctx *c, const char *arg)
{
	return set_copy(c->repair_path, sizeof(c->repair_path), arg);
}

/** set_migrate_version() - --migrate-version: stream version to write */
static int set_migrate_version(struct ctx *c, const char *arg)
{
	unsigned long v;

	if (parse_uint(arg, 1, UINT32_MAX, &v) ||
	    migrate_version_check((unsigned int)v))
		return -1;
	c->migrate_version = (unsigned int)v;
	return 0;
}

/** set_migrate_timeout() - --migrate-timeout: transfer deadline, seconds */
static int set_migrate_timeout(struct ctx *c, const char *arg)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno || *end || !(s > 0) || s > 3600)
		return -1;
	c->migrate_timeout_ms = (unsigned int)(s * 1000);
	return c->migrate_timeout_ms ? 0 : -1;
}

/** set_migrate_save() - --migrate-save: keep a copy of every stream */
static int set_migrate_save(struct ctx *c, const char *arg)
{
	return set_copy(c->migrate_save_dir, sizeof(c->migrate_save_dir),
			arg);
}

/** do_migrate_inspect() - --migrate-inspect: decode a saved stream, exit */
static int do_migrate_inspect(struct ctx *c, const char *arg)
{
	(void)c;
	exit(migrate_inspect(arg));
}

/** do_print_capabilities() - --print-capabilities: vhost-user JSON, exit */
static int do_print_capabilities(struct ctx *c, const char *arg)
{
	(void)c;
	(void)arg;
	vu_print_capabilities();
	exit(EXIT_SUCCESS);
}

/** do_version() - --version: print the version, exit */
static int do_version(struct ctx *c, const char *arg)
{
	(void)c;
	(void)arg;
	printf("passt " PASST_VERSION "\n");
	exit(EXIT_SUCCESS);
}

static int do_help(struct ctx *c, const char *arg);

#define FLAG(member)	NULL, offsetof(struct ctx, member)

static const struct conf_opt opts[] = {
	{ "foreground", 'f', NULL, "Stay in the foreground, log to stderr",
	  FLAG(foreground) },
	{ "debug", 'd', NULL, "Print debug messages", set_debug, 0 },
	{ "trace", 0, NULL, "Print debug and per-packet messages",
	  set_trace, 0 },
	{ "quiet", 'q', NULL, "Print only warnings and errors", set_quiet, 0 },
	{ "stderr", 'e', NULL, "Accepted for compatibility: stderr is used in "
	  "the foreground", set_accept_any, 0 },
	{ "log-file", 'l', "PATH", "Log to PATH instead of syslog",
	  set_log_file, 0 },
	{ "log-size", 0, "SIZE", "Accepted for compatibility, ignored",
	  set_accept_any, 0 },
	{ "pid", 'P', "FILE", "Write the daemon's PID to FILE", set_pid, 0 },
	{ "socket", 's', "PATH", "UNIX socket to listen on (default: first "
	  "free /tmp/passt_N.socket)", set_socket, 0 },
	{ "socket-path", 0, "PATH", "Same as --socket (vhost-user back-end "
	  "convention)", set_socket, 0 },
	{ "fd", 'F', "FD", "Use FD, a connected stream socket, as the guest "
	  "link", set_fd, 0 },
	{ "one-off", '1', NULL, "Exit when the guest disconnects",
	  FLAG(one_off) },
	{ "vhost-user", 0, NULL, "Be a vhost-user-net back-end on the socket",
	  FLAG(vhost_user) },
	{ "print-capabilities", 0, NULL, "Print vhost-user back-end "
	  "capabilities as JSON and exit", do_print_capabilities, 0 },
	{ "mtu", 'm', "MTU", "MTU given to the guest (68-65520, default "
	  STRINGIFY(MTU_DEFAULT) ")", set_mtu, 0 },
	{ "address", 'a', "ADDR", "Guest IPv4 or IPv6 address (default: the "
	  "host's)", set_address, 0 },
	{ "netmask", 'n', "MASK", "IPv4 netmask or prefix length",
	  set_netmask, 0 },
	{ "gateway", 'g', "ADDR", "Gateway address the guest sees (default: "
	  "the host's default gateway)", set_gateway, 0 },
	{ "mac-addr", 'M', "ADDR", "MAC address of the daemon towards the "
	  "guest (default 9a:55:9a:55:9a:55)", set_mac, 0 },
	{ "interface", 'i', "NAME", "Host interface to take addresses and "
	  "routes from", set_interface, 0 },
	{ "outbound", 'o', "ADDR", "Source address of host sockets",
	  set_outbound, 0 },
	{ "outbound-if4", 0, "NAME", "Bind IPv4 host sockets to interface NAME",
	  set_outbound_if4, 0 },
	{ "outbound-if6", 0, "NAME", "Bind IPv6 host sockets to interface NAME",
	  set_outbound_if6, 0 },
	{ "dns", 'D', "ADDR", "Resolver for the guest (repeatable), or none",
	  set_dns, 0 },
	{ "dns-forward", 0, "ADDR", "Forward the guest's DNS queries to ADDR to "
	  "the host's resolver", set_dns_forward, 0 },
	{ "dns-host", 0, "ADDR", "Host resolver that forwarded queries go to",
	  set_dns_host, 0 },
	{ "search", 'S', "DOMAIN", "Search domain for the guest (repeatable), "
	  "or none", set_search, 0 },
	{ "no-dhcp-dns", 0, NULL, "Do not advertise resolvers to the guest",
	  FLAG(no_dhcp_dns) },
	{ "no-dhcp-search", 0, NULL, "Do not advertise search domains",
	  FLAG(no_dhcp_search) },
	{ "hostname", 'H', "NAME", "Hostname given to the guest by DHCP",
	  set_hostname, 0 },
	{ "fqdn", 0, "NAME", "FQDN given to the guest by DHCP", set_fqdn, 0 },
	{ "ipv4-only", '4', NULL, "IPv4 only", set_ipv4_only, 0 },
	{ "ipv6-only", '6', NULL, "IPv6 only", set_ipv6_only, 0 },
	{ "tcp-ports", 't', "SPEC", "Forward TCP ports from the host: "
	  "[ADDR[%IF]/]PORTS, PORTS all, none, auto or [~]A[-B][:C[-D]],...",
	  set_tcp_ports, 0 },
	{ "udp-ports", 'u', "SPEC", "Forward UDP ports from the host, as -t",
	  set_udp_ports, 0 },
	{ "no-tcp", 0, NULL, "Disable TCP", FLAG(no_tcp) },
	{ "no-udp", 0, NULL, "Disable UDP", FLAG(no_udp) },
	{ "no-icmp", 0, NULL, "Disable ICMP echo", FLAG(no_icmp) },
	{ "no-dhcp", 0, NULL, "Disable the DHCP server", FLAG(no_dhcp) },
	{ "no-ndp", 0, NULL, "Disable NDP answers", FLAG(no_ndp) },
	{ "no-dhcpv6", 0, NULL, "Disable the DHCPv6 server", FLAG(no_dhcpv6) },
	{ "no-ra", 0, NULL, "Send no router advertisements", FLAG(no_ra) },
	{ "no-map-gw", 0, NULL, "The gateway address does not stand for the "
	  "host", FLAG(no_map_gw) },
	{ "map-host-loopback", 0, "ADDR", "Guest traffic to ADDR goes to the "
	  "host's loopback (default: the gateway)", set_map_host_loopback, 0 },
	{ "map-guest-addr", 0, "ADDR", "Guest traffic to ADDR goes to the "
	  "host's address the guest uses", set_map_guest_addr, 0 },
	{ "freebind", 0, NULL, "Allow binding forwarded ports to non-local "
	  "addresses", FLAG(freebind) },
	{ "repair-path", 0, "PATH", "Repair helper socket (default: the "
	  "socket path and .repair)", set_repair_path, 0 },
	{ "migrate-version", 0, "N", "Write migration streams in version N",
	  set_migrate_version, 0 },
	{ "migrate-timeout", 0, "SECONDS", "Deadline of a state transfer "
	  "(default 10)", set_migrate_timeout, 0 },
	{ "migrate-save", 0, "DIR", "Keep a copy of every migration stream in "
	  "DIR", set_migrate_save, 0 },
	{ "migrate-inspect", 0, "FILE", "Decode a saved migration stream and "
	  "exit", do_migrate_inspect, 0 },
	{ "migrate-exit", 0, NULL, "Exit after migrating away as source",
	  FLAG(migrate_exit) },
	{ "migrate-no-linger", 0, NULL, "Close frozen sockets once migrated "
	  "away", FLAG(migrate_no_linger) },
	{ "version", 0, NULL, "Print the version and exit", do_version, 0 },
	{ "help", 'h', NULL, "Print this help and exit", do_help, 0 },
};

/**
 * do_help() - print every option with its help text, and exit
 * @c:		execution context (unused)
 * @arg:	unused
 *
 * Return: does not return
 */
static int do_help(struct ctx *c, const char *arg)
{
	size_t i;

	(void)c;
	(void)arg;
	printf("Usage: passt [OPTION]...\n"
	       "User-mode networking daemon for a QEMU guest: stream socket "
	       "or vhost-user back-end.\n\n");
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		char left[64];

		snprintf(left, sizeof(left), "%c%c%s--%s%s%s",
			 opts[i].short_name ? '-' : ' ',
			 opts[i].short_name ? opts[i].short_name : ' ',
			 opts[i].short_name ? ", " : "  ",
			 opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		printf("  %-30s %s\n", left, opts[i].help);
	}
	exit(EXIT_SUCCESS);
}

/**
 * conf_defaults() - set what holds unless an option says otherwise
 * @c:		execution context
 */
static void conf_defaults(struct ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->epollfd = c->fd_timer = c->fd_signal = -1;
	c->fd_tap = c->fd_tap_listen = c->fd_tap_given = -1;
	c->log_level = LOG_LEVEL_INFO;
	c->ifi4 = c->ifi6 = true;
	c->ip4.prefix_len = -1;
	c->ip6.prefix_len = -1;
	memcpy(c->our_mac, mac_default, sizeof(c->our_mac));
	c->migrate_timeout_ms = MIGRATE_TIMEOUT_MS_DEFAULT;
}

/**
 * conf_find() - the table row for an option's value from getopt_long()
 * @val:	short name, or 256 + row index for long-only options
 *
 * Return: row, or NULL
 */
static const struct conf_opt *conf_find(int val)
{
	size_t i;

	if (val >= 256 && (size_t)(val - 256) < ARRAY_SIZE(opts))
		return &opts[val - 256];
	for (i = 0; i < ARRAY_SIZE(opts); i++)
		if (opts[i].short_name && opts[i].short_name == val)
			return &opts[i];
	return NULL;
}

/**
 * conf_parse() - parse the command line into the context
 * @c:		execution context
 * @argc:	argument count
 * @argv:	arguments
 */
static void conf_parse(struct ctx *c, int argc, char **argv)
{
	struct option lopts[ARRAY_SIZE(opts) + 1] = { { 0 } };
	char sopts[ARRAY_SIZE(opts) * 2 + 2] = ":";
	size_t i, n = 1;
	int val;

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		lopts[i].name = opts[i].name;
		lopts[i].has_arg = opts[i].arg ? required_argument : no_argument;
		lopts[i].val = opts[i].short_name ? opts[i].short_name :
						    (int)(256 + i);
		if (!opts[i].short_name)
			continue;
		sopts[n++] = opts[i].short_name;
		if (opts[i].arg)
			sopts[n++] = ':';
	}

	opterr = 0;
	while ((val = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		const struct conf_opt *o = conf_find(val);

		if (val == ':')
			die("option %s needs an argument", argv[optind - 1]);
		if (!o)
			die("unknown option %s (see --help)", argv[optind - 1]);
		if (!o->set) {
			*(bool *)((char *)c + o->flag_off) = true;
			continue;
		}
		if (o->set(c, optarg))
			die("invalid %s%s%s for --%s", o->arg ? "argument '" : "",
			    o->arg ? optarg : "usage", o->arg ? "'" : "",
			    o->name);
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
}

/**
 * conf_resolv() - take resolvers and search domains from /etc/resolv.conf
 * @c:		execution context
 */
static void conf_resolv(struct ctx *c)
{
	char line[512], *p, *save;
	FILE *f = fopen(RESOLV_CONF, "re");

	if (!f) {
		info("no %s: no resolvers for the guest", RESOLV_CONF);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		struct in6_addr a6;
		struct in_addr a4;
		int af;

		p = strtok_r(line, " \t\r\n", &save);
		if (!p)
			continue;
		if (!strcmp(p, "nameserver") && !dns_given) {
			p = strtok_r(NULL, " \t\r\n", &save);
			af = p ? parse_addr(p, &a4, &a6) : -1;
			if (af == AF_INET && ip4_is_loopback(a4)) {
				/* The host's loopback is reached through
				 * the gateway address */
				if (!c->ip4.dns_host.s_addr)
					c->ip4.dns_host = a4;
				continue;
			}
			if (af == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a6)) {
				if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host))
					c->ip6.dns_host = a6;
				continue;
			}
			if (af > 0)
				dns_add(c, af, a4, &a6);
		} else if (!strcmp(p, "search") && !search_given) {
			while ((p = strtok_r(NULL, " \t\r\n", &save)))
				search_add(c, p);
		}
	}
	fclose(f);
}

/**
 * conf_ip4() - choose the guest's IPv4 address, prefix and gateway
 * @c:		execution context
 * @ifindex:	template interface, 0 for the default route's
 */
static void conf_ip4(struct ctx *c, unsigned int ifindex)
{
	struct in_addr gw = { 0 }, addr = { 0 };
	unsigned int oif = ifindex;
	int plen = 0;

	if (nl_route_default(AF_INET, &oif, &gw) && !ifindex && !c->ip4.addr.s_addr) {
		/* No uplink to copy: a private link between guest and host */
		inet_pton(AF_INET, "169.254.2.1", &c->ip4.addr);
		if (!c->ip4.gw.s_addr)
			inet_pton(AF_INET, "169.254.2.2", &c->ip4.gw);
		if (c->ip4.prefix_len < 0)
			c->ip4.prefix_len = 16;
		info("IPv4: no default route on the host: guest gets %s/%d, "
		     "gateway 169.254.2.2 (the host)", "169.254.2.1",
		     c->ip4.prefix_len);
		return;
	}
	if (ifindex)
		oif = ifindex;
	if (!nl_addr_get(AF_INET, oif, &addr, &plen)) {
		if (!c->ip4.addr.s_addr)
			c->ip4.addr = addr;
		if (c->ip4.prefix_len < 0)
			c->ip4.prefix_len = plen;
	}
	if (!c->ip4.gw.s_addr)
		c->ip4.gw = gw;
	if (c->ip4.prefix_len < 0)
		c->ip4.prefix_len = 24;
}

/**
 * conf_ip6() - choose the guest's IPv6 address, prefix and gateway
 * @c:		execution context
 * @ifindex:	template interface, 0 for the default route's
 */
static void conf_ip6(struct ctx *c, unsigned int ifindex)
{
	struct in6_addr gw = IN6ADDR_ANY_INIT, addr = IN6ADDR_ANY_INIT;
	unsigned int oif = ifindex;
	int plen = 0;

	if (nl_route_default(AF_INET6, &oif, &gw) && !ifindex &&
	    IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr)) {
		c->ip6.prefix_len = 64;
		info("IPv6: no default route on the host: guest gets only "
		     "link-local IPv6");
		return;
	}
	if (ifindex)
		oif = ifindex;
	if (!nl_addr_get(AF_INET6, oif, &addr, &plen) &&
	    !IN6_IS_ADDR_LINKLOCAL(&addr)) {
		if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.addr))
			c->ip6.addr = addr;
		if (c->ip6.prefix_len < 0)
			c->ip6.prefix_len = plen;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&c->ip6.gw))
		c->ip6.gw = gw;
	if (c->ip6.prefix_len < 0)
		c->ip6.prefix_len = 64;
}

/**
 * conf_fd_tap_move() - take a --fd among 0 to 2 away from standard I/O
 * @c:		execution context, @fd_tap_given set
 *
 * A launcher may hand the link over as any descriptor. Daemonising puts
 * /dev/null over 0 to 2, and in the foreground the log and messages would
 * go into the link: the link moves above 2, and /dev/null takes its place.
 */
static void conf_fd_tap_move(struct ctx *c)
{
	int fd = c->fd_tap_given, moved, devnull;

	if (fd < 0 || fd > STDERR_FILENO)
		return;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (moved < 0 || devnull < 0 || dup3(devnull, fd, 0) < 0)
		die("--fd %d: cannot move it above the standard descriptors: %s",
		    fd, strerror(errno));
	close(devnull);
	c->fd_tap_given = moved;
}

/**
 * conf_our_ll() - the daemon's link-local address, from its MAC (EUI-64)
 * @c:		execution context
 */
static void conf_our_ll(struct ctx *c)
{
	uint8_t *a = c->ip6.our_ll.s6_addr;

	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = c->our_mac[0] ^ 0x02;
	a[9] = c->our_mac[1];
	a[10] = c->our_mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = c->our_mac[3];
	a[14] = c->our_mac[4];
	a[15] = c->our_mac[5];
}

/**
 * conf_dns_mapping() - advertise the gateway for resolvers on the host's
 *			loopback, and forward what is sent there
 * @c:		execution context
 */
static void conf_dns_mapping(struct ctx *c)
{
	if (c->ip4.dns_host.s_addr && !c->ip4.dns_match.s_addr &&
	    c->ip4.gw.s_addr) {
		c->ip4.dns_match = c->ip4.gw;
		if (!dns_none)
			dns_add(c, AF_INET, c->ip4.gw, NULL);
	}
	if (!IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_host) &&
	    IN6_IS_ADDR_UNSPECIFIED(&c->ip6.dns_match) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&c->ip6.gw)) {
		c->ip6.dns_match = c->ip6.gw;
		if (!dns_none)
			dns_add(c, AF_INET6, (struct in_addr){ 0 },
				&c->ip6.gw);
	}
	if (c->no_dhcp_dns)
		c->ip4.dns_count = c->ip6.dns_count = 0;
	if (c->no_dhcp_search || search_none)
		c->search_count = 0;
}

/**
 * conf_print() - say what the guest will get
 * @c:		execution context
 */
static void conf_print(const struct ctx *c)
{
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];
	int i;

	if (c->ifi4) {
		info("IPv4: guest address %s/%d, gateway %s",
		     inet_ntop(AF_INET, &c->ip4.addr, a, sizeof(a)),
		     c->ip4.prefix_len,
		     inet_ntop(AF_INET, &c->ip4.gw, g, sizeof(g)));
		for (i = 0; i < c->ip4.dns_count; i++)
			info("    DNS: %s", inet_ntop(AF_INET, &c->ip4.dns[i],
						      a, sizeof(a)));
	}
	if (c->ifi6) {
		info("IPv6: guest address %s/%d, gateway %s",
		     inet_ntop(AF_INET6, &c->ip6.addr, a, sizeof(a)),
		     c->ip6.prefix_len,
		     inet_ntop(AF_INET6, &c->ip6.gw, g, sizeof(g)));
		for (i = 0; i < c->ip6.dns_count; i++)
			info("    DNS: %s", inet_ntop(AF_INET6, &c->ip6.dns[i],
						      a, sizeof(a)));
	}
	for (i = 0; i < c->search_count; i++)
		info("    search: %s", c->search[i]);
}

/**
 * conf_repair_path() - the helper's socket: the guest socket's path and
 *			".repair", which must fit whole
 * @c:		execution context, with the guest socket's path
 */
static void conf_repair_path(struct ctx *c)
{
	size_t max = sizeof(c->repair_path) - sizeof(".repair");
	size_t len = strlen(c->sock_path);

	if (len > max)
		die("socket path %s: %zu characters, at most %zu leave room for its repair socket (%s.repair): give a shorter one, or --repair-path",
		    c->sock_path, len, max, c->sock_path);
	memcpy(c->repair_path, c->sock_path, len);
	memcpy(c->repair_path + len, ".repair", sizeof(".repair"));
}

/**
 * conf() - build the configuration from the command line and the host
 * @c:		execution context, filled in
 * @argc:	argument count
 * @argv:	arguments
 */
void conf(struct ctx *c, int argc, char **argv)
{
	unsigned int ifindex = 0;

	conf_defaults(c);
	log_init("passt", true, NULL, LOG_LEVEL_INFO);
	conf_parse(c, argc, argv);
	log_set_level((enum log_level)c->log_level);
	conf_fd_tap_move(c);

	if (c->ifname[0])
		ifindex = if_nametoindex(c->ifname);
	if (c->ifi4)
		conf_ip4(c, ifindex);
	if (c->ifi6)
		conf_ip6(c, ifindex);
	if (!c->mtu)
		c->mtu = MTU_DEFAULT;
	if (!c->no_map_gw && !c->ip4.map_host_loopback.s_addr)
		c->ip4.map_host_loopback = c->ip4.gw;
	if (!c->no_map_gw && IN6_IS_ADDR_UNSPECIFIED(&c->ip6.map_host_loopback))
		c->ip6.map_host_loopback = c->ip6.gw;
	conf_our_ll(c);
	if (!dns_given || !search_given)
		conf_resolv(c);
	conf_dns_mapping(c);
	if (c->vhost_user && !c->repair_path[0] && c->sock_path[0])
		conf_repair_path(c);
	conf_print(c);
}
