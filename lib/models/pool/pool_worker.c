/* SPDX-License-Identifier: MIT */
/*
 * pool_worker — the worker's side of the process pool: the loop a forked
 * worker runs, and the task registry. Mirrors worker() in CPython's
 * Lib/multiprocessing/pool.py: get a task message from the shared task
 * queue, run its chunk (mapstar: it stops at the first error), put one
 * result message on the shared result queue; leave on the None sentinel or
 * after maxtasksperchild task messages.
 *
 * CPython versions: see pool.h's opening comment.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "pool_impl.h"

/* ------------------------------------------------------------ registry */

/* Workers are forks of the caller: they share this table as it was when
 * they were born, so a task message names its function by index. */
static struct {
	const char *name;
	pool_fn fn;
} registry[POOL_MAX_FNS];
static int nregistered;

int pool_register(const char *name, pool_fn fn)
{
	for (int i = 0; i < nregistered; i++)
		if (registry[i].fn == fn)
			return i;
	if (nregistered == POOL_MAX_FNS || !fn)
		return -1;
	registry[nregistered].name = name ? name : "?";
	registry[nregistered].fn = fn;
	return nregistered++;
}

int pool_registry_find(pool_fn fn)
{
	for (int i = 0; i < nregistered; i++)
		if (registry[i].fn == fn)
			return i;
	return -1;
}

int pool_registry_count(void)
{
	return nregistered;
}

static int my_worker_index = -1;

int pool_worker_index(void)
{
	return my_worker_index;
}

/* ----------------------------------------------- the worker's side */

struct pool_out {
	char *buf; /* the task's result, or its error message */
	size_t len, cap;
	bool error;
};

int pool_return(struct pool_out *out, const void *data, size_t len)
{
	if (len > POOL_MAX_FRAME || !pool_grow(&out->buf, &out->cap, len + 1))
		return pool_raise(out, "result of %zu bytes: too large", len);
	if (len)
		memcpy(out->buf, data, len);
	out->len = len;
	out->error = false;
	return 0;
}

int pool_raise(struct pool_out *out, const char *fmt, ...)
{
	va_list ap;

	if (!pool_grow(&out->buf, &out->cap, 256))
		return -1;
	va_start(ap, fmt);
	vsnprintf(out->buf, 256, fmt, ap);
	va_end(ap);
	out->len = strlen(out->buf);
	out->error = true;
	return -1;
}

/* The worker's message buffers: a task message in, a result message out. */
struct channel {
	struct pool *p;
	struct slot_state *st;
	int slot;
	char *in, *out;
	size_t in_cap, out_len, out_cap;
};

/* Connection.recv_bytes under the task queue's reader lock: the 4-byte
 * header, then the payload. The slot records the chunk before the lock is
 * released. False at the exit sentinel (an empty message) or EOF. */
static bool get_task(struct channel *ch, uint32_t *len)
{
	struct slot_state *st = ch->st;
	bool ok;

	*len = 0;
	pool_shared_lock(&ch->p->sh->rlock);
	__atomic_store_n(&st->in_queue, 1, __ATOMIC_RELAXED);
	ok = pool_read_full(ch->p->inq[0], len, 4) && *len >= TASK_HEADER &&
	     pool_grow(&ch->in, &ch->in_cap, *len) && pool_read_full(ch->p->inq[0], ch->in, *len);
	if (ok) {
		memcpy(&st->job, ch->in, 4);
		memcpy(&st->start, ch->in + 8, 8);
		memcpy(&st->count, ch->in + 16, 4);
		st->started = st->finished = 0;
	}
	/* an empty message is the sentinel: read whole, nothing torn */
	__atomic_store_n(&st->in_queue, ok || *len == 0 ? 0 : 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ch->p->sh->rlock);
	return ok;
}

static void put32(char *at, uint32_t v)
{
	memcpy(at, &v, 4);
}

/* Append (u32 len, bytes) to the result message. */
static void add_item(struct channel *ch, const char *data, size_t len)
{
	if (!pool_grow(&ch->out, &ch->out_cap, ch->out_len + 4 + len))
		_exit(5);
	put32(ch->out + ch->out_len, (uint32_t)len);
	if (len)
		memcpy(ch->out + ch->out_len + 4, data, len);
	ch->out_len += 4 + len;
}

static void begin_result(struct channel *ch, enum result_kind kind)
{
	ch->out_len = 4 + RESULT_HEADER;
	if (!pool_grow(&ch->out, &ch->out_cap, ch->out_len))
		_exit(5);
	memset(ch->out, 0, ch->out_len);
	put32(ch->out + 4, (uint32_t)ch->slot);
	put32(ch->out + 8, kind);
	if (kind != KIND_READY) {
		memcpy(ch->out + 12, &ch->st->job, 4);
		memcpy(ch->out + 16, &ch->st->start, 8);
		memcpy(ch->out + 24, &ch->st->count, 4);
	}
}

/* SimpleQueue.put under the result queue's writer lock: one message. */
static void put_result(struct channel *ch, enum result_kind kind, uint32_t nok)
{
	struct slot_state *st = ch->st;

	put32(ch->out, (uint32_t)(ch->out_len - 4));
	put32(ch->out + 8, kind);
	put32(ch->out + 28, nok);
	pool_shared_lock(&ch->p->sh->wlock);
	__atomic_store_n(&st->in_queue, 2, __ATOMIC_RELAXED);
	if (!pool_write_full(ch->p->outq[1], ch->out, ch->out_len))
		_exit(0); /* the parent is gone: nobody wants the results */
	__atomic_store_n(&st->sent, st->sent + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&st->job, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&st->in_queue, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ch->p->sh->wlock);
}

static enum result_kind run_task(int fn, const char *arg, uint32_t len, struct pool_out *out)
{
	int rc;

	out->len = 0;
	out->error = false;
	if (fn < 0 || fn >= nregistered)
		return pool_raise(out, "function #%d is not registered in this worker", fn),
		       KIND_ERROR;
	rc = registry[fn].fn(arg, len, out);
	if (rc != 0 && !out->error)
		pool_raise(out, "%s returned %d", registry[fn].name, rc);
	if (rc == 0 && out->error)
		out->error = false, out->len = 0; /* raised, then returned 0: ok */
	return out->error ? KIND_ERROR : KIND_OK;
}

/* mapstar: the chunk's tasks in order, stopping at the first error; one
 * result message for the chunk. */
static void run_chunk(struct channel *ch, uint32_t len, struct pool_out *out)
{
	uint32_t fn, count, off = TASK_HEADER, alen, nok = 0;
	enum result_kind kind = KIND_OK;

	memcpy(&fn, ch->in + 4, 4);
	memcpy(&count, ch->in + 16, 4);
	begin_result(ch, KIND_OK);
	for (uint32_t i = 0; i < count && kind == KIND_OK; i++) {
		if (len - off < 4)
			_exit(6);
		memcpy(&alen, ch->in + off, 4);
		if (len - off - 4 < alen)
			_exit(6);
		__atomic_store_n(&ch->st->started, i + 1, __ATOMIC_RELAXED);
		kind = run_task((int)fn, ch->in + off + 4, alen, out);
		__atomic_store_n(&ch->st->finished, i + 1, __ATOMIC_RELAXED);
		add_item(ch, out->buf, out->len);
		nok += kind == KIND_OK;
		off += 4 + alen;
	}
	put_result(ch, kind, nok);
}

/* The caller's signal handlers are the caller's code: in a worker they
 * would run it in the wrong process (a test framework's SIGSEGV handler
 * longjmps back into its runner). A worker dies of its signals, so its
 * parent can say which one. Ignored signals stay ignored. */
static void default_signal_handlers(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
			continue;
		if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
			continue;
		signal(sig, SIG_DFL);
	}
}

/* A worker never returns: it leaves with _exit, which does not run the
 * caller's atexit handlers or flush the caller's stdio buffers again. */
void pool_worker_main(struct pool *p, int slot)
{
	struct channel ch = { .p = p, .st = &p->sh->slot[slot], .slot = slot };
	struct pool_out out = { 0 };
	uint32_t len;
	int chunks = 0;

	my_worker_index = slot;
	default_signal_handlers();
	/* If the caller dies, so do we: a pool never leaves orphans. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != p->parent)
		_exit(0);
	/* The parent's ends are not ours, nor are our siblings' pidfds. */
	close(p->inq[1]);
	close(p->outq[0]);
	close(p->stop_fd);
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].pid && i != slot)
			close(p->w[i].pidfd);
	if (p->opts.initializer)
		p->opts.initializer(p->opts.initarg);
	begin_result(&ch, KIND_READY);
	put_result(&ch, KIND_READY, 0);
	while (get_task(&ch, &len)) {
		run_chunk(&ch, len, &out);
		if (p->opts.maxtasksperchild > 0 && ++chunks >= p->opts.maxtasksperchild)
			break;
	}
	_exit(0); /* the exit sentinel, maxtasksperchild, or the parent is gone */
}
