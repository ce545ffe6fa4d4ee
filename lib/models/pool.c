/* SPDX-License-Identifier: MIT */
/*
 * pool — a process pool: Python's multiprocessing.Pool in C (see pool.h).
 *
 * How it works, next to CPython's multiprocessing/pool.py:
 * - Python's workers share one task queue and one result queue, and three
 *   handler threads move tasks and results. Here every worker has its own
 *   two pipes and the caller's process is the only dispatcher: it hands a
 *   chunk of tasks to an idle worker and reads its results back, in chunk
 *   order, batched (at the chunk's end, or every millisecond).
 * - A worker's death is seen through its pidfd (readable when it exits),
 *   polled with the result pipes: no SIGCHLD handler, no polling loop. The
 *   parent knows which chunk the worker held, and a shared progress word
 *   says how far it got, so it knows exactly which task the worker died in
 *   (Python's pool cannot tell, and waits for ever).
 * - Messages are length-prefixed frames: u32 length, then the payload.
 *     parent -> worker  task chunk: u32 fn, u32 count, count x (u32 len, bytes)
 *                       exit: an empty frame (Python's None sentinel)
 *     worker -> parent  u8 kind (READY, OK, ERROR), then result bytes or message
 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define POOL_MAX_FNS 64
#define POOL_MAX_FRAME (256u << 20) /* a chunk message is cut at this size */
#define RESULT_HEADER 5		    /* u32 length + u8 kind */

enum frame_kind { KIND_READY, KIND_OK, KIND_ERROR };

enum pool_state { RUNNING, CLOSED, TERMINATED, JOINED };

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

static int registry_find(pool_fn fn)
{
	for (int i = 0; i < nregistered; i++)
		if (registry[i].fn == fn)
			return i;
	return -1;
}

/* ------------------------------------------------------------ the pool */

struct progress;

/* A run of consecutive tasks of one job: what a worker is handed. */
struct chunk {
	struct pool_async *job; /* NULL: none */
	size_t start, count;
};

struct retry {
	struct chunk c;
	struct retry *next;
};

struct worker {
	pid_t pid;	   /* 0: the slot is empty */
	int task_fd;	   /* write end of its task pipe */
	int result_fd;	   /* read end of its result pipe (non-blocking) */
	int pidfd;	   /* readable once the worker has exited */
	bool ready;	   /* its initializer is done: it may be given work */
	bool leaving;	   /* told to leave, or at maxtasksperchild: no more work */
	bool eof;	   /* its result pipe is closed: stop polling it */
	struct chunk held; /* the chunk it is working on */
	size_t got;	   /* results of held received so far (they come in order) */
	int chunks;	   /* chunks handed to it, for maxtasksperchild */
	char *in;	   /* bytes received that are not yet a whole frame */
	size_t in_len, in_cap;
};

struct pool {
	enum pool_state state;
	int nworkers;
	struct worker *w;
	struct progress *progress; /* per worker slot, shared with the workers */
	struct pool_opts opts;
	pid_t parent;			     /* the process that created the pool */
	int nfns;			     /* functions registered when the pool was created */
	struct pool_async *jobs, *jobs_tail; /* every job not yet freed, oldest first */
	struct pool_async *cursor;	     /* the oldest job with tasks not handed out */
	struct retry *retries;		     /* a dead worker's tasks to run again, first in line */
	struct pool_stats stats;
	int idle_deaths; /* deaths in a row before taking any work: a broken initializer */
	bool broken;	 /* no worker can be started: every task fails */
	char last_death[64];
	char *out; /* scratch for building a task message */
	size_t out_cap;
	char error[160];
};

/* One apply_async, map or imap: n tasks and their results. */
struct pool_async {
	struct pool *pool; /* NULL once the pool is destroyed */
	int fn;
	size_t n, chunksize;
	char *args;  /* task i's argument: args[off[i] .. off[i + 1]) */
	size_t *off; /* n + 1 */
	struct pool_result *results;
	bool *done;
	size_t *order; /* task indexes in the order their results arrived */
	size_t ndone;
	size_t next;	/* the first task not yet handed to a worker */
	size_t nread;	/* pool_async_next: results handed out so far */
	bool ordered;	/* pool_async_next in task order (imap) or arrival order */
	bool abandoned; /* freed by the caller while its tasks still ran */
	struct pool_async *prev, *later;
};

static int my_worker_index = -1;

int pool_worker_index(void)
{
	return my_worker_index;
}

const char *pool_status_name(enum pool_status s)
{
	static const char *const names[] = { "ok",	   "task error", "worker died",
					     "terminated", "timed out",	 "end" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static int misuse(struct pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int misuse(struct pool *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	return -1;
}

const char *pool_error(const struct pool *p)
{
	return p->error;
}

static bool grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 256;
	char *b;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	b = realloc(*buf, n);
	if (!b)
		return false;
	*buf = b;
	*cap = n;
	return true;
}

/* ----------------------------------------------- the worker's side */

/* Besides its pipes, a worker shares one word with the parent: how far it
 * is in its chunk. The parent zeroes it when it hands out a chunk; the
 * worker counts the tasks it started and finished. After a death the
 * parent reads it: a task started but not finished is the one the worker
 * died in. One cache line per worker, mapped shared before any fork. */
struct progress {
	uint32_t started, finished;
	char pad[56];
};

struct pool_out {
	char *buf; /* the task's result, or its error message */
	size_t len, cap;
	bool error;
};

int pool_return(struct pool_out *out, const void *data, size_t len)
{
	if (len > POOL_MAX_FRAME || !grow(&out->buf, &out->cap, len + 1))
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

	if (!grow(&out->buf, &out->cap, 256))
		return -1;
	va_start(ap, fmt);
	vsnprintf(out->buf, 256, fmt, ap);
	va_end(ap);
	out->len = strlen(out->buf);
	out->error = true;
	return -1;
}

/* With SIGPIPE ignored (see pool_create), writing to a dead peer's pipe
 * fails with EPIPE instead of killing the writer. */
static bool write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
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
	if (!grow(&ch->in, &ch->in_cap, need > 65536 ? need : 65536))
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
	if (ch->out_len && !write_full(ch->out_fd, ch->out, ch->out_len))
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

	if (!grow(&ch->out, &ch->out_cap, ch->out_len + RESULT_HEADER + out->len))
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
static void __attribute__((noreturn)) worker_main(struct pool *p, int slot, int in_fd, int out_fd)
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

/* ------------------------------------------------- starting workers */

static int spawn(struct pool *p, int slot, char *err, size_t errlen)
{
	struct worker *w = &p->w[slot];
	struct topo_saved *saved = NULL;
	int task[2], result[2], pidfd;
	pid_t pid;

	if (pipe2(task, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		return -1;
	}
	if (pipe2(result, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		close(task[0]);
		close(task[1]);
		return -1;
	}
	/* Born on its PU: bind ourselves, fork (the child inherits the
	 * binding), then restore. */
	if (p->opts.topo && p->opts.placement && p->opts.placement->n > 0)
		topo_spawn_begin(p->opts.topo, p->opts.placement, slot % p->opts.placement->n,
				 &saved);
	pid = fork();
	if (pid == 0) {
		close(task[1]);
		close(result[0]);
		worker_main(p, slot, task[0], result[1]);
	}
	if (saved)
		topo_spawn_end(p->opts.topo, saved);
	close(task[0]);
	close(result[1]);
	pidfd = pid < 0 ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		snprintf(err, errlen, "%s: %s", pid < 0 ? "fork" : "pidfd_open", strerror(errno));
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		close(task[1]);
		close(result[0]);
		return -1;
	}
	/* The parent never waits on one worker's results: it polls them all. */
	fcntl(result[0], F_SETFL, O_NONBLOCK);
	*w = (struct worker){
		.pid = pid, .task_fd = task[1], .result_fd = result[0], .pidfd = pidfd
	};
	p->stats.workers_started++;
	return 0;
}

/* ------------------------------------------------------------ results */

/* Record task i's result. True when it was the job's last one. */
static bool complete(struct pool *p, struct pool_async *job, size_t i, enum pool_status st,
		     const char *data, size_t len)
{
	struct pool_result *r = &job->results[i];

	if (job->done[i])
		return false;
	r->data = malloc(len + 1);
	if (!r->data) {
		st = POOL_ETASK;
		len = 0;
	} else {
		memcpy(r->data, data, len);
		r->data[len] = '\0';
	}
	r->status = st;
	r->len = len;
	job->done[i] = true;
	job->order[job->ndone++] = i;
	if (p) {
		p->stats.tasks_done++;
		p->stats.tasks_failed += st == POOL_ETASK || st == POOL_EDIED;
	}
	return job->ndone == job->n;
}

static void job_free(struct pool_async *job);

/* Every task of job without a result gets status st and message why. */
static void fail_job(struct pool *p, struct pool_async *job, enum pool_status st, const char *why)
{
	for (size_t i = 0; i < job->n; i++)
		complete(p, job, i, st, why, strlen(why));
	job->next = job->n;
	if (job->abandoned)
		job_free(job);
}

/* No more work can be done: fail whatever is left. Results that still
 * come from live workers are dropped (they no longer hold a chunk). */
static void fail_all(struct pool *p, enum pool_status st, const char *why)
{
	struct pool_async *job = p->jobs, *later;

	for (int i = 0; i < p->nworkers; i++)
		p->w[i].held = (struct chunk){ 0 }, p->w[i].got = 0;

	while (p->retries) {
		struct retry *r = p->retries;

		p->retries = r->next;
		free(r);
	}
	for (; job; job = later) {
		later = job->later;
		if (job->ndone < job->n)
			fail_job(p, job, st, why);
	}
	p->cursor = NULL;
}

/* One result frame from w: the next task of the chunk it holds. */
static void deliver(struct pool *p, struct worker *w, const char *frame, uint32_t len)
{
	enum frame_kind kind = (enum frame_kind)frame[0];
	struct pool_async *job = w->held.job;
	size_t i;

	if (kind == KIND_READY) {
		w->ready = true;
		return;
	}
	if (!job)
		return; /* a result nobody asked for: ignore it */
	i = w->held.start + w->got++;
	if (w->got == w->held.count)
		w->held = (struct chunk){ 0 }, w->got = 0;
	p->idle_deaths = 0;
	if (complete(p, job, i, kind == KIND_OK ? POOL_OK : POOL_ETASK, frame + 1, len - 1) &&
	    job->abandoned)
		job_free(job);
}

/* Read what w has sent and deliver every whole frame. */
static void read_worker(struct pool *p, struct worker *w)
{
	size_t pos = 0;
	ssize_t n;

	for (;;) {
		if (!grow(&w->in, &w->in_cap, w->in_len + 65536))
			break;
		size_t room = w->in_cap - w->in_len;

		n = read(w->result_fd, w->in + w->in_len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			w->eof = true;
		if (n <= 0)
			break;
		w->in_len += (size_t)n;
		if ((size_t)n < room)
			break; /* that was all there was */
	}
	while (w->in_len - pos >= 4) {
		uint32_t len;

		memcpy(&len, w->in + pos, 4);
		if (w->in_len - pos - 4 < len)
			break;
		if (len > 0)
			deliver(p, w, w->in + pos + 4, len);
		pos += 4 + (size_t)len;
	}
	if (pos > 0)
		memmove(w->in, w->in + pos, w->in_len - pos);
	w->in_len -= pos;
}

/* ---------------------------------------------------- handing out work */

/* Is there a task not yet handed to any worker? */
static bool work_left(struct pool *p)
{
	while (p->cursor && p->cursor->next == p->cursor->n)
		p->cursor = p->cursor->later;
	return p->retries || p->cursor;
}

/* The next chunk: a dead worker's unstarted tasks first, then the oldest
 * job's next chunksize tasks (fewer if their arguments are very large). */
static bool next_chunk(struct pool *p, struct chunk *c)
{
	struct pool_async *job;
	size_t bytes = 0;

	if (!work_left(p))
		return false;
	if (p->retries) {
		struct retry *r = p->retries;

		*c = r->c;
		p->retries = r->next;
		free(r);
		return true;
	}
	job = p->cursor;
	*c = (struct chunk){ .job = job, .start = job->next };
	while (c->count < job->chunksize && job->next < job->n) {
		bytes += job->off[job->next + 1] - job->off[job->next] + 4;
		if (c->count > 0 && bytes > POOL_MAX_FRAME)
			break;
		c->count++;
		job->next++;
	}
	return true;
}

static void give(struct pool *p, struct worker *w, struct chunk c)
{
	struct pool_async *job = c.job;
	size_t need = 12, pos = 12;
	uint32_t u;

	for (size_t i = c.start; i < c.start + c.count; i++)
		need += 4 + job->off[i + 1] - job->off[i];
	w->held = c;
	w->got = 0;
	__atomic_store_n(&p->progress[w - p->w].started, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->progress[w - p->w].finished, 0, __ATOMIC_RELAXED);
	if (p->opts.maxtasksperchild > 0 && ++w->chunks >= p->opts.maxtasksperchild)
		w->leaving = true; /* it leaves after this chunk: give it no more */
	if (!grow(&p->out, &p->out_cap, need)) {
		kill(w->pid, SIGKILL); /* out of memory: let the death path fail it */
		return;
	}
	u = (uint32_t)(need - 4);
	memcpy(p->out, &u, 4);
	u = (uint32_t)job->fn;
	memcpy(p->out + 4, &u, 4);
	u = (uint32_t)c.count;
	memcpy(p->out + 8, &u, 4);
	for (size_t i = c.start; i < c.start + c.count; i++) {
		u = (uint32_t)(job->off[i + 1] - job->off[i]);
		memcpy(p->out + pos, &u, 4);
		memcpy(p->out + pos + 4, job->args + job->off[i], u);
		pos += 4 + u;
	}
	/* A failed write means the worker died: its pidfd will say so and the
	 * death path will settle the chunk. The worker is idle, reading, so
	 * the write never waits for long. */
	write_full(w->task_fd, p->out, need);
}

static void dispatch(struct pool *p)
{
	struct chunk c;

	for (int i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->w[i];

		if (!w->pid || !w->ready || w->leaving || w->held.job)
			continue;
		if (!next_chunk(p, &c))
			return;
		give(p, w, c);
	}
}

/* ------------------------------------------------------------- deaths */

static void describe_exit(char *buf, size_t len, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "worker died (signal %d)", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(buf, len, "worker died (exit status %d)", WEXITSTATUS(status));
	else
		snprintf(buf, len, "worker died (status unknown)");
}

static void close_worker(struct worker *w)
{
	close(w->task_fd);
	close(w->result_fd);
	close(w->pidfd);
	free(w->in);
	*w = (struct worker){ 0 };
}

static int reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* Put tasks start .. start + count - 1 of job at the front of the queue. */
static void requeue(struct pool *p, struct pool_async *job, size_t start, size_t count)
{
	struct retry *r;

	if (count == 0 || !(r = calloc(1, sizeof(*r))))
		return;
	r->c = (struct chunk){ job, start, count };
	r->next = p->retries;
	p->retries = r;
}

/* The worker in slot died holding a chunk. Its progress word says how far
 * it got: the task it had started and not finished gets the error; tasks
 * it finished whose results had not been sent yet run again, and so do the
 * tasks it never started. True when a task was blamed. */
static bool settle_chunk(struct pool *p, int slot, const char *why)
{
	struct worker *w = &p->w[slot];
	struct chunk c = w->held;
	size_t end = c.start + c.count, sent = c.start + w->got;
	size_t started = c.start + __atomic_load_n(&p->progress[slot].started, __ATOMIC_RELAXED);
	size_t finished = c.start + __atomic_load_n(&p->progress[slot].finished, __ATOMIC_RELAXED);
	bool blamed = started > finished && finished >= sent && finished < end;

	if (blamed) {
		requeue(p, c.job, finished + 1, end - finished - 1);
		requeue(p, c.job, sent, finished - sent);
		if (complete(p, c.job, finished, POOL_EDIED, why, strlen(why)) && c.job->abandoned)
			job_free(c.job);
	} else {
		requeue(p, c.job, sent, end - sent); /* it died between tasks */
	}
	return blamed;
}

static bool need_worker(struct pool *p)
{
	return !p->broken && (p->state == RUNNING || (p->state == CLOSED && work_left(p)));
}

/* w's pidfd is readable: it has exited. Collect what it sent, reap it,
 * and put a new worker in its slot if there is still work to do. */
static void on_exit_of(struct pool *p, int slot)
{
	struct worker *w = &p->w[slot];
	char why[64], err[128];
	bool expected;
	int status;

	read_worker(p, w); /* everything it sent before dying is there now */
	status = reap(w->pid);
	expected = w->leaving && !w->held.job && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!expected) {
		p->stats.workers_died++;
		describe_exit(why, sizeof(why), status);
		snprintf(p->last_death, sizeof(p->last_death), "%s", why);
		/* Deaths that no task can be blamed for, again and again: the
		 * initializer, or the worker's own code, is broken. */
		if (!(w->held.job && settle_chunk(p, slot, why)) &&
		    ++p->idle_deaths > 2 * p->nworkers)
			p->broken = true;
	}
	close_worker(w);
	if (p->broken) {
		fail_all(p, POOL_ETERMINATED, "pool broken: workers die before taking a task");
		return;
	}
	if (need_worker(p) && spawn(p, slot, err, sizeof(err)) < 0) {
		for (int i = 0; i < p->nworkers; i++)
			if (p->w[i].pid)
				return; /* the others go on */
		p->broken = true;
		fail_all(p, POOL_ETERMINATED, err);
	}
}

/* ------------------------------------------------------------ waiting */

static bool any_job_running(const struct pool *p)
{
	for (const struct pool_async *j = p->jobs; j; j = j->later)
		if (j->ndone < j->n)
			return true;
	return false;
}

static bool any_worker(const struct pool *p)
{
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].pid)
			return true;
	return false;
}

/* Wait for something to happen (until deadline_ns; 0: for ever), handle
 * it, and hand idle workers new work. */
static void pump(struct pool *p, uint64_t deadline_ns)
{
	struct pollfd fds[2 * p->nworkers + 1];
	int slot[2 * p->nworkers + 1], n = 0;
	struct timespec ts, *tsp = NULL;

	dispatch(p);
	for (int i = 0; i < p->nworkers; i++) {
		if (!p->w[i].pid)
			continue;
		if (!p->w[i].eof) {
			fds[n] = (struct pollfd){ .fd = p->w[i].result_fd, .events = POLLIN };
			slot[n++] = i;
		}
		fds[n] = (struct pollfd){ .fd = p->w[i].pidfd, .events = POLLIN };
		slot[n++] = i;
	}
	if (n == 0) {
		/* No worker, none can be started, and yet work is waiting:
		 * fail it rather than wait for ever. */
		if (any_job_running(p)) {
			p->broken = true;
			fail_all(p, POOL_ETERMINATED, "pool broken: no worker left");
		}
		return;
	}
	if (deadline_ns) {
		uint64_t now = clock_now_ns(), left = deadline_ns > now ? deadline_ns - now : 0;

		ts = (struct timespec){ .tv_sec = (time_t)(left / 1000000000u),
					.tv_nsec = (long)(left % 1000000000u) };
		tsp = &ts;
	}
	if (ppoll(fds, (nfds_t)n, tsp, NULL) <= 0)
		return;
	/* Results first: a worker's last results are delivered before its
	 * death settles the chunk. */
	for (int k = 0; k < n; k++)
		if (fds[k].revents && fds[k].fd == p->w[slot[k]].result_fd)
			read_worker(p, &p->w[slot[k]]);
	for (int k = 0; k < n; k++)
		if (fds[k].revents && p->w[slot[k]].pid && fds[k].fd == p->w[slot[k]].pidfd)
			on_exit_of(p, slot[k]);
	dispatch(p);
}

static uint64_t deadline_of(double timeout_s)
{
	if (timeout_s < 0)
		return 0;
	return clock_now_ns() + (uint64_t)(timeout_s * 1e9) + 1;
}

typedef bool (*job_cond)(const struct pool_async *h);

static bool all_done(const struct pool_async *h)
{
	return h->ndone == h->n;
}

static bool next_ready(const struct pool_async *h)
{
	if (h->nread >= h->n)
		return true; /* POOL_END */
	return h->ordered ? h->done[h->nread] : h->ndone > h->nread;
}

/* Pump until cond holds or the deadline passes. 0 or POOL_ETIMEDOUT. */
static int wait_for(struct pool_async *h, job_cond cond, double timeout_s)
{
	uint64_t deadline = deadline_of(timeout_s);
	bool pumped = false;

	/* Pump at least once: a timeout of 0 still collects what has come. */
	while (!cond(h)) {
		if (!h->pool)
			return POOL_ETERMINATED; /* cannot happen: destroy fails every task */
		if (pumped && deadline && clock_now_ns() >= deadline)
			return POOL_ETIMEDOUT;
		pump(h->pool, deadline);
		pumped = true;
	}
	return 0;
}

/* -------------------------------------------------------- the pool's life */

/* Writing to the pipe of a worker that has just died raises SIGPIPE, whose
 * default action would kill the caller. CPython ignores SIGPIPE in every
 * program at start-up; we do the same, unless the caller chose a handler. */
static void ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
	    sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

struct pool *pool_create(int workers, const struct pool_opts *opts, char *err, size_t errlen)
{
	struct pool *p;

	if (workers < 1 || workers > 4096) {
		snprintf(err, errlen, "pool: workers must be 1..4096 (got %d)", workers);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->w = calloc((size_t)workers, sizeof(*p->w));
	if (!p || !p->w) {
		free(p);
		snprintf(err, errlen, "pool: calloc: out of memory");
		return NULL;
	}
	p->progress = mmap(NULL, (size_t)workers * sizeof(*p->progress), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->progress == MAP_FAILED) {
		snprintf(err, errlen, "pool: mmap: %s", strerror(errno));
		free(p->w);
		free(p);
		return NULL;
	}
	p->nworkers = workers;
	p->opts = opts ? *opts : (struct pool_opts){ 0 };
	ignore_sigpipe();
	p->parent = getpid();
	p->nfns = nregistered;
	for (int i = 0; i < workers; i++) {
		if (spawn(p, i, err, errlen) < 0) {
			pool_destroy(p);
			return NULL;
		}
	}
	/* Return a warm pool: every worker has run its initializer. */
	for (int i = 0; i < workers; i++) {
		while (p->w[i].pid && !p->w[i].ready && !p->stats.workers_died)
			pump(p, 0);
		if (p->stats.workers_died) {
			snprintf(err, errlen, "pool: a worker died in its initializer: %s",
				 p->last_death);
			pool_destroy(p);
			return NULL;
		}
	}
	return p;
}

void pool_close(struct pool *p)
{
	if (p->state == RUNNING)
		p->state = CLOSED;
}

void pool_terminate(struct pool *p)
{
	if (p->state == TERMINATED || p->state == JOINED)
		return;
	p->state = TERMINATED;
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].pid)
			kill(p->w[i].pid, SIGKILL);
	for (int i = 0; i < p->nworkers; i++) {
		if (p->w[i].pid) {
			reap(p->w[i].pid);
			close_worker(&p->w[i]);
		}
	}
	fail_all(p, POOL_ETERMINATED, "pool terminated");
}

int pool_join(struct pool *p)
{
	static const uint32_t sentinel = 0;

	if (p->state == RUNNING)
		return misuse(p, "pool_join: the pool is still running (close or terminate it)");
	if (p->state == CLOSED) {
		while (any_job_running(p))
			pump(p, 0);
		for (int i = 0; i < p->nworkers; i++) {
			if (p->w[i].pid && !p->w[i].leaving) {
				p->w[i].leaving = true;
				write_full(p->w[i].task_fd, &sentinel, 4);
			}
		}
		while (any_worker(p))
			pump(p, 0);
	}
	p->state = JOINED;
	return 0;
}

void pool_destroy(struct pool *p)
{
	struct pool_async *job, *later;

	if (!p)
		return;
	if (p->state != JOINED) {
		pool_terminate(p);
		pool_join(p);
	}
	for (job = p->jobs; job; job = later) {
		later = job->later;
		job->pool = NULL;
		job->prev = job->later = NULL;
		if (job->abandoned)
			job_free(job);
	}
	munmap(p->progress, (size_t)p->nworkers * sizeof(*p->progress));
	free(p->out);
	free(p->w);
	free(p);
}

struct pool_stats pool_stats(const struct pool *p)
{
	return p->stats;
}

int pool_workers(const struct pool *p)
{
	return p->nworkers;
}

pid_t pool_worker_pid(const struct pool *p, int i)
{
	return i >= 0 && i < p->nworkers ? p->w[i].pid : 0;
}

size_t pool_default_chunksize(size_t n, int workers)
{
	size_t per = 4 * (size_t)(workers > 0 ? workers : 1);

	return n == 0 ? 1 : (n + per - 1) / per;
}

/* ----------------------------------------------------------- submitting */

static void job_free(struct pool_async *job)
{
	struct pool *p = job->pool;

	if (p) {
		if (p->cursor == job)
			p->cursor = job->later;
		if (job->prev)
			job->prev->later = job->later;
		else
			p->jobs = job->later;
		if (job->later)
			job->later->prev = job->prev;
		else
			p->jobs_tail = job->prev;
	}
	if (job->results)
		for (size_t i = 0; i < job->n; i++)
			free(job->results[i].data);
	free(job->results);
	free(job->done);
	free(job->order);
	free(job->off);
	free(job->args);
	free(job);
}

/* A job of n tasks whose arguments are args_len bytes in all; the caller
 * fills job->args and job->off. */
static struct pool_async *job_new(struct pool *p, pool_fn fn, size_t n, size_t args_len,
				  size_t chunksize)
{
	struct pool_async *job;
	int id = registry_find(fn);

	if (p->state != RUNNING) {
		misuse(p, "pool is %s: no new tasks", p->state == CLOSED ? "closed" : "terminated");
		return NULL;
	}
	if (id < 0 || id >= p->nfns) {
		misuse(p, "function not registered before pool_create (pool_register it)");
		return NULL;
	}
	job = calloc(1, sizeof(*job));
	if (!job || !(job->args = malloc(args_len ? args_len : 1)) ||
	    !(job->off = calloc(n + 1, sizeof(*job->off))) ||
	    !(job->results = calloc(n ? n : 1, sizeof(*job->results))) ||
	    !(job->done = calloc(n ? n : 1, sizeof(*job->done))) ||
	    !(job->order = calloc(n ? n : 1, sizeof(*job->order)))) {
		if (job)
			job_free(job);
		misuse(p, "out of memory for %zu tasks", n);
		return NULL;
	}
	job->fn = id;
	job->n = n;
	job->chunksize = chunksize ? chunksize : 1;
	job->ordered = true;
	return job;
}

/* Queue a filled job and hand out what idle workers can take now. */
static struct pool_async *job_submit(struct pool *p, struct pool_async *job)
{
	job->pool = p;
	job->prev = p->jobs_tail;
	if (p->jobs_tail)
		p->jobs_tail->later = job;
	else
		p->jobs = job;
	p->jobs_tail = job;
	if (!p->cursor)
		p->cursor = job;
	if (p->broken)
		fail_job(p, job, POOL_ETERMINATED, "pool broken");
	dispatch(p);
	return job;
}

struct pool_async *pool_map_async(struct pool *p, pool_fn fn, const void *args, size_t argsize,
				  size_t n, size_t chunksize)
{
	struct pool_async *job;

	if (!args && n && argsize) {
		misuse(p, "map: NULL arguments");
		return NULL;
	}
	if (argsize > POOL_MAX_FRAME / 2 || (n && argsize && n > SIZE_MAX / argsize)) {
		misuse(p, "arguments too large (%zu x %zu bytes)", n, argsize);
		return NULL;
	}
	if (!chunksize)
		chunksize = pool_default_chunksize(n, p->nworkers);
	job = job_new(p, fn, n, n * argsize, chunksize);
	if (!job)
		return NULL;
	if (n > 0 && argsize > 0)
		memcpy(job->args, args, n * argsize);
	for (size_t i = 0; i <= n; i++)
		job->off[i] = i * argsize;
	return job_submit(p, job);
}

struct pool_async *pool_apply_async(struct pool *p, pool_fn fn, const void *arg, size_t len)
{
	return pool_map_async(p, fn, arg, len, 1, 1);
}

struct pool_async *pool_imap(struct pool *p, pool_fn fn, const void *args, size_t argsize, size_t n,
			     size_t chunksize, bool ordered)
{
	struct pool_async *job = pool_map_async(p, fn, args, argsize, n, chunksize ? chunksize : 1);

	if (job)
		job->ordered = ordered;
	return job;
}

/* starmap packs task i's arguments as u32 count, count x (u32 len, bytes). */
struct pool_async *pool_starmap_async(struct pool *p, pool_fn fn, const struct pool_iov *args,
				      int nargs, size_t n, size_t chunksize)
{
	struct pool_async *job;
	size_t total = 0, pos = 0;
	uint32_t u;

	if (nargs < 0 || (n && !args)) {
		misuse(p, "starmap: bad argument list");
		return NULL;
	}
	for (size_t i = 0; i < n * (size_t)nargs; i++) {
		if (args[i].len > POOL_MAX_FRAME / 2) {
			misuse(p, "starmap: argument of %zu bytes: too large", args[i].len);
			return NULL;
		}
		total += 4 + args[i].len;
	}
	total += 4 * n;
	job = job_new(p, fn, n, total,
		      chunksize ? chunksize : pool_default_chunksize(n, p->nworkers));
	if (!job)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		job->off[i] = pos;
		u = (uint32_t)nargs;
		memcpy(job->args + pos, &u, 4);
		pos += 4;
		for (int k = 0; k < nargs; k++) {
			const struct pool_iov *a = &args[i * (size_t)nargs + (size_t)k];

			u = (uint32_t)a->len;
			memcpy(job->args + pos, &u, 4);
			if (a->len)
				memcpy(job->args + pos + 4, a->data, a->len);
			pos += 4 + a->len;
		}
	}
	job->off[n] = pos;
	return job_submit(p, job);
}

int pool_unpack(const void *arg, size_t len, struct pool_iov *argv, int max)
{
	const char *a = arg;
	uint32_t count, alen;
	size_t pos = 4;

	if (len < 4)
		return -1;
	memcpy(&count, a, 4);
	for (uint32_t k = 0; k < count; k++) {
		if (len - pos < 4)
			return -1;
		memcpy(&alen, a + pos, 4);
		if (len - pos - 4 < alen)
			return -1;
		if ((int)k < max)
			argv[k] = (struct pool_iov){ a + pos + 4, alen };
		pos += 4 + alen;
	}
	return pos == len && count <= (uint32_t)max ? (int)count : -1;
}

/* --------------------------------------------------------- results */

int pool_async_wait(struct pool_async *h, double timeout_s)
{
	return wait_for(h, all_done, timeout_s);
}

bool pool_async_ready(struct pool_async *h)
{
	if (!all_done(h) && h->pool)
		pump(h->pool, clock_now_ns()); /* collect what has arrived; do not wait */
	return all_done(h);
}

int pool_async_get(struct pool_async *h, double timeout_s, const struct pool_result **results)
{
	int rc = wait_for(h, all_done, timeout_s);

	if (rc != 0)
		return rc;
	if (results)
		*results = h->results;
	for (size_t i = 0; i < h->n; i++)
		if (h->results[i].status != POOL_OK)
			return (int)h->results[i].status;
	return 0;
}

int pool_async_next(struct pool_async *h, double timeout_s, const struct pool_result **result,
		    size_t *index)
{
	int rc = wait_for(h, next_ready, timeout_s);
	size_t i;

	if (rc != 0)
		return rc;
	if (h->nread >= h->n)
		return POOL_END;
	i = h->ordered ? h->nread : h->order[h->nread];
	h->nread++;
	if (result)
		*result = &h->results[i];
	if (index)
		*index = i;
	return 0;
}

size_t pool_async_count(const struct pool_async *h)
{
	return h->n;
}

void pool_async_free(struct pool_async *h)
{
	if (!h)
		return;
	if (h->pool && h->ndone < h->n)
		h->abandoned = true; /* the pool frees it when its last result arrives */
	else
		job_free(h);
}

/* Wait for h for ever, move its results to the caller's array, free h. */
static int take_all(struct pool_async *h, struct pool_result *results)
{
	int rc;

	if (!h)
		return -1;
	rc = pool_async_get(h, -1, NULL);
	for (size_t i = 0; i < h->n; i++) {
		results[i] = h->results[i];
		h->results[i].data = NULL;
	}
	job_free(h);
	return rc;
}

int pool_apply(struct pool *p, pool_fn fn, const void *arg, size_t len, struct pool_result *result)
{
	return take_all(pool_apply_async(p, fn, arg, len), result);
}

int pool_map(struct pool *p, pool_fn fn, const void *args, size_t argsize, size_t n,
	     size_t chunksize, struct pool_result *results)
{
	return take_all(pool_map_async(p, fn, args, argsize, n, chunksize), results);
}

int pool_starmap(struct pool *p, pool_fn fn, const struct pool_iov *args, int nargs, size_t n,
		 size_t chunksize, struct pool_result *results)
{
	return take_all(pool_starmap_async(p, fn, args, nargs, n, chunksize), results);
}

void pool_results_free(struct pool_result *results, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(results[i].data);
		results[i].data = NULL;
	}
}
