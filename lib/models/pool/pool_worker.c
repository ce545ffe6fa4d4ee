/* SPDX-License-Identifier: MIT */
/*
 * pool_worker — the worker's side of the process pool: the loop a forked
 * worker runs, and the task registry. Mirrors worker() in CPython's
 * Lib/multiprocessing/pool.py (get a task, run it, put the result; leave on
 * the None sentinel or after maxtasksperchild), with chunks of tasks over
 * the worker's own pipes instead of a shared queue.
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

#include "clock.h"
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

/* A worker's ends of its pipes: frames in, batches of results out. */
struct channel {
	int in_fd, out_fd;
	char *in; /* received bytes; the next frame starts at in_pos */
	size_t in_pos, in_len, in_cap;
	char *out; /* result frames not sent yet */
	size_t out_len, out_cap;
	uint64_t flushed_ns; /* when results were last sent */
};

/* Buffer at least need bytes from in_pos on; false when the parent is gone.
 * One read usually brings a whole chunk. */
static bool fill(struct channel *ch, size_t need)
{
	if (ch->in_len - ch->in_pos >= need)
		return true;
	if (ch->in_pos > 0)
		memmove(ch->in, ch->in + ch->in_pos, ch->in_len - ch->in_pos);
	ch->in_len -= ch->in_pos;
	ch->in_pos = 0;
	if (!pool_grow(&ch->in, &ch->in_cap, need > 65536 ? need : 65536))
		return false;
	while (ch->in_len < need) {
		ssize_t n = read(ch->in_fd, ch->in + ch->in_len, ch->in_cap - ch->in_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		ch->in_len += (size_t)n;
	}
	return true;
}

/* The next frame's payload; false at the end (EOF or the exit sentinel). */
static bool next_frame(struct channel *ch, const char **payload, uint32_t *len)
{
	if (!fill(ch, 4))
		return false;
	memcpy(len, ch->in + ch->in_pos, 4);
	if (*len == 0 || !fill(ch, 4 + (size_t)*len))
		return false;
	*payload = ch->in + ch->in_pos + 4;
	ch->in_pos += 4 + (size_t)*len;
	return true;
}

static void flush(struct channel *ch)
{
	if (ch->out_len && !pool_write_full(ch->out_fd, ch->out, ch->out_len))
		_exit(0); /* the parent is gone: nobody wants the results */
	ch->out_len = 0;
	ch->flushed_ns = clock_now_ns();
}

/* Results go out in batches: at the end of a chunk, after 1 ms, or at
 * 64 KiB. One send per task would wake the parent once per task, and that
 * wake-up, not the task, is what tiny tasks cost. */
static void queue_result(struct channel *ch, const struct pool_out *out, enum frame_kind kind)
{
	uint32_t len = (uint32_t)out->len + 1;

	if (!pool_grow(&ch->out, &ch->out_cap, ch->out_len + RESULT_HEADER + out->len))
		_exit(5);
	memcpy(ch->out + ch->out_len, &len, 4);
	ch->out[ch->out_len + 4] = (char)kind;
	if (out->len)
		memcpy(ch->out + ch->out_len + RESULT_HEADER, out->buf, out->len);
	ch->out_len += RESULT_HEADER + out->len;
	if (ch->out_len >= 65536 || clock_now_ns() - ch->flushed_ns >= 1000000)
		flush(ch);
}

static enum frame_kind run_task(int fn, const char *arg, uint32_t len, struct pool_out *out)
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

/* A chunk message: u32 fn, u32 count, then count x (u32 len, bytes). */
static void run_chunk(struct channel *ch, struct progress *pr, const char *msg, uint32_t len,
		      struct pool_out *out)
{
	uint32_t fn, count, off = 8, alen;

	if (len < 8)
		_exit(6);
	memcpy(&fn, msg, 4);
	memcpy(&count, msg + 4, 4);
	for (uint32_t i = 0; i < count; i++) {
		enum frame_kind kind;

		if (len - off < 4)
			_exit(6);
		memcpy(&alen, msg + off, 4);
		if (len - off - 4 < alen)
			_exit(6);
		__atomic_store_n(&pr->started, i + 1, __ATOMIC_RELAXED);
		kind = run_task((int)fn, msg + off + 4, alen, out);
		__atomic_store_n(&pr->finished, i + 1, __ATOMIC_RELAXED);
		queue_result(ch, out, kind);
		off += 4 + alen;
	}
	flush(ch);
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
void pool_worker_main(struct pool *p, int slot, int in_fd, int out_fd)
{
	struct channel ch = { .in_fd = in_fd, .out_fd = out_fd };
	struct pool_out out = { 0 };
	const char *msg;
	uint32_t len;
	int chunks = 0;

	my_worker_index = slot;
	default_signal_handlers();
	/* If the caller dies, so do we: a pool never leaves orphans. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != p->parent)
		_exit(0);
	/* Our siblings' pipes are not ours: holding a task pipe's write end
	 * would keep its worker from ever seeing the end of it. */
	for (int i = 0; i < p->nworkers; i++) {
		if (p->w[i].pid && i != slot) {
			close(p->w[i].task_fd);
			close(p->w[i].result_fd);
			close(p->w[i].pidfd);
		}
	}
	if (p->opts.initializer)
		p->opts.initializer(p->opts.initarg);
	queue_result(&ch, &out, KIND_READY);
	flush(&ch);
	while (next_frame(&ch, &msg, &len)) {
		run_chunk(&ch, &p->progress[slot], msg, len, &out);
		if (p->opts.maxtasksperchild > 0 && ++chunks >= p->opts.maxtasksperchild)
			break;
	}
	_exit(0); /* the exit sentinel, maxtasksperchild, or the parent is gone */
}
