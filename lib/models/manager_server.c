/* SPDX-License-Identifier: MIT */
/*
 * manager_server — the manager's server process (Server in
 * Lib/multiprocessing/managers.py): the main thread accepts connections and
 * starts a thread for each (accepter -> handle_request -> serve_client);
 * that thread authenticates the client (manager_auth.c, as _handle_request
 * does), then reads a request, calls the queue's method, and writes the
 * reply, until its client leaves. incref and decref count a queue's
 * proxies. A get that waits blocks that thread only,
 * as in Python. The queues are tqueue.c's queue.Queue holding the messages
 * (each malloc'd: the server owns its copy, as it owns the unpickled
 * object). The server ends on MGR_SHUTDOWN, when the creator's lifeline
 * closes, or when its parent changes (the creator died); it closes every fd
 * it inherited but its listener and lifeline, so it holds nobody's pipe
 * open (a worker waiting for EOF on a start line would wait for ever).
 *
 * CPython versions: see manager.h's opening comment.
 */
#include "manager_impl.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tqueue.h"

#define MGR_MAXQ 64
#define SLICE_MS 20 /* a blocked put looks again for receivers this often */

struct msg {
	uint32_t len;
	unsigned char data[];
};

/* A sentinel: the last sender has gone. A get that meets it puts it back. */
static struct msg eof_marker;

struct squeue {
	struct tqueue q;
	int refs;		/* atomic: the creator's proxy, plus increfs, minus decrefs */
	int life_snd, life_rcv; /* read ends: POLLHUP when no sender / receiver is left */
	int no_receivers;	/* atomic */
};

static struct squeue *queues[MGR_MAXQ + 1]; /* by qid, 1.. */
static int authenticated;		    /* atomic: connections past the handshake */
static pthread_mutex_t queues_mu = PTHREAD_MUTEX_INITIALIZER;

static struct squeue *queue_of(uint32_t qid)
{
	struct squeue *s = NULL;

	pthread_mutex_lock(&queues_mu);
	if (qid >= 1 && qid <= MGR_MAXQ)
		s = queues[qid];
	pthread_mutex_unlock(&queues_mu);
	return s;
}

/* One thread per queue with lifelines: when the senders' read end hangs
 * up, the sentinel goes in; when the receivers' does, puts fail. */
static void *watch(void *arg)
{
	struct squeue *s = arg;
	struct pollfd p[2] = { { .fd = s->life_snd, .events = POLLIN },
			       { .fd = s->life_rcv, .events = POLLIN } };

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLHUP | POLLERR)) {
			p[0].fd = -1;
			tqueue_put(&s->q, &eof_marker, 0, -1);
		}
		if (p[1].revents & (POLLHUP | POLLERR)) {
			p[1].fd = -1;
			__atomic_store_n(&s->no_receivers, 1, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

/* MGR_NEWQ: a queue of maxsize, watched when two lifelines came with it. */
static int new_queue(const struct mgr_req *rq, int fd, const int *fds, int nfds)
{
	uint64_t maxsize = 0;
	struct squeue *s;
	pthread_t t;
	int qid = -ENOSPC;

	if (rq->len != sizeof(maxsize) || mgr_read_all(fd, &maxsize, sizeof(maxsize)) < 0)
		return -EPROTO;
	if (!(s = calloc(1, sizeof(*s))) || tqueue_init(&s->q, TQ_FIFO, (size_t)maxsize) < 0) {
		free(s);
		return -ENOMEM;
	}
	s->refs = 1;
	s->life_snd = nfds == 2 ? fds[0] : -1;
	s->life_rcv = nfds == 2 ? fds[1] : -1;
	pthread_mutex_lock(&queues_mu);
	for (int i = 1; i <= MGR_MAXQ && qid < 0; i++)
		if (!queues[i])
			queues[qid = i] = s;
	pthread_mutex_unlock(&queues_mu);
	if (qid > 0 && nfds == 2 && pthread_create(&t, NULL, watch, s) == 0)
		pthread_detach(t);
	return qid;
}

/* MGR_PUT: the message is read first (the stream must stay in step), then
 * put, in slices so that a queue whose receivers have all gone says so. */
static int do_put(struct squeue *s, const struct mgr_req *rq, int fd)
{
	struct msg *m = malloc(sizeof(*m) + rq->len);
	int left = rq->timeout_ms, rc;

	if (!m)
		return mgr_read_payload(fd, NULL, 0, rq->len) < 0 ? -ECONNRESET : -ENOMEM;
	m->len = rq->len;
	if (mgr_read_all(fd, m->data, rq->len) < 0) {
		free(m);
		return -ECONNRESET;
	}
	do {
		int slice = left < 0 || left > SLICE_MS ? SLICE_MS : left;

		if (__atomic_load_n(&s->no_receivers, __ATOMIC_ACQUIRE)) {
			rc = -EPIPE;
			break;
		}
		rc = tqueue_put(&s->q, m, 0, slice);
		if (left > 0)
			left = left > slice ? left - slice : 0;
	} while (rc == -ETIMEDOUT && left != 0);
	if (rc < 0)
		free(m);
	return rc == -EAGAIN ? -ETIMEDOUT : rc;
}

/* MGR_GET: the reply is written here (its payload is the message). */
static int do_get(struct squeue *s, const struct mgr_req *rq, int fd)
{
	struct mgr_rep rep = { 0, 0 };
	void *item = NULL;
	int rc = tqueue_get(&s->q, &item, rq->timeout_ms);

	if (rc == 0 && item == &eof_marker) {
		tqueue_put(&s->q, item, 0, -1); /* for the other receivers */
		rc = -EPIPE;
	}
	rep.status = rc == -EAGAIN ? -ETIMEDOUT : rc;
	if (rc < 0)
		return mgr_write_all(fd, &rep, sizeof(rep), NULL, 0);
	rep.len = ((struct msg *)item)->len;
	rc = mgr_write_all(fd, &rep, sizeof(rep), ((struct msg *)item)->data, rep.len);
	free(item); /* a client gone mid-reply loses it, as a proxy's dead process does */
	return rc;
}

/* Read a request's header and the fds that came with it. */
static int read_request(int fd, struct mgr_req *rq, int fds[2], int *nfds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { rq, sizeof(*rq) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	ssize_t r;

	do
		r = recvmsg(fd, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -ECONNRESET;
	*nfds = 0;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			*nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			*nfds = *nfds > 2 ? 2 : *nfds;
			memcpy(fds, CMSG_DATA(cm), (size_t)*nfds * sizeof(int));
		}
	if ((size_t)r < sizeof(*rq))
		return mgr_read_all(fd, (char *)rq + r, sizeof(*rq) - (size_t)r);
	return 0;
}

/* One request: its reply written, or -ECONNRESET when the client left. */
static int serve_one(int fd)
{
	struct mgr_req rq = { 0 };
	struct mgr_rep rep = { 0, 0 };
	struct squeue *s;
	int fds[2], nfds = 0;

	if (read_request(fd, &rq, fds, &nfds) < 0)
		return -ECONNRESET;
	if (rq.op == MGR_NEWQ) {
		rep.status = new_queue(&rq, fd, fds, nfds);
		for (int i = 0; rep.status < 0 && i < nfds; i++)
			close(fds[i]);
	} else if (rq.op == MGR_STATS || rq.op == MGR_ACCEPT) {
		rep.status =
			rq.op == MGR_ACCEPT ? 0 : __atomic_load_n(&authenticated, __ATOMIC_ACQUIRE);
	} else if (rq.op == MGR_SHUTDOWN) {
		mgr_write_all(fd, &rep, sizeof(rep), NULL, 0);
		_exit(0); /* serve_forever's stop_event: everything goes with the process */
	} else if (!(s = queue_of(rq.qid)) || (rq.op != MGR_PUT && rq.len)) {
		if (mgr_read_payload(fd, NULL, 0, rq.len) < 0)
			return -ECONNRESET;
		rep.status = -EINVAL;
	} else if (rq.op == MGR_GET) {
		return do_get(s, &rq, fd);
	} else if (rq.op == MGR_PUT) {
		rep.status = do_put(s, &rq, fd);
		if (rep.status == -ECONNRESET)
			return -ECONNRESET;
	} else if (rq.op == MGR_INCREF || rq.op == MGR_DECREF) {
		/* Server.incref / decref; at 0 CPython deletes the object: not
		 * modelled, a queue here lives as long as the server */
		rep.status = __atomic_add_fetch(&s->refs, rq.op == MGR_INCREF ? 1 : -1,
						__ATOMIC_ACQ_REL);
	} else {
		rep.status = rq.op == MGR_QSIZE ? (int)tqueue_qsize(&s->q) : -EINVAL;
	}
	return mgr_write_all(fd, &rep, sizeof(rep), NULL, 0);
}

/* handle_request's thread: the handshake, then the requests. */
static void *serve_client(void *arg)
{
	int fd = (int)(intptr_t)arg;

	if (mgr_auth_server(fd) == 0) {
		__atomic_add_fetch(&authenticated, 1, __ATOMIC_ACQ_REL);
		while (serve_one(fd) == 0)
			;
	}
	close(fd);
	return NULL;
}

/* Keep fds 0-2, the listener and the lifeline; close the rest. */
static void close_inherited(int keep1, int keep2)
{
	int hi = keep1 > keep2 ? keep1 : keep2, lo = keep1 < keep2 ? keep1 : keep2;

	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0u, 0);
}

void mgr_serve(int listen_fd, int life_rd, pid_t creator)
{
	struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN },
			       { .fd = life_rd, .events = POLLIN } };

	close_inherited(listen_fd, life_rd);
	for (;;) {
		pthread_t t;
		int n = poll(p, 2, 100), c;

		if (getppid() != creator || (n > 0 && (p[1].revents & (POLLHUP | POLLERR))))
			_exit(0); /* the creator has gone without shutdown */
		if (n <= 0 || !(p[0].revents & POLLIN))
			continue;
		c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve_client, (void *)(intptr_t)c) == 0)
			pthread_detach(t);
		else
			close(c);
	}
}
