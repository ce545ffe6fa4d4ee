/* SPDX-License-Identifier: MIT */
/*
 * mqueue — a POSIX message queue (mq_open). It mirrors no CPython source:
 * the standard library has no binding for it; it is the kernel's own
 * message-passing primitive, to compare Queue and Pipe against. The kernel
 * keeps message boundaries, but a message may not be longer than the
 * queue's mq_msgsize and the queue holds at most mq_maxmsg of them; both
 * are capped by system limits (fs.mqueue.msgsize_max, fs.mqueue.msg_max,
 * RLIMIT_MSGQUEUE). So a long message goes in pieces: the first starts with
 * its total length, and a writer lock and a reader lock keep the pieces of
 * one message together. The queue has a name only between mq_open and
 * mq_unlink, a few lines apart: nothing is left in /dev/mqueue whatever
 * happens afterwards.
 *
 * CPython versions: none (it mirrors no CPython source).
 */
#include "channel_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "ipcname.h" /* ipc_name */

#define DEFAULT_DEPTH 10
#define DEFAULT_MSGSIZE 8192

struct mq_shared {
	pthread_mutex_t rlock, wlock;
	int broken;
};

struct mq {
	struct mq_shared *sh;
	mqd_t mq;
	struct ch_lifeline life;
	long msgsize;
	unsigned char *piece; /* one message of msgsize bytes, for receiving */
	unsigned char *first; /* the first piece of a message being sent */
};

static int mark_broken(struct mq *m)
{
	__atomic_store_n(&m->sh->broken, 1, __ATOMIC_RELEASE);
	return -ECONNRESET;
}

/* mq_timed* take CLOCK_REALTIME deadlines; wait at most one slice. */
static struct timespec slice_from_now(uint64_t deadline)
{
	struct timespec ts;
	uint64_t ns = ch_left(deadline, CH_SLICE_NS);

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec += (long)(ns % 1000000000ull);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_sec++, ts.tv_nsec -= 1000000000L;
	return ts;
}

/* One piece. first: the deadline applies (else wait until done or dead). */
static int send_piece(struct mq *m, const void *p, size_t n, uint64_t deadline, bool first)
{
	for (;;) {
		struct timespec ts = slice_from_now(first ? deadline : CH_FOREVER);

		if (mq_timedsend(m->mq, p, n, 0, &ts) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != ETIMEDOUT)
			return -errno;
		if (ch_lifeline_no_receivers(&m->life))
			return -EPIPE;
		if (first && ch_left(deadline, 1) == 0)
			return -ETIMEDOUT;
	}
}

static int send_locked(struct mq *m, const unsigned char *buf, size_t len, uint64_t deadline)
{
	size_t room = (size_t)m->msgsize - sizeof(ch_len_t), k = len < room ? len : room;
	ch_len_t hdr = (ch_len_t)len;
	int rc;

	memcpy(m->first, &hdr, sizeof(hdr));
	if (k)
		memcpy(m->first + sizeof(hdr), buf, k);
	rc = send_piece(m, m->first, sizeof(hdr) + k, deadline, true);
	for (size_t off = k; rc == 0 && off < len; off += k) {
		k = len - off < (size_t)m->msgsize ? len - off : (size_t)m->msgsize;
		rc = send_piece(m, buf + off, k, CH_FOREVER, false);
	}
	return rc;
}

static int mq_send_msg(struct channel *ch, const void *buf, size_t len, uint64_t deadline)
{
	struct mq *m = ch->priv;
	int rc;

	if (!(ch->role & CH_SEND))
		return -EINVAL;
	if (__atomic_load_n(&m->sh->broken, __ATOMIC_ACQUIRE))
		return -ECONNRESET;
	rc = ch_mutex_lock(&m->sh->wlock, deadline);
	if (rc < 0)
		return rc == -ECONNRESET ? mark_broken(m) : rc;
	rc = send_locked(m, buf, len, deadline);
	pthread_mutex_unlock(&m->sh->wlock);
	return rc;
}

/* One piece into m->piece; its length, or < 0. */
static ssize_t recv_piece(struct mq *m, uint64_t deadline, bool first)
{
	for (;;) {
		struct timespec ts = slice_from_now(first ? deadline : CH_FOREVER);
		ssize_t n = mq_timedreceive(m->mq, (char *)m->piece, (size_t)m->msgsize, NULL, &ts);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != ETIMEDOUT)
			return -errno;
		if (!first && ch_mutex_owner_died(&m->sh->wlock))
			return mark_broken(m);
		if (ch_lifeline_no_senders(&m->life)) {
			/* one last look: a message sent just before the end */
			struct timespec now = slice_from_now(CH_NOWAIT);

			n = mq_timedreceive(m->mq, (char *)m->piece, (size_t)m->msgsize, NULL,
					    &now);
			if (n >= 0)
				return n;
			return first ? -EPIPE : mark_broken(m);
		}
		if (first && ch_left(deadline, 1) == 0)
			return -ETIMEDOUT;
	}
}

static ssize_t recv_locked(struct mq *m, unsigned char *buf, size_t cap, uint64_t deadline)
{
	ssize_t n = recv_piece(m, deadline, true);
	size_t len, off;
	ch_len_t hdr;

	if (n < 0)
		return n;
	if ((size_t)n < sizeof(hdr))
		return mark_broken(m);
	memcpy(&hdr, m->piece, sizeof(hdr));
	len = hdr;
	off = (size_t)n - sizeof(hdr);
	if (cap)
		memcpy(buf, m->piece + sizeof(hdr), off < cap ? off : cap);
	while (off < len) {
		n = recv_piece(m, CH_FOREVER, false);
		if (n < 0)
			return n;
		if (off < cap)
			memcpy(buf + off, m->piece, cap - off < (size_t)n ? cap - off : (size_t)n);
		off += (size_t)n;
	}
	return len > cap ? -EMSGSIZE : (ssize_t)len;
}

static ssize_t mq_recv_msg(struct channel *ch, void *buf, size_t cap, uint64_t deadline)
{
	struct mq *m = ch->priv;
	ssize_t r;
	int rc;

	if (!(ch->role & CH_RECV))
		return -EINVAL;
	if (__atomic_load_n(&m->sh->broken, __ATOMIC_ACQUIRE))
		return -ECONNRESET;
	rc = ch_mutex_lock(&m->sh->rlock, deadline);
	if (rc < 0)
		return rc == -ECONNRESET ? mark_broken(m) : rc;
	r = recv_locked(m, buf, cap, deadline);
	pthread_mutex_unlock(&m->sh->rlock);
	return r;
}

static int mq_open_role(struct channel *ch, int role)
{
	struct mq *m = ch->priv;

	if (role < CH_SEND || role > (CH_SEND | CH_RECV))
		return -EINVAL;
	ch_lifeline_role(&m->life, role);
	return 0;
}

static bool mq_is_empty(struct channel *ch)
{
	struct mq *m = ch->priv;
	struct mq_attr a;

	return mq_getattr(m->mq, &a) == 0 && a.mq_curmsgs == 0;
}

static int mq_no_flush(struct channel *ch)
{
	(void)ch;
	return 0;
}

static void mq_close_msg(struct channel *ch)
{
	struct mq *m = ch->priv;

	if (m->mq != (mqd_t)-1)
		mq_close(m->mq);
	ch_lifeline_close(&m->life);
	munmap(m->sh, sizeof(*m->sh));
	free(m->piece);
	free(m->first);
	free(m);
}

static const struct channel_ops mq_ops = {
	.open = mq_open_role,
	.send = mq_send_msg,
	.recv = mq_recv_msg,
	.empty = mq_is_empty,
	.flush = mq_no_flush,
	.close = mq_close_msg,
};

static long read_limit(const char *path, long fallback)
{
	FILE *f = fopen(path, "r");
	long v = fallback;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = fallback;
		fclose(f);
	}
	return v;
}

/* Say which limit bit and how to raise it. */
static void explain(char *err, size_t errlen, int e, const struct mq_attr *a)
{
	long msg_max = read_limit("/proc/sys/fs/mqueue/msg_max", -1);
	long size_max = read_limit("/proc/sys/fs/mqueue/msgsize_max", -1);
	long qmax = read_limit("/proc/sys/fs/mqueue/queues_max", -1);
	struct rlimit rl = { 0, 0 };

	getrlimit(RLIMIT_MSGQUEUE, &rl);
	if (e == EINVAL)
		ch_err(err, errlen,
		       "mq_open: depth %ld x %ld bytes is above the system's limits "
		       "(fs.mqueue.msg_max=%ld, fs.mqueue.msgsize_max=%ld); raise them with "
		       "sysctl -w fs.mqueue.msg_max=N fs.mqueue.msgsize_max=N (as root)",
		       a->mq_maxmsg, a->mq_msgsize, msg_max, size_max);
	else if (e == EMFILE)
		ch_err(err, errlen,
		       "mq_open: RLIMIT_MSGQUEUE (%llu bytes for all queues of this user) "
		       "is used up; raise it with ulimit -q (or limits.conf msgqueue)",
		       (unsigned long long)rl.rlim_cur);
	else if (e == ENOSPC)
		ch_err(err, errlen,
		       "mq_open: fs.mqueue.queues_max=%ld queues exist already; raise it with "
		       "sysctl -w fs.mqueue.queues_max=N",
		       qmax);
	else if (e == ENOSYS)
		ch_err(err, errlen, "mq_open: this kernel has no POSIX message queues");
	else
		ch_err(err, errlen, "mq_open: %s", strerror(e));
}

static struct mq_attr attr_of(const struct channel_opts *o)
{
	long msg_max = read_limit("/proc/sys/fs/mqueue/msg_max", DEFAULT_DEPTH);
	long size_max = read_limit("/proc/sys/fs/mqueue/msgsize_max", DEFAULT_MSGSIZE);
	struct mq_attr a = { 0 };

	a.mq_maxmsg = o->mq_depth ? o->mq_depth :
				    (msg_max < DEFAULT_DEPTH ? msg_max : DEFAULT_DEPTH);
	a.mq_msgsize = o->mq_msgsize ? o->mq_msgsize :
				       (size_max < DEFAULT_MSGSIZE ? size_max : DEFAULT_MSGSIZE);
	return a;
}

static int open_queue(struct mq *m, const struct channel_opts *o, char *err, size_t errlen)
{
	struct mq_attr a = attr_of(o);
	char name[96];

	if (a.mq_msgsize <= (long)sizeof(ch_len_t)) {
		ch_err(err, errlen, "mqueue: message size %ld is too small", a.mq_msgsize);
		return -EINVAL;
	}
	ipc_name(name, sizeof(name), "mq");
	m->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (m->mq == (mqd_t)-1) {
		int e = errno;

		explain(err, errlen, e, &a);
		return -e;
	}
	mq_unlink(name); /* the descriptor lives on; the name must not */
	m->msgsize = a.mq_msgsize;
	m->piece = malloc((size_t)a.mq_msgsize);
	m->first = malloc((size_t)a.mq_msgsize);
	return m->piece && m->first ? 0 : -ENOMEM;
}

static int mqueue_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen)
{
	struct mq *m = calloc(1, sizeof(*m));
	int rc;

	if (!m || !(m->sh = ch_shared_alloc(sizeof(*m->sh)))) {
		ch_err(err, errlen, "mqueue: out of memory");
		free(m);
		return -ENOMEM;
	}
	m->mq = (mqd_t)-1;
	m->life.rd = m->life.wr = -1;
	rc = open_queue(m, o, err, errlen);
	if (rc == 0 && (rc = ch_lifeline_init(&m->life)) < 0)
		ch_err(err, errlen, "mqueue: pipe2: %s", strerror(-rc));
	if (rc < 0) {
		mq_close_msg(&(struct channel){ .priv = m });
		return rc;
	}
	ch_mutex_init(&m->sh->rlock);
	ch_mutex_init(&m->sh->wlock);
	ch->priv = m;
	ch->ops = &mq_ops;
	return 0;
}

const struct ch_kind ch_kind_mqueue = { .name = "mqueue", .create = mqueue_create };
