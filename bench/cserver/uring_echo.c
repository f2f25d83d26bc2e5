/*
 * uring_echo.c: a minimal single-threaded io_uring echo server, the bench
 * harness's reference for what a completion engine costs on one core.
 *
 *   cc -O2 -o uring_echo uring_echo.c -luring && ./uring_echo 127.0.0.1 7000
 *
 * One multishot accept; one multishot recv per connection into a shared
 * provided-buffer ring (NBUF buffers of BUFSZ bytes, so idle connections
 * hold no buffer); what arrives is sent back from the same buffer, which
 * returns to the ring when the send completes. Sends of one connection are
 * issued one at a time, in order (a short send is re-issued for the rest),
 * so bytes never reorder. A connection whose peer sends faster than it reads
 * has its recv cancelled once QCAP/2 sends are pending and re-armed when they
 * have all gone out (backpressure); one that overflows the queue anyway is
 * closed, never silently truncated. The ring is set up with SINGLE_ISSUER and
 * DEFER_TASKRUN where the kernel has them, and each loop iteration makes one
 * io_uring_enter (submit what was queued and wait for at least one
 * completion).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NBUF 1024  /* buffers in the provided-buffer ring (a power of two) */
#define BUFSZ 65536
#define BGID 1
#define MAXFD 65536
#define QCAP 64 /* pending sends per connection (buffer ids) */

enum { OP_ACCEPT = 1, OP_RECV, OP_SEND, OP_CANCEL };

struct pend {
	unsigned short bid;
	unsigned off, len;
};

struct conn {
	int open, eof, sending, paused;
	struct pend q[QCAP];
	unsigned head, n; /* ring of pending sends; q[head] may be in flight */
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static struct conn *conns;
static int lfd;
static int starved[MAXFD], nstarved; /* recvs ended by ENOBUFS, re-armed when buffers return */

static void die(const char *what, int err) {
	fprintf(stderr, "%s: %s\n", what, strerror(err));
	exit(1);
}

static struct io_uring_sqe *sqe_get(void) {
	struct io_uring_sqe *s = io_uring_get_sqe(&ring);
	if (!s) {
		io_uring_submit(&ring);
		s = io_uring_get_sqe(&ring);
		if (!s)
			die("get_sqe", EBUSY);
	}
	return s;
}

static unsigned long long ud(int op, int fd) { return (unsigned long long)op << 32 | (unsigned)fd; }

static void put_buf(unsigned short bid) {
	io_uring_buf_ring_add(br, bufs + (size_t)bid * BUFSZ, BUFSZ, bid, io_uring_buf_ring_mask(NBUF), 0);
	io_uring_buf_ring_advance(br, 1);
}

static void arm_accept(void) {
	struct io_uring_sqe *s = sqe_get();
	io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(s, ud(OP_ACCEPT, lfd));
}

static void arm_recv(int fd) {
	struct io_uring_sqe *s = sqe_get();
	io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = BGID;
	io_uring_sqe_set_data64(s, ud(OP_RECV, fd));
}

static void arm_send(int fd) {
	struct conn *c = &conns[fd];
	struct pend *p = &c->q[c->head];
	struct io_uring_sqe *s = sqe_get();
	io_uring_prep_send(s, fd, bufs + (size_t)p->bid * BUFSZ + p->off, p->len - p->off, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(s, ud(OP_SEND, fd));
	c->sending = 1;
}

/* maybe_close closes fd once it has ended and no send is in flight. */
static void maybe_close(int fd) {
	struct conn *c = &conns[fd];
	if (!c->eof || c->sending)
		return;
	while (c->n > 0) {
		put_buf(c->q[c->head].bid);
		c->head = (c->head + 1) % QCAP;
		c->n--;
	}
	c->open = 0;
	close(fd);
}

static void pause_recv(int fd) {
	struct io_uring_sqe *s = sqe_get();
	io_uring_prep_cancel64(s, ud(OP_RECV, fd), 0);
	io_uring_sqe_set_data64(s, ud(OP_CANCEL, fd));
	conns[fd].paused = 1;
}

static void on_recv(int fd, int res, unsigned flags) {
	struct conn *c = &conns[fd];
	if (res > 0) {
		unsigned short bid = flags >> IORING_CQE_BUFFER_SHIFT;
		if (c->eof) {
			put_buf(bid);
		} else if (c->n == QCAP) { /* overflow despite the pause: close, never drop bytes */
			put_buf(bid);
			c->eof = 1;
			shutdown(fd, SHUT_RDWR);
			maybe_close(fd);
			return;
		} else {
			struct pend *p = &c->q[(c->head + c->n) % QCAP];
			p->bid = bid, p->off = 0, p->len = (unsigned)res;
			c->n++;
			if (!c->sending)
				arm_send(fd);
			if (c->n >= QCAP / 2 && !c->paused)
				pause_recv(fd);
		}
		if (!(flags & IORING_CQE_F_MORE) && !c->eof && !c->paused)
			arm_recv(fd);
		return;
	}
	if (res == -ECANCELED && c->paused)
		return;
	if (res == -ENOBUFS) {
		if (nstarved < MAXFD)
			starved[nstarved++] = fd;
		return;
	}
	c->eof = 1; /* 0: end of file; <0: error */
	maybe_close(fd);
}

static void on_send(int fd, int res) {
	struct conn *c = &conns[fd];
	struct pend *p = &c->q[c->head];
	c->sending = 0;
	if (res < 0) {
		c->eof = 1;
		shutdown(fd, SHUT_RDWR);
		maybe_close(fd);
		return;
	}
	p->off += (unsigned)res;
	if (p->off < p->len) {
		arm_send(fd);
		return;
	}
	put_buf(p->bid);
	c->head = (c->head + 1) % QCAP;
	c->n--;
	if (c->n > 0) {
		arm_send(fd);
	} else {
		maybe_close(fd);
		if (c->open && c->paused && !c->eof) {
			c->paused = 0;
			arm_recv(fd);
		}
	}
	while (nstarved > 0) { /* a buffer came back: re-arm starved receivers */
		int sfd = starved[--nstarved];
		if (conns[sfd].open && !conns[sfd].eof)
			arm_recv(sfd);
	}
}

int main(int argc, char **argv) {
	const char *host = argc > 1 ? argv[1] : "127.0.0.1";
	int port = argc > 2 ? atoi(argv[2]) : 7000, one = 1, ret;
	signal(SIGPIPE, SIG_IGN);

	struct io_uring_params prm;
	memset(&prm, 0, sizeof prm);
	prm.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	if ((ret = io_uring_queue_init_params(4096, &ring, &prm)) < 0) {
		memset(&prm, 0, sizeof prm);
		if ((ret = io_uring_queue_init_params(4096, &ring, &prm)) < 0)
			die("io_uring_queue_init", -ret);
	}

	if (posix_memalign((void **)&br, 4096, NBUF * sizeof(struct io_uring_buf)) != 0 ||
	    posix_memalign((void **)&bufs, 4096, (size_t)NBUF * BUFSZ) != 0)
		die("alloc", ENOMEM);
	io_uring_buf_ring_init(br);
	struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = NBUF, .bgid = BGID};
	if ((ret = io_uring_register_buf_ring(&ring, &reg, 0)) < 0)
		die("register_buf_ring", -ret);
	for (int i = 0; i < NBUF; i++)
		io_uring_buf_ring_add(br, bufs + (size_t)i * BUFSZ, BUFSZ, i, io_uring_buf_ring_mask(NBUF), i);
	io_uring_buf_ring_advance(br, NBUF);
	conns = calloc(MAXFD, sizeof *conns);
	if (!conns)
		die("calloc", ENOMEM);

	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		die("address", EINVAL);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket", errno);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0)
		die("bind", errno);
	if (listen(lfd, 4096) < 0)
		die("listen", errno);
	arm_accept();

	for (;;) {
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR)
			die("io_uring_enter", -ret);
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			int op = (int)(cqe->user_data >> 32), fd = (int)(cqe->user_data & 0xffffffff);
			seen++;
			switch (op) {
			case OP_ACCEPT:
				if (cqe->res >= 0 && cqe->res < MAXFD) {
					int cfd = cqe->res;
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					memset(&conns[cfd], 0, sizeof conns[cfd]);
					conns[cfd].open = 1;
					arm_recv(cfd);
				} else if (cqe->res >= 0) {
					close(cqe->res);
				}
				if (!(cqe->flags & IORING_CQE_F_MORE))
					arm_accept();
				break;
			case OP_RECV:
				on_recv(fd, cqe->res, cqe->flags);
				break;
			case OP_SEND:
				on_send(fd, cqe->res);
				break;
			}
		}
		io_uring_cq_advance(&ring, seen);
	}
}
