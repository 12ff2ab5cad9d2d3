// SPDX-License-Identifier: GPL-2.0-or-later
/* fd_launch.c - start the daemon as QEMU's "-netdev passt" does, and use it
 *
 * Usage: fd_launch PIDFILE GATEWAY4 -- PASST [ARGS...]
 *
 * Makes a socketpair, starts PASST with one end as fd 3 (its arguments
 * should include --fd 3 and --pid PIDFILE), waits for the launched process
 * to exit 0 as a launcher does, asks the daemon for GATEWAY4's MAC address
 * with an ARP request over the link, checks the reply, then closes the link
 * and, if the daemon was given --one-off, waits (bounded) for it to exit.
 * Exit status 0 if every step worked.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS		5000
#define ARP_FRAME_LEN	42

/**
 * arp_request() - build an ARP request for an IPv4 address
 * @buf:	at least 4 + ARP_FRAME_LEN bytes: length prefix and frame
 * @target:	address asked for
 */
static void arp_request(uint8_t *buf, struct in_addr target)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0xab, 0xcd, 0xef };
	uint32_t len = htonl(ARP_FRAME_LEN);
	uint8_t *f = buf + 4;

	memcpy(buf, &len, 4);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(f + 22, mac, 6);
	memset(f + 28, 0, 4);		/* sender IP: not configured yet */
	memset(f + 32, 0, 6);
	memcpy(f + 38, &target, 4);
	/* A probe from 0.0.0.0 is not answered: claim a sender address */
	f[28] = 192;
	f[29] = 0;
	f[30] = 2;
	f[31] = 77;
}

/**
 * arp_reply_ok() - read frames until an ARP reply for @target arrives
 * @fd:		link socket
 * @target:	address asked for
 *
 * Return: 0 if a reply came within WAIT_MS, -1 otherwise
 */
static int arp_reply_ok(int fd, struct in_addr target)
{
	uint8_t buf[70000];
	size_t have = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, WAIT_MS) == 1) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		uint32_t flen;

		if (n <= 0)
			return -1;
		have += (size_t)n;
		while (have >= 4) {
			memcpy(&flen, buf, 4);
			flen = ntohl(flen);
			if (flen > sizeof(buf) - 4)
				return -1;
			if (have < 4 + flen)
				break;
			if (flen >= ARP_FRAME_LEN && buf[16] == 0x08 &&
			    buf[17] == 0x06 && buf[25] == 2 &&
			    !memcmp(buf + 4 + 28, &target, 4)) {
				printf("ARP reply: %s is at "
				       "%02x:%02x:%02x:%02x:%02x:%02x\n",
				       inet_ntoa(target), buf[26], buf[27],
				       buf[28], buf[29], buf[30], buf[31]);
				return 0;
			}
			memmove(buf, buf + 4 + flen, have - 4 - flen);
			have -= 4 + flen;
		}
	}
	return -1;
}

/**
 * pid_wait_gone() - wait, bounded, for a process that is not our child
 * @pidfile:	file holding its PID
 *
 * Return: 0 if it exited within WAIT_MS, -1 otherwise
 */
static int pid_wait_gone(const char *pidfile)
{
	FILE *f = fopen(pidfile, "r");
	int pid = 0, i;

	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid <= 0) {
		fprintf(stderr, "no PID in %s\n", pidfile);
		return -1;
	}
	for (i = 0; i < WAIT_MS / 50; i++) {
		if (kill(pid, 0) && errno == ESRCH)
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "daemon %d still running after its link closed\n",
		pid);
	kill(pid, SIGTERM);
	return -1;
}

int main(int argc, char **argv)
{
	uint8_t req[4 + ARP_FRAME_LEN];
	struct in_addr gw;
	int sv[2], status;
	pid_t pid;

	if (argc < 5 || strcmp(argv[3], "--") ||
	    inet_pton(AF_INET, argv[2], &gw) != 1) {
		fprintf(stderr, "usage: %s PIDFILE GATEWAY4 -- PASST [ARGS]\n",
			argv[0]);
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	pid = fork();
	if (pid == 0) {
		dup2(sv[1], 3);
		execv(argv[4], argv + 4);
		_exit(127);
	}
	close(sv[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "launched process did not exit 0\n");
		return 1;
	}
	arp_request(req, gw);
	if (write(sv[0], req, sizeof(req)) != (ssize_t)sizeof(req) ||
	    arp_reply_ok(sv[0], gw)) {
		fprintf(stderr, "no ARP reply over the --fd link\n");
		return 1;
	}
	close(sv[0]);
	return pid_wait_gone(argv[1]) ? 1 : 0;
}
