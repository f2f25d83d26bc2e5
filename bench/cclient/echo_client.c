/*
 * echo_client: a minimal epoll echo load client in C, sharing no code with
 * the servers it measures (the Go harness's load generator is the other
 * client). One thread, one epoll instance, non-blocking sockets.
 *
 * Each of --conns connections keeps --depth messages of --size bytes in
 * flight: it sends depth messages, and one more for every complete message
 * echoed back, until --duration seconds have passed; then it stops sending
 * and waits up to 2 s for the replies still in flight. Every byte echoed is
 * checked against what was sent (a per-connection byte pattern). Latency is
 * the time from a message's send to the arrival of its last echoed byte.
 *
 * Output: one JSON object on stdout with the fields the harness reads from
 * its own client (msgs, msgs_per_sec, latency p50/p99..., errors,
 * client_cpu_seconds).
 *
 *   cc -O2 -o echo_client echo_client.c
 *   echo_client --addr 127.0.0.1:7000 --conns 1000 --depth 16 --size 64 --duration 3
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXSAMPLES (1 << 20)

struct conn {
	int fd;
	int connected;
	uint64_t sent;      /* bytes handed to the kernel */
	uint64_t queued;    /* bytes of whole messages the client means to send */
	uint64_t recvd;     /* bytes echoed back */
	uint64_t *stamps;   /* send time of each message in flight, a ring of depth */
	int head, count;    /* ring of stamps */
	int want_out;       /* EPOLLOUT registered */
};

static int conns = 100, depth = 1, size = 64;
static double duration = 3;
static char host[64] = "127.0.0.1";
static int port = 7000;
static uint64_t *samples;
static uint64_t nsamples, seen; /* reservoir of latencies (ns) */
static uint64_t errors;
static char errmsg[256];

static uint64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void) {
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The bytes a connection sends are a stream cut from a fixed pseudo-random
 * table of PERIOD bytes (a prime, so messages of any size shift through it),
 * starting at an offset of its own. tab holds the table and, after it, its
 * first 64 KiB again, so any 64 KiB window is contiguous: sends come from
 * it directly and echoes are checked with one memcmp. */
#define PERIOD 65521
#define WINDOW 65536
static unsigned char tab[PERIOD + WINDOW];

static inline const unsigned char *stream_at(int i, uint64_t off) { return tab + (off + (uint64_t)i * 7919) % PERIOD; }

static void fail(const char *what, int i, int err) {
	errors++;
	if (!errmsg[0])
		snprintf(errmsg, sizeof errmsg, "conn %d: %s: %s", i, what, err ? strerror(err) : "bad data");
}

static void record(uint64_t lat) {
	seen++;
	if (nsamples < MAXSAMPLES) {
		samples[nsamples++] = lat;
	} else {
		uint64_t j = (uint64_t)rand() % seen; /* reservoir sampling */
		if (j < MAXSAMPLES)
			samples[j] = lat;
	}
}

static int cmp(const void *a, const void *b) {
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(double p) {
	if (nsamples == 0)
		return 0;
	uint64_t k = (uint64_t)(p * (double)nsamples);
	if (k >= nsamples)
		k = nsamples - 1;
	return samples[k] / 1e3;
}

/* flush writes what is queued; returns -1 when the connection failed. */
static int flush(int ep, struct conn *c, int i) {
	while (c->sent < c->queued) {
		size_t n = c->queued - c->sent;
		if (n > WINDOW)
			n = WINDOW;
		ssize_t w = send(c->fd, stream_at(i, c->sent), n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN)
				break;
			if (errno == EINTR)
				continue;
			fail("send", i, errno);
			return -1;
		}
		c->sent += (uint64_t)w;
	}
	int want = c->sent < c->queued;
	if (want != c->want_out) {
		struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = want;
	}
	return 0;
}

static void queue_msg(struct conn *c, uint64_t t) {
	c->stamps[(c->head + c->count) % depth] = t;
	c->count++;
	c->queued += (uint64_t)size;
}

static void usage(void) {
	fprintf(stderr, "usage: echo_client --addr HOST:PORT --conns N --depth D --size BYTES --duration SECONDS\n");
	exit(2);
}

int main(int argc, char **argv) {
	for (int a = 1; a < argc; a++) {
		if (a + 1 >= argc)
			usage();
		const char *k = argv[a], *v = argv[++a];
		if (!strcmp(k, "--addr")) {
			const char *colon = strrchr(v, ':');
			if (!colon || colon - v >= (long)sizeof host)
				usage();
			memcpy(host, v, (size_t)(colon - v));
			host[colon - v] = 0;
			port = atoi(colon + 1);
		} else if (!strcmp(k, "--conns")) {
			conns = atoi(v);
		} else if (!strcmp(k, "--depth")) {
			depth = atoi(v);
		} else if (!strcmp(k, "--size")) {
			size = atoi(v);
		} else if (!strcmp(k, "--duration")) {
			duration = atof(v);
		} else {
			usage();
		}
	}
	if (conns <= 0 || depth <= 0 || size <= 0 || duration <= 0)
		usage();
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		usage();
	uint32_t x = 2463534242u; /* xorshift32 */
	for (int k = 0; k < PERIOD; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		tab[k] = (unsigned char)x;
	}
	for (int k = 0; k < WINDOW; k++) /* the periodic extension (the ranges overlap) */
		tab[PERIOD + k] = tab[k];
	samples = malloc(sizeof(uint64_t) * MAXSAMPLES);
	struct conn *cs = calloc((size_t)conns, sizeof *cs);
	uint64_t *stamps = calloc((size_t)conns * (size_t)depth, sizeof *stamps);
	unsigned char *rbuf = malloc(WINDOW);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!samples || !cs || !stamps || !rbuf || ep < 0) {
		perror("setup");
		return 1;
	}
	double cpu0 = cpu_seconds();
	int open = 0;
	for (int i = 0; i < conns; i++) {
		struct conn *c = &cs[i];
		c->stamps = stamps + (size_t)i * (size_t)depth;
		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->fd < 0) {
			fail("socket", i, errno);
			continue;
		}
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
			fail("connect", i, errno);
			close(c->fd);
			c->fd = -1;
			continue;
		}
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		c->want_out = 1;
		open++;
	}
	/* Wait until every connection is established before the clock starts. */
	struct epoll_event evs[1024];
	int established = 0;
	uint64_t setup_deadline = now_ns() + 10000000000ull;
	while (established < open && now_ns() < setup_deadline) {
		int n = epoll_wait(ep, evs, 1024, 100);
		for (int e = 0; e < n; e++) {
			int i = (int)evs[e].data.u32;
			struct conn *c = &cs[i];
			if (c->connected || c->fd < 0)
				continue;
			int err = 0;
			socklen_t l = sizeof err;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err || (evs[e].events & (EPOLLERR | EPOLLHUP))) {
				fail("connect", i, err ? err : ECONNREFUSED);
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
				open--;
				continue;
			}
			c->connected = 1;
			established++;
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			c->want_out = 0;
		}
	}
	uint64_t start = now_ns();
	uint64_t stop = start + (uint64_t)(duration * 1e9), end = stop + 2000000000ull;
	for (int i = 0; i < conns; i++) {
		struct conn *c = &cs[i];
		if (!c->connected)
			continue;
		for (int d = 0; d < depth; d++)
			queue_msg(c, start);
		if (flush(ep, c, i) < 0) {
			close(c->fd);
			c->fd = -1;
		}
	}
	uint64_t msgs = 0, msgs_in_run = 0;
	int sending = 1;
	uint64_t inflight = 0;
	for (int i = 0; i < conns; i++)
		inflight += (uint64_t)cs[i].count;
	for (;;) {
		uint64_t t = now_ns();
		if (sending && t >= stop)
			sending = 0;
		if (!sending && (inflight == 0 || t >= end))
			break;
		int n = epoll_wait(ep, evs, 1024, 10);
		t = now_ns();
		for (int e = 0; e < n; e++) {
			int i = (int)evs[e].data.u32;
			struct conn *c = &cs[i];
			if (c->fd < 0)
				continue;
			if (evs[e].events & EPOLLOUT) {
				if (flush(ep, c, i) < 0)
					goto dead;
			}
			if (!(evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				continue;
			for (;;) {
				ssize_t r = recv(c->fd, rbuf, WINDOW, 0);
				if (r < 0) {
					if (errno == EAGAIN)
						break;
					if (errno == EINTR)
						continue;
					fail("recv", i, errno);
					goto dead;
				}
				if (r == 0) {
					fail("recv: server closed the connection", i, ECONNRESET);
					goto dead;
				}
				if (memcmp(rbuf, stream_at(i, c->recvd), (size_t)r) != 0) {
					fail("echo", i, 0);
					goto dead;
				}
				uint64_t before = c->recvd / (uint64_t)size;
				c->recvd += (uint64_t)r;
				uint64_t done = c->recvd / (uint64_t)size - before;
				for (uint64_t m = 0; m < done; m++) {
					record(t - c->stamps[c->head]);
					c->head = (c->head + 1) % depth;
					c->count--;
					inflight--;
					msgs++;
					if (sending) {
						msgs_in_run++;
						queue_msg(c, t);
						inflight++;
					}
				}
				if (r < WINDOW)
					break;
			}
			if (c->sent < c->queued && !c->want_out && flush(ep, c, i) < 0)
				goto dead;
			continue;
		dead:
			inflight -= (uint64_t)c->count;
			c->count = 0;
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			c->fd = -1;
		}
	}
	errors += inflight; /* replies still missing at the end */
	if (inflight && !errmsg[0])
		snprintf(errmsg, sizeof errmsg, "%llu replies missing after the drain", (unsigned long long)inflight);
	double secs = (double)(stop - start) / 1e9;
	double cpu = cpu_seconds() - cpu0;
	double mean = 0;
	for (uint64_t k = 0; k < nsamples; k++)
		mean += (double)samples[k];
	mean = nsamples ? mean / (double)nsamples / 1e3 : 0;
	qsort(samples, nsamples, sizeof *samples, cmp);
	printf("{\"addr\":\"%s:%d\",\"proto\":\"echo\",\"engine\":\"c\",\"conns\":%d,\"depth\":%d,\"size\":%d,"
	       "\"seconds\":%.6f,\"msgs\":%llu,\"bytes\":%llu,\"msgs_per_sec\":%.1f,\"mb_per_sec\":%.3f,"
	       "\"latency\":{\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f},"
	       "\"errors\":%llu,\"error_samples\":[",
	       host, port, conns, depth, size, secs, (unsigned long long)msgs,
	       (unsigned long long)(2 * msgs * (uint64_t)size), (double)msgs_in_run / secs,
	       2.0 * (double)msgs_in_run * size / secs / 1e6, pct(0.5), pct(0.9), pct(0.99), pct(0.999),
	       nsamples ? samples[nsamples - 1] / 1e3 : 0, mean, (unsigned long long)errors);
	if (errmsg[0])
		printf("\"%s\"", errmsg);
	printf("],\"client_cpu_seconds\":%.6f}\n", cpu);
	return 0;
}
