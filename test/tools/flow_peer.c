// SPDX-License-Identifier: GPL-2.0-or-later
/* flow_peer.c - TCP and UDP end points for the flow tests (test/ns)
 *
 * One binary, one mode per run; it runs in the guest, host or peer namespace
 * of the tests. Every blocking step is bounded by an alarm (FLOW_PEER_TIMEOUT
 * seconds, default 60); a failure prints what went wrong and exits 1.
 *
 *   tcp-sink ADDR PORT OUT        accept one, store all to OUT, then reply
 *                                 "got N" after the peer's FIN, and close
 *   tcp-send ADDR PORT IN         connect, send IN, shut down writing, print
 *                                 the reply read until EOF
 *   tcp-source ADDR PORT IN       accept one, send IN, shut down writing,
 *                                 print the reply read until EOF
 *   tcp-recv ADDR PORT OUT        connect, store all to OUT until EOF, then
 *                                 reply "got N" and close
 *   tcp-echo ADDR PORT            echo every connection until killed; on a
 *                                 peer's FIN, finish echoing, then FIN
 *   tcp-echo-check ADDR PORT N B  N connections at once, each B bytes, echo
 *                                 checked byte by byte, then EOF
 *   tcp-rst-accept ADDR PORT      accept one, read one byte, abort (RST)
 *   tcp-rst-connect ADDR PORT     connect, send one byte, abort (RST)
 *   tcp-expect-rst-accept A P     accept one, succeed if reading ends in a reset
 *   tcp-expect-rst-connect A P    connect, send a byte, succeed on a reset
 *   tcp-expect-refused ADDR PORT  succeed if the connection is refused
 *   udp-echo ADDR PORT            echo datagrams until killed
 *   udp-check ADDR PORT           send a datagram, expect it back
 *   dns-serve ADDR PORT IPV4      answer every DNS query with one A record
 *   tcp-connect-rate ADDR PORT S  connect and close, one after the other, for
 *                                 S seconds; print connections per second
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE	(1 << 16)
#define ECHO_MAX	4096

static uint8_t buf[BUF_SIZE];

/**
 * fail() - print a message with the errno text and exit 1
 * @what:	what failed
 */
static void fail(const char *what)
{
	fprintf(stderr, "flow_peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

/**
 * sockaddr_parse() - make a socket address from text address and port
 * @addr:	IPv4 or IPv6 address
 * @port:	port
 * @ss:		result
 *
 * Return: length of the address
 */
static socklen_t sockaddr_parse(const char *addr, const char *port,
				struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		return sizeof(*s6);
	}
	fprintf(stderr, "flow_peer: bad address %s\n", addr);
	exit(1);
}

/**
 * sock_open() - a bound (listening, for TCP) or connected socket
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @addr:	address
 * @port:	port
 * @server:	bind (and listen) instead of connecting
 *
 * Return: socket; exits on failure
 */
static int sock_open(int type, const char *addr, const char *port,
		     int server)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_parse(addr, port, &ss);
	int s = socket(ss.ss_family, type, 0), one = 1;

	if (s < 0)
		fail("socket");
	if (server) {
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&ss, sl))
			fail("bind");
		if (type == SOCK_STREAM && listen(s, 4096))
			fail("listen");
	} else if (connect(s, (struct sockaddr *)&ss, sl)) {
		fail("connect");
	}
	return s;
}

/**
 * accept_one() - listen and accept one connection
 * @addr:	address
 * @port:	port
 *
 * Return: connected socket
 */
static int accept_one(const char *addr, const char *port)
{
	int l = sock_open(SOCK_STREAM, addr, port, 1), s;

	s = accept(l, NULL, NULL);
	if (s < 0)
		fail("accept");
	close(l);
	return s;
}

/**
 * write_full() - write a whole buffer to a socket or file
 * @fd:		destination
 * @p:		data
 * @len:	length
 */
static void write_full(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("write");
		p = (const uint8_t *)p + n;
		len -= (size_t)n;
	}
}

/**
 * copy_all() - copy from one fd to another until end of file
 * @from:	source
 * @to:		destination
 *
 * Return: bytes copied
 */
static unsigned long long copy_all(int from, int to)
{
	unsigned long long total = 0;
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("read");
		write_full(to, buf, (size_t)n);
		total += (unsigned long long)n;
	}
	return total;
}

/**
 * store_and_reply() - store a stream to a file, then reply with its length
 * @s:		connected socket
 * @path:	output file
 */
static void store_and_reply(int s, const char *path)
{
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	unsigned long long n;
	char reply[64];

	if (out < 0)
		fail(path);
	n = copy_all(s, out);
	close(out);
	snprintf(reply, sizeof(reply), "got %llu\n", n);
	write_full(s, reply, strlen(reply));
	close(s);
}

/**
 * send_and_print() - send a file, shut down writing, print the reply
 * @s:		connected socket
 * @path:	input file
 */
static void send_and_print(int s, const char *path)
{
	int in = open(path, O_RDONLY);

	if (in < 0)
		fail(path);
	copy_all(in, s);
	close(in);
	if (shutdown(s, SHUT_WR))
		fail("shutdown");
	copy_all(s, STDOUT_FILENO);
	close(s);
}

/**
 * pattern_byte() - the test pattern of a connection at an offset
 * @conn:	connection number
 * @off:	offset
 *
 * Return: byte
 */
static uint8_t pattern_byte(unsigned int conn, size_t off)
{
	return (uint8_t)((off * 7 + (size_t)conn * 13 + (off >> 8)) & 0xff);
}

/**
 * struct echo_conn - one connection of the echo server or checker
 * @fd:		socket, -1 when done
 * @eof:	the peer shut down its side
 * @len:	valid bytes in @buf
 * @sent:	bytes sent (checker)
 * @got:	bytes received and checked (checker)
 * @buf:	bytes read and not yet echoed (server)
 */
struct echo_conn {
	int fd;
	int eof;
	size_t len;
	size_t sent;
	size_t got;
	uint8_t buf[ECHO_MAX];
};

/**
 * echo_serve() - echo every connection, until killed
 * @addr:	address
 * @port:	port
 */
static void echo_serve(const char *addr, const char *port)
{
	static struct echo_conn conns[8192];
	static struct pollfd pfd[8192 + 1];
	int l = sock_open(SOCK_STREAM, addr, port, 1), i;

	for (i = 0; i < 8192; i++)
		conns[i].fd = -1;
	alarm(0);
	for (;;) {
		int n = 0;

		pfd[n].fd = l;
		pfd[n++].events = POLLIN;
		for (i = 0; i < 8192; i++) {
			pfd[n].fd = conns[i].fd;
			pfd[n++].events = conns[i].len ? POLLOUT :
					  conns[i].eof ? 0 : POLLIN;
		}
		if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
			fail("poll");
		if (pfd[0].revents & POLLIN) {
			int s = accept(l, NULL, NULL);

			for (i = 0; s >= 0 && i < 8192; i++)
				if (conns[i].fd < 0)
					break;
			if (s >= 0 && i < 8192) {
				conns[i].fd = s;
				conns[i].len = 0;
				conns[i].eof = 0;
			} else if (s >= 0) {
				close(s);
			}
		}
		for (i = 0; i < 8192; i++) {
			struct echo_conn *e = &conns[i];
			short rev = pfd[i + 1].revents;
			ssize_t r;

			if (e->fd < 0 || !rev)
				continue;
			if (e->len && (rev & (POLLOUT | POLLERR | POLLHUP))) {
				r = send(e->fd, e->buf, e->len, MSG_NOSIGNAL);
				if (r > 0) {
					memmove(e->buf, e->buf + r,
						e->len - (size_t)r);
					e->len -= (size_t)r;
				} else {
					close(e->fd);
					e->fd = -1;
					continue;
				}
			} else if (!e->len && (rev & (POLLIN | POLLHUP |
						       POLLERR))) {
				r = recv(e->fd, e->buf, sizeof(e->buf), 0);
				if (r > 0) {
					e->len = (size_t)r;
				} else if (r == 0) {
					e->eof = 1;
				} else {
					close(e->fd);
					e->fd = -1;
					continue;
				}
			}
			if (e->eof && !e->len) {
				shutdown(e->fd, SHUT_WR);
				close(e->fd);
				e->fd = -1;
			}
		}
	}
}

/**
 * echo_check() - many connections at once, each echo checked
 * @addr:	server address
 * @port:	server port
 * @count:	number of connections
 * @bytes:	bytes each sends
 */
static void echo_check(const char *addr, const char *port, unsigned int count,
		       size_t bytes)
{
	static struct echo_conn conns[8192];
	static struct pollfd pfd[8192];
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_parse(addr, port, &ss);
	unsigned int i, open_conns = count;

	if (count > 8192) {
		fprintf(stderr, "flow_peer: at most 8192 connections\n");
		exit(1);
	}
	for (i = 0; i < count; i++) {
		int s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (s < 0)
			fail("socket");
		if (connect(s, (struct sockaddr *)&ss, sl) &&
		    errno != EINPROGRESS)
			fail("connect");
		memset(&conns[i], 0, sizeof(conns[i]));
		conns[i].fd = s;
	}

	while (open_conns) {
		for (i = 0; i < count; i++) {
			pfd[i].fd = conns[i].fd;
			pfd[i].events = POLLIN |
				(conns[i].sent < bytes ? POLLOUT : 0);
		}
		if (poll(pfd, count, -1) < 0 && errno != EINTR)
			fail("poll");
		for (i = 0; i < count; i++) {
			struct echo_conn *e = &conns[i];
			ssize_t r;
			size_t k;

			if (e->fd < 0 || !pfd[i].revents)
				continue;
			if ((pfd[i].revents & POLLOUT) && e->sent < bytes) {
				size_t n = bytes - e->sent < ECHO_MAX ?
					   bytes - e->sent : ECHO_MAX;

				for (k = 0; k < n; k++)
					e->buf[k] = pattern_byte(i, e->sent + k);
				r = send(e->fd, e->buf, n, MSG_NOSIGNAL);
				if (r < 0 && errno != EAGAIN)
					fail("send");
				if (r > 0)
					e->sent += (size_t)r;
				if (e->sent == bytes)
					shutdown(e->fd, SHUT_WR);
			}
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = recv(e->fd, buf, sizeof(buf), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r < 0)
				fail("recv");
			for (k = 0; k < (size_t)r; k++)
				if (buf[k] != pattern_byte(i, e->got + k)) {
					fprintf(stderr, "flow_peer: connection "
						"%u: wrong byte at %zu\n", i,
						e->got + k);
					exit(1);
				}
			e->got += (size_t)r;
			if (r == 0) {
				if (e->got != bytes) {
					fprintf(stderr, "flow_peer: connection "
						"%u: EOF after %zu of %zu\n",
						i, e->got, bytes);
					exit(1);
				}
				close(e->fd);
				e->fd = -1;
				open_conns--;
			}
		}
	}
	printf("%u connections echoed %zu bytes each\n", count, bytes);
}

/**
 * abort_rst() - close a socket with an RST instead of a FIN
 * @s:		socket
 */
static void abort_rst(int s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);
}

/**
 * expect_rst() - read until the stream ends: a reset is success
 * @s:		connected socket
 */
static void expect_rst(int s)
{
	ssize_t n;

	while ((n = read(s, buf, sizeof(buf))) > 0)
		;
	if (n < 0 && errno == ECONNRESET) {
		printf("connection reset, as expected\n");
		exit(0);
	}
	fprintf(stderr, "flow_peer: stream ended with %s, not a reset\n",
		n ? strerror(errno) : "EOF");
	exit(1);
}

/**
 * udp_echo() - echo datagrams, until killed
 * @addr:	address
 * @port:	port
 */
static void udp_echo(const char *addr, const char *port)
{
	int s = sock_open(SOCK_DGRAM, addr, port, 1);

	alarm(0);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0,
				     (struct sockaddr *)&ss, &sl);

		if (n >= 0)
			sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&ss, sl);
	}
}

/**
 * udp_check() - send a datagram, expect the same back, a few tries
 * @addr:	server address
 * @port:	server port
 */
static void udp_check(const char *addr, const char *port)
{
	int s = sock_open(SOCK_DGRAM, addr, port, 0), i;
	struct timeval tv = { .tv_sec = 1 };
	const char msg[] = "flow_peer UDP echo test";

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 5; i++) {
		ssize_t n;

		send(s, msg, sizeof(msg), 0);
		n = recv(s, buf, sizeof(buf), 0);
		if (n == (ssize_t)sizeof(msg) && !memcmp(buf, msg, sizeof(msg))) {
			printf("UDP echo received\n");
			exit(0);
		}
	}
	fprintf(stderr, "flow_peer: no UDP echo\n");
	exit(1);
}

/**
 * dns_serve() - answer each query with its question and one A record
 * @addr:	address
 * @port:	port
 * @answer:	IPv4 address of every answer
 */
static void dns_serve(const char *addr, const char *port, const char *answer)
{
	int s = sock_open(SOCK_DGRAM, addr, port, 1);
	struct in_addr a;

	if (inet_pton(AF_INET, answer, &a) != 1) {
		fprintf(stderr, "flow_peer: bad answer address\n");
		exit(1);
	}
	alarm(0);
	for (;;) {
		static const uint8_t rr[] = {
			0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
		};
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(s, buf, 512, 0, (struct sockaddr *)&ss,
				     &sl);
		size_t q = 12;

		if (n < 17)
			continue;
		while (q < (size_t)n && buf[q])	/* question name */
			q += buf[q] + 1U;
		q += 5;				/* root, type, class */
		if (q > (size_t)n)
			continue;
		buf[2] = 0x81;			/* response, RD */
		buf[3] = 0x80;			/* RA, no error */
		buf[6] = 0;
		buf[7] = (buf[q - 4] == 0 && buf[q - 3] == 1) ? 1 : 0;
		memset(buf + 8, 0, 4);
		if (buf[7]) {
			memcpy(buf + q, rr, sizeof(rr));
			memcpy(buf + q + sizeof(rr), &a, 4);
			q += sizeof(rr) + 4;
		}
		sendto(s, buf, q, 0, (struct sockaddr *)&ss, sl);
	}
}

/**
 * connect_rate() - connections opened and closed one after another
 * @addr:	server address
 * @port:	server port
 * @seconds:	how long to go on
 */
static void connect_rate(const char *addr, const char *port, int seconds)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_parse(addr, port, &ss);
	struct timespec start, now;
	unsigned long count = 0;
	double elapsed;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		int s = socket(ss.ss_family, SOCK_STREAM, 0);

		if (s < 0 || connect(s, (struct sockaddr *)&ss, sl))
			fail("connect");
		close(s);
		count++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (double)(now.tv_sec - start.tv_sec) +
			  (double)(now.tv_nsec - start.tv_nsec) / 1e9;
	} while (elapsed < seconds);
	printf("%.0f\n", (double)count / elapsed);
}

/**
 * nofile_raise() - raise the open-file limit, for many connections
 */
static void nofile_raise(void)
{
	struct rlimit r;

	if (!getrlimit(RLIMIT_NOFILE, &r)) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/**
 * usage() - print the usage and exit 2
 */
static void usage(void)
{
	fprintf(stderr, "usage: flow_peer MODE ADDR PORT [ARGS] "
		"(modes: see test/tools/flow_peer.c)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *t = getenv("FLOW_PEER_TIMEOUT");
	const char *mode, *a, *p;

	if (argc < 4)
		usage();
	mode = argv[1];
	a = argv[2];
	p = argv[3];
	signal(SIGPIPE, SIG_IGN);
	alarm(t ? (unsigned int)atoi(t) : 60);
	nofile_raise();

	if (!strcmp(mode, "tcp-sink") && argc == 5)
		store_and_reply(accept_one(a, p), argv[4]);
	else if (!strcmp(mode, "tcp-send") && argc == 5)
		send_and_print(sock_open(SOCK_STREAM, a, p, 0), argv[4]);
	else if (!strcmp(mode, "tcp-source") && argc == 5)
		send_and_print(accept_one(a, p), argv[4]);
	else if (!strcmp(mode, "tcp-recv") && argc == 5)
		store_and_reply(sock_open(SOCK_STREAM, a, p, 0), argv[4]);
	else if (!strcmp(mode, "tcp-echo"))
		echo_serve(a, p);
	else if (!strcmp(mode, "tcp-echo-check") && argc == 6)
		echo_check(a, p, (unsigned int)atoi(argv[4]),
			   (size_t)atol(argv[5]));
	else if (!strcmp(mode, "tcp-rst-accept") || !strcmp(mode,
							    "tcp-rst-connect")) {
		int s = mode[8] == 'a' ? accept_one(a, p) :
			sock_open(SOCK_STREAM, a, p, 0);

		if (mode[8] == 'a' ? read(s, buf, 1) != 1 :
		    write(s, "x", 1) != 1)
			fail("first byte");
		usleep(200000);
		abort_rst(s);
	} else if (!strcmp(mode, "tcp-expect-rst-accept")) {
		expect_rst(accept_one(a, p));
	} else if (!strcmp(mode, "tcp-expect-rst-connect")) {
		int s = sock_open(SOCK_STREAM, a, p, 0);

		write_full(s, "x", 1);
		expect_rst(s);
	} else if (!strcmp(mode, "tcp-expect-refused")) {
		struct sockaddr_storage ss;
		socklen_t sl = sockaddr_parse(a, p, &ss);
		int s = socket(ss.ss_family, SOCK_STREAM, 0);

		if (!connect(s, (struct sockaddr *)&ss, sl)) {
			fprintf(stderr, "flow_peer: connection accepted\n");
			return 1;
		}
		if (errno != ECONNREFUSED)
			fail("connect, expecting refusal");
		printf("connection refused, as expected\n");
	} else if (!strcmp(mode, "udp-echo")) {
		udp_echo(a, p);
	} else if (!strcmp(mode, "udp-check")) {
		udp_check(a, p);
	} else if (!strcmp(mode, "tcp-connect-rate") && argc == 5) {
		connect_rate(a, p, atoi(argv[4]));
	} else if (!strcmp(mode, "dns-serve") && argc == 5) {
		dns_serve(a, p, argv[4]);
	} else {
		usage();
	}
	return 0;
}
