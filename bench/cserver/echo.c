/*
 * echo.c: a minimal single-threaded epoll echo server, the bench harness's
 * reference for one core's practical limit.
 *
 *   cc -O2 -o echo echo.c && ./echo 127.0.0.1 7000
 *
 * Edge-triggered: each connection is registered once for EPOLLIN|EPOLLOUT|
 * EPOLLET and read until EAGAIN. Bytes are written back at once; what the
 * socket does not take is kept in a per-connection buffer, reading from that
 * connection stops until the buffer is flushed on EPOLLOUT (backpressure).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ 65536
#define MAXEV 256

struct conn {
	int fd;
	char *pend; /* unwritten output */
	size_t plen, pcap;
};

static int epfd;

static void die(const char *what) {
	perror(what);
	exit(1);
}

static void drop(struct conn *c) {
	close(c->fd); /* also removes it from the epoll set */
	free(c->pend);
	free(c);
}

/* flush writes pending output; 0: all written, 1: more left, -1: error. */
static int flush(struct conn *c) {
	while (c->plen > 0) {
		ssize_t n = write(c->fd, c->pend, c->plen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 1;
			return -1;
		}
		memmove(c->pend, c->pend + n, c->plen - n);
		c->plen -= n;
	}
	return 0;
}

static int keep(struct conn *c, const char *p, size_t n) {
	if (c->plen + n > c->pcap) {
		size_t cap = c->pcap ? c->pcap * 2 : BUFSZ;
		while (cap < c->plen + n)
			cap *= 2;
		char *q = realloc(c->pend, cap);
		if (!q)
			return -1;
		c->pend = q;
		c->pcap = cap;
	}
	memcpy(c->pend + c->plen, p, n);
	c->plen += n;
	return 0;
}

/* serve reads until EAGAIN and echoes; returns -1 when c must be dropped. */
static int serve(struct conn *c, char *buf) {
	for (;;) {
		if (c->plen > 0) {
			int r = flush(c);
			if (r != 0)
				return r < 0 ? -1 : 0; /* wait for EPOLLOUT */
		}
		ssize_t n = read(c->fd, buf, BUFSZ);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		ssize_t off = 0;
		while (off < n) {
			ssize_t w = write(c->fd, buf + off, n - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				if (errno != EAGAIN)
					return -1;
				if (keep(c, buf + off, n - off) < 0)
					return -1;
				return 0; /* output full: stop reading until EPOLLOUT */
			}
			off += w;
		}
	}
}

int main(int argc, char **argv) {
	const char *host = argc > 1 ? argv[1] : "127.0.0.1";
	int port = argc > 2 ? atoi(argv[2]) : 7000;
	signal(SIGPIPE, SIG_IGN);

	int ln = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ln < 0)
		die("socket");
	int one = 1;
	setsockopt(ln, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("inet_pton");
	if (bind(ln, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("bind");
	if (listen(ln, SOMAXCONN) < 0)
		die("listen");

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		die("epoll_create1");
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, ln, &ev) < 0)
		die("epoll_ctl");
	fprintf(stderr, "echo.c listening on %s:%d\n", host, port);

	static char buf[BUFSZ];
	struct epoll_event evs[MAXEV];
	for (;;) {
		int n = epoll_wait(epfd, evs, MAXEV, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c == NULL) { /* listener: accept all pending */
				for (;;) {
					int fd = accept4(ln, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0)
						break; /* EAGAIN, or EMFILE: retried on the next event */
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct conn *nc = calloc(1, sizeof *nc);
					if (!nc) {
						close(fd);
						continue;
					}
					nc->fd = fd;
					struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = nc};
					if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev) < 0) {
						close(fd);
						free(nc);
					}
				}
				continue;
			}
			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				drop(c);
				continue;
			}
			if (serve(c, buf) < 0)
				drop(c);
		}
	}
}
