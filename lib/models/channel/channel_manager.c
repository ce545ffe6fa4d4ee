/* SPDX-License-Identifier: MIT */
/*
 * manager-queue — Manager().Queue() as a channel: a proxy (BaseProxy in
 * Lib/multiprocessing/managers.py) to a queue.Queue that lives in the
 * manager's server process (lib/models/manager*.c). Every send is a put
 * request and its reply, every recv a get request and its reply, over
 * this process's own connection to the server: as a proxy does, a process
 * that inherits the handle connects anew (BaseProxy._after_fork) instead of
 * sharing its parent's socket. opts.manager names the manager (qid 0: make
 * a new queue there, with lifelines: see manager.h) or an existing queue
 * (qid > 0: attach, no lifelines, no end of stream — a pool worker's view).
 *
 * Attaching is unpickling a proxy (RebuildProxy, BaseProxy.__init__ of
 * 3.11, the same to 3.14): _incref on a connection of its own (connect,
 * authenticate, incref, close); its calls go over the calling thread's
 * connection to that server (BaseProxy._tls, made at the first call in
 * the thread); closing it is the proxy collected (_decref): decref on a
 * connection of its own, and when the process holds no other proxy of the
 * server (its _idset empties) the thread's connection is closed too. So a
 * pool task handed a proxy pays three authenticated connections, and the
 * _tls one its accept_connection request.
 *
 * CPython versions: as lib/models/manager.h says.
 */
#include "channel_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manager_impl.h"

struct mq {
	struct manager_ref ref;
	bool attached;	    /* an unpickled proxy: calls go over the thread's _tls connection */
	int fd;		    /* the creator's: this process's connection */
	pid_t pid;	    /* the process fd belongs to */
	int snd_wr, rcv_wr; /* the lifelines' write ends this process holds (-1: none) */
};

/* BaseProxy._tls (one server's connection per thread) and _idset (the
 * attached proxies this process holds; a forked child holds none). */
static __thread struct {
	char addr[sizeof(((struct manager_ref *)0)->addr)];
	int fd;
	pid_t pid;
} tls = { .fd = -1 };
static int idset;
static pid_t idset_pid;
static pthread_mutex_t idset_mu = PTHREAD_MUTEX_INITIALIZER;

static int tls_connect(const struct mq *q)
{
	if (tls.fd >= 0 && tls.pid == getpid() && strcmp(tls.addr, q->ref.addr) == 0)
		return tls.fd;
	if (tls.fd >= 0)
		close(tls.fd); /* another server's, or the parent's copy */
	tls.fd = mgr_connect(q->ref.addr);
	tls.pid = getpid();
	if (tls.fd >= 0) { /* BaseProxy._connect: dispatch(conn, None, 'accept_connection') */
		struct mgr_req rq = { .op = MGR_ACCEPT, .timeout_ms = -1 };
		struct mgr_rep rep;

		if (mgr_call(tls.fd, &rq, NULL, NULL, 0, &rep) < 0 || rep.status < 0)
			ch_close_fd(&tls.fd);
	}
	snprintf(tls.addr, sizeof(tls.addr), "%s", q->ref.addr);
	return tls.fd;
}

/* +1 or -1; the count after it */
static int idset_add(int d)
{
	int n;

	pthread_mutex_lock(&idset_mu);
	if (idset_pid != getpid())
		idset = 0, idset_pid = getpid();
	n = idset += d;
	pthread_mutex_unlock(&idset_mu);
	return n;
}

static int mq_connect(struct mq *q)
{
	if (q->attached)
		return tls_connect(q) < 0 ? -ECONNRESET : 0;
	if (q->fd >= 0 && q->pid == getpid())
		return 0;
	if (q->fd >= 0)
		close(q->fd); /* the parent's: closing our copy leaves it theirs */
	q->fd = mgr_connect(q->ref.addr);
	q->pid = getpid();
	return q->fd < 0 ? -ECONNRESET : 0;
}

/* The connection a call goes over (after mq_connect). */
static int mq_fd(const struct mq *q)
{
	return q->attached ? tls.fd : q->fd;
}

static int mq_open(struct channel *ch, int role)
{
	struct mq *q = ch->priv;

	if (role < CH_SEND || role > (CH_SEND | CH_RECV))
		return -EINVAL;
	if (!(role & CH_SEND))
		ch_close_fd(&q->snd_wr);
	if (!(role & CH_RECV))
		ch_close_fd(&q->rcv_wr);
	return mq_connect(q);
}

/* The timeout the server waits: what is left of the deadline. */
static int32_t ms_left(uint64_t deadline)
{
	uint64_t left;

	if (deadline == CH_FOREVER)
		return -1;
	left = ch_left(deadline, 1000000000ull * 3600);
	return (int32_t)((left + 999999) / 1000000);
}

static int mq_send(struct channel *ch, const void *buf, size_t len, uint64_t deadline)
{
	struct mq *q = ch->priv;
	struct mgr_req rq = { .len = (uint32_t)len, .op = MGR_PUT, .qid = q->ref.qid };
	struct mgr_rep rep;
	int rc;

	if (!(ch->role & CH_SEND) || mq_connect(q) < 0)
		return !(ch->role & CH_SEND) ? -EINVAL : -ECONNRESET;
	rq.timeout_ms = ms_left(deadline);
	rc = mgr_call(mq_fd(q), &rq, buf, NULL, 0, &rep);
	return rc < 0 ? rc : rep.status;
}

static ssize_t mq_recv(struct channel *ch, void *buf, size_t cap, uint64_t deadline)
{
	struct mq *q = ch->priv;
	struct mgr_req rq = { .op = MGR_GET, .qid = q->ref.qid };
	struct mgr_rep rep;
	int rc;

	if (!(ch->role & CH_RECV) || mq_connect(q) < 0)
		return !(ch->role & CH_RECV) ? -EINVAL : -ECONNRESET;
	rq.timeout_ms = ms_left(deadline);
	rc = mgr_call(mq_fd(q), &rq, NULL, NULL, 0, &rep);
	if (rc < 0)
		return rc;
	if (rep.status < 0)
		return rep.status;
	rc = mgr_read_payload(mq_fd(q), buf, cap, rep.len);
	if (rc < 0)
		return rc;
	return rep.len > cap ? -EMSGSIZE : (ssize_t)rep.len;
}

static bool mq_empty(struct channel *ch)
{
	struct mq *q = ch->priv;
	struct mgr_req rq = { .op = MGR_QSIZE, .qid = q->ref.qid };
	struct mgr_rep rep;

	if (mq_connect(q) < 0 || mgr_call(mq_fd(q), &rq, NULL, NULL, 0, &rep) < 0)
		return true;
	return rep.status <= 0;
}

static int mq_flush(struct channel *ch)
{
	(void)ch;
	return 0; /* every put was acknowledged by the server */
}

static void mq_close(struct channel *ch)
{
	struct mq *q = ch->priv;

	if (q->attached) { /* _decref; errors are ignored, as there */
		mgr_call_once(q->ref.addr, MGR_DECREF, q->ref.qid);
		if (idset_add(-1) == 0 && tls.fd >= 0 && tls.pid == getpid())
			ch_close_fd(&tls.fd);
	}
	ch_close_fd(&q->fd);
	ch_close_fd(&q->snd_wr);
	ch_close_fd(&q->rcv_wr);
	free(q);
}

static const struct channel_ops mq_ops = {
	.open = mq_open,
	.send = mq_send,
	.recv = mq_recv,
	.empty = mq_empty,
	.flush = mq_flush,
	.close = mq_close,
};

/* m.Queue(maxsize): a new queue in the server, with the read ends of two
 * lifelines sent along (SCM_RIGHTS); this process keeps the write ends. */
static int new_queue(struct mq *q, size_t maxsize, char *err, size_t errlen)
{
	struct mgr_req rq = { .len = sizeof(uint64_t), .op = MGR_NEWQ };
	uint64_t max = maxsize;
	struct mgr_rep rep = { -ECONNRESET, 0 };
	int snd[2], rcv[2], rd[2], rc;

	if (pipe2(snd, O_CLOEXEC) < 0)
		snd[0] = snd[1] = -1;
	if (snd[0] < 0 || pipe2(rcv, O_CLOEXEC) < 0) {
		rc = -errno;
		ch_close_fd(&snd[0]);
		ch_close_fd(&snd[1]);
		ch_err(err, errlen, "manager-queue: pipe2: %s", strerror(-rc));
		return rc;
	}
	rd[0] = snd[0];
	rd[1] = rcv[0];
	rc = mgr_call(q->fd, &rq, &max, rd, 2, &rep);
	close(snd[0]);
	close(rcv[0]);
	q->snd_wr = snd[1];
	q->rcv_wr = rcv[1];
	if (rc == 0 && rep.status > 0)
		q->ref.qid = (uint32_t)rep.status;
	else
		ch_err(err, errlen, "manager-queue: the server refused a new queue: %s",
		       strerror(rc < 0 ? -rc : -rep.status));
	return rc < 0 ? rc : rep.status < 0 ? rep.status : 0;
}

static int mq_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen)
{
	struct mq *q = calloc(1, sizeof(*q));
	int rc;

	if (!o->manager || !q) {
		ch_err(err, errlen, "manager-queue: %s",
		       q ? "no manager (opts.manager)" : "out of memory");
		free(q);
		return q ? -EINVAL : -ENOMEM;
	}
	q->ref = *o->manager;
	q->fd = q->snd_wr = q->rcv_wr = -1;
	if (q->ref.qid && mgr_call_once(q->ref.addr, MGR_INCREF, q->ref.qid) > 0) {
		q->attached = true; /* RebuildProxy: incref, then calls over _tls */
		idset_add(1);
	} else if (q->ref.qid || mq_connect(q) < 0) {
		ch_err(err, errlen, "manager-queue: cannot reach the server at %s", q->ref.addr);
		free(q);
		return -ECONNREFUSED;
	}
	rc = q->ref.qid ? 0 : new_queue(q, o->maxsize, err, errlen);
	ch->priv = q;
	ch->ops = &mq_ops;
	if (rc < 0)
		mq_close(ch);
	return rc;
}

const struct ch_kind ch_kind_manager = { .name = "manager-queue", .create = mq_create };

int channel_manager_ref(const struct channel *ch, struct manager_ref *out)
{
	if (!ch || ch->kind != CH_MANAGER)
		return -EINVAL;
	*out = ((const struct mq *)ch->priv)->ref;
	return 0;
}
