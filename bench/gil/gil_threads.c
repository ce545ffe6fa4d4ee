/* SPDX-License-Identifier: MIT */
/*
 * gil_threads — CPU threads and an IO thread sharing one GIL: the machinery
 * of the gil-convoy, gil-interval and gil-cores experiments (bench/gil/). The
 * IO thread's round trips show what a CPU thread does to IO latency under
 * the GIL (the convoy effect); the CPU threads' slices show the switch
 * interval at work.
 */
#include "gil_threads.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "threads.h"
#include "workload.h"

/* CPU threads that compute until told to stop look at the stop flag every
 * CHUNK ticks (about 0.1 ms): often enough, and not once per tick, so the
 * per-tick cost stays the GIL's poll alone. */
#define CHUNK 4096

struct gx_run;

struct gx_thread {
	struct gx_run *run;
	struct gil_thread *gt;
	pthread_t tid;
	bool spawned;
	bool is_io;
	uint64_t ticks, x;    /* x: the tick chain's value, kept so the work is used */
	double busy_s;	      /* from the start signal to the thread's last tick */
	uint64_t begin, last; /* the slice under way, as turn_look sees it */
	double *turn_us;      /* the slices it ended, in us */
	size_t nturn;
};

struct gx_run {
	const struct gil_threads_spec *s;
	struct gil_threads_result *r;
	struct gil gil;
	int sock; /* the IO thread's end of the socketpair */
	pid_t echo;
	pthread_mutex_t gate_lock; /* the start gate: every thread starts at once */
	pthread_cond_t gate_cond;
	int gate; /* 0: wait, 1: go, -1: abort (a spawn failed) */
	uint64_t t_go;
	atomic_int stop; /* the IO thread is done: CPU threads finish */
	atomic_int turn; /* the CPU thread that looked last (-1: none yet) */
	struct gx_thread *th;
	char io_error[128]; /* written by the IO thread, read after joining it */
};

/* Record "call: reason" from errno; returns -1. */
static int sys_fail(char *buf, size_t len, const char *call)
{
	snprintf(buf, len, "%s: %s", call, strerror(errno));
	return -1;
}

/* ---- the echo process ---- */

/* Answer every byte with itself, delay_ns later, until the IO thread
 * closes its end (gil.py's echo_loop: recv, sleep, sendall). */
static void __attribute__((noreturn)) echo_main(int sock, uint64_t delay_ns)
{
	unsigned char b;

	for (;;) {
		ssize_t n = recv(sock, &b, 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1)
			_exit(n == 0 ? 0 : 5);
		if (delay_ns)
			clock_sleep_ns(delay_ns);
		if (send(sock, &b, 1, 0) != 1)
			_exit(6);
	}
}

/* Forked before any thread exists, in the case's process group (no
 * setpgid), so the harness's end-of-case kill reaches it too. */
static int echo_start(struct gx_run *run)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return sys_fail(run->r->error, sizeof(run->r->error), "socketpair");
	run->echo = fork();
	if (run->echo == 0) {
		close(sv[0]);
		echo_main(sv[1], run->s->echo_ns);
	}
	close(sv[1]);
	run->sock = sv[0];
	if (run->echo < 0) {
		sys_fail(run->r->error, sizeof(run->r->error), "fork");
		close(run->sock);
		run->sock = -1;
		return -1;
	}
	return 0;
}

/* Closing our end is the echo's EOF: it exits, and we reap it. */
static int echo_stop(struct gx_run *run)
{
	int status;
	pid_t pid;

	if (run->echo <= 0)
		return 0;
	close(run->sock);
	run->sock = -1;
	do
		pid = waitpid(run->echo, &status, 0);
	while (pid < 0 && errno == EINTR);
	run->echo = 0;
	if (pid < 0)
		return sys_fail(run->r->error, sizeof(run->r->error), "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!run->r->error[0])
			snprintf(run->r->error, sizeof(run->r->error),
				 "the echo process ended with status 0x%x", (unsigned)status);
		return -1;
	}
	return 0;
}

/* ---- the threads ---- */

/* false: the run was aborted before it started. */
static bool gate_wait(struct gx_run *run)
{
	int gate;

	pthread_mutex_lock(&run->gate_lock);
	while (run->gate == 0)
		pthread_cond_wait(&run->gate_cond, &run->gate_lock);
	gate = run->gate;
	pthread_mutex_unlock(&run->gate_lock);
	return gate > 0;
}

static void gate_open(struct gx_run *run, int value)
{
	pthread_mutex_lock(&run->gate_lock);
	run->gate = value;
	run->t_go = clock_now_ns();
	pthread_cond_broadcast(&run->gate_cond);
	pthread_mutex_unlock(&run->gate_lock);
}

/* A CPU thread's look at the turn, as gil.py's slice_thread does it: a
 * slice ends when another CPU thread has looked since this one's last look
 * (it ran in between). Measured so, and not from the GIL's holds, the
 * figure means the same on both sides of the fidelity table, and a model
 * that lost its GIL (PB_FAULT_GIL=off) shows its short slices instead of
 * none. Relaxed: under the GIL the holder's looks are ordered by the GIL's
 * mutex; without it any interleaving is a true answer. */
static void turn_look(struct gx_thread *th)
{
	struct gx_run *run = th->run;
	int me = (int)(th - run->th), was = atomic_load_explicit(&run->turn, memory_order_relaxed);
	uint64_t t = clock_now_ns();

	if (was != me) {
		if (was >= 0 && th->nturn < run->s->slice_cap)
			th->turn_us[th->nturn++] = (double)(th->last - th->begin) / 1e3;
		atomic_store_explicit(&run->turn, me, memory_order_relaxed);
		th->begin = t;
	}
	th->last = t;
}

/* A fixed amount of CPU work in the spec's mode, with a look at the turn
 * every CHUNK ticks (POLL) or every C call (NOPOLL and RELEASED go in C
 * calls of call_ticks each). */
static uint64_t cpu_work(const struct gil_threads_spec *s, struct gx_thread *th, uint64_t x)
{
	uint64_t call = s->cpu_mode == GX_CPU_POLL ? CHUNK :
			s->call_ticks		   ? s->call_ticks :
						     s->cpu_ticks;

	for (uint64_t done = 0; done < s->cpu_ticks; done += call) {
		uint64_t k = s->cpu_ticks - done < call ? s->cpu_ticks - done : call;

		x = s->cpu_mode == GX_CPU_POLL	 ? gil_compute(th->gt, x, k) :
		    s->cpu_mode == GX_CPU_NOPOLL ? gil_compute_nopoll(th->gt, x, k) :
						   gil_compute_released(th->gt, x, k);
		turn_look(th);
	}
	return x;
}

static void *cpu_thread(void *arg)
{
	struct gx_thread *th = arg;
	struct gx_run *run = th->run;
	uint64_t t_go;

	if (!gate_wait(run))
		return NULL;
	t_go = run->t_go; /* read under gate_lock's happens-before */
	th->x = (uint64_t)th->gt->id | 1;
	gil_take(th->gt);
	th->begin = th->last = clock_now_ns();
	if (run->s->cpu_ticks) {
		th->x = cpu_work(run->s, th, th->x);
		th->ticks = run->s->cpu_ticks;
	} else {
		while (!atomic_load_explicit(&run->stop, memory_order_relaxed)) {
			th->x = gil_compute(th->gt, th->x, CHUNK);
			th->ticks += CHUNK;
			turn_look(th);
		}
	}
	if (th->nturn < run->s->slice_cap) /* the slice the end cut */
		th->turn_us[th->nturn++] = (double)(th->last - th->begin) / 1e3;
	th->busy_s = (double)(clock_now_ns() - t_go) / 1e9;
	gil_exit(th->gt);
	run->r->ran_on[th - run->th] = run->s->topo ? topo_last_pu(run->s->topo) : -1;
	return NULL;
}

/* One round trip: a byte out, the same byte back (gil.py: sock.sendall,
 * sock.recv), each call releasing the GIL and taking it again: two chances
 * to lose it, counted when rec (a recorded round trip). On two PUs the
 * send's is lost when the CPU thread, woken as the IO thread took the GIL,
 * is already waiting in take_gil at the drop (docs/gil.md, traced). */
static int round_trip(struct gx_run *run, struct gil_thread *gt, unsigned char b, bool rec)
{
	unsigned char back = 0;
	unsigned long in = gt->switches_in;
	ssize_t n = gil_sendall(gt, run->sock, &b, 1);

	run->r->lost_at_send += rec && gt->switches_in != in;
	if (n < 0)
		return sys_fail(run->io_error, sizeof(run->io_error), "send to the echo process");
	in = gt->switches_in;
	n = gil_recv(gt, run->sock, &back, 1);
	run->r->lost_at_recv += rec && gt->switches_in != in;
	if (n < 0)
		return sys_fail(run->io_error, sizeof(run->io_error), "recv from the echo process");
	if (n != 1 || back != b) {
		snprintf(run->io_error, sizeof(run->io_error), "the echo process %s",
			 n == 0 ? "closed its pipe" : "answered a wrong byte");
		return -1;
	}
	return 0;
}

static void *io_thread(void *arg)
{
	struct gx_thread *th = arg;
	struct gx_run *run = th->run;
	const struct gil_threads_spec *s = run->s;

	if (!gate_wait(run))
		return NULL;
	gil_take(th->gt);
	for (int i = 0; i < s->warmup + s->round_trips; i++) {
		uint64_t t0 = clock_now_ns();

		if (round_trip(run, th->gt, (unsigned char)i, i >= s->warmup) < 0)
			break;
		if (i >= s->warmup)
			run->r->latency_us[i - s->warmup] = (double)(clock_now_ns() - t0) / 1e3;
	}
	gil_exit(th->gt);
	run->r->ran_on[th - run->th] = s->topo ? topo_last_pu(s->topo) : -1;
	atomic_store_explicit(&run->stop, 1, memory_order_relaxed);
	return NULL;
}

/* ---- the run ---- */

static int check_spec(const struct gil_threads_spec *s, struct gil_threads_result *r)
{
	int n = s->cpu_threads + (s->round_trips > 0);
	const char *why = NULL;

	if (s->cpu_threads < 0 || s->round_trips < 0 || s->warmup < 0)
		why = "cpu_threads, round_trips and warmup must be >= 0";
	else if (n == 0)
		why = "no thread to run: cpu_threads and round_trips are both 0";
	else if (s->round_trips == 0 && s->cpu_ticks == 0)
		why = "CPU threads without an IO thread need cpu_ticks > 0";
	else if (s->placement && s->placement->n < n)
		why = "the placement has fewer slots than threads";
	if (why)
		snprintf(r->error, sizeof(r->error), "gil_threads: %s", why);
	return why ? -1 : n;
}

static int alloc_result(struct gx_run *run, int n)
{
	struct gil_threads_result *r = run->r;
	const struct gil_threads_spec *s = run->s;

	r->nthreads = n;
	r->threads = calloc((size_t)n, sizeof(*r->threads));
	r->ran_on = calloc((size_t)n, sizeof(*r->ran_on));
	r->latency_us = calloc((size_t)s->round_trips + 1, sizeof(*r->latency_us));
	r->turn_slice_us = calloc((size_t)n * s->slice_cap + 1, sizeof(*r->turn_slice_us));
	run->th = calloc((size_t)n, sizeof(*run->th));
	if (!r->threads || !r->ran_on || !r->latency_us || !r->turn_slice_us || !run->th)
		return -1;
	for (int i = 0; i < n; i++) {
		if (gil_thread_init(&r->threads[i], &run->gil, i, s->slice_cap))
			return -1;
		run->th[i] = (struct gx_thread){ .run = run,
						 .gt = &r->threads[i],
						 .turn_us = r->turn_slice_us +
							    (size_t)i * s->slice_cap };
		run->th[i].is_io = s->round_trips > 0 && i == 0;
		r->ran_on[i] = -1;
	}
	return 0;
}

/* Spawn every thread on its PU, then open the gate; if one cannot be
 * spawned, abort the gate so those already running return at once. */
static int spawn_all(struct gx_run *run, int n)
{
	for (int i = 0; i < n; i++) {
		struct gx_thread *th = &run->th[i];
		int err = threads_spawn(run->s->topo, run->s->placement, i, &th->tid,
					th->is_io ? io_thread : cpu_thread, th);

		if (err) {
			snprintf(run->r->error, sizeof(run->r->error), "pthread_create: %s",
				 strerror(err));
			gate_open(run, -1);
			return -1;
		}
		th->spawned = true;
	}
	gate_open(run, 1);
	return 0;
}

static void join_all(struct gx_run *run, int n)
{
	struct gil_threads_result *r = run->r;

	for (int i = 0; i < n; i++) {
		struct gx_thread *th = &run->th[i];

		if (!th->spawned)
			continue;
		pthread_join(th->tid, NULL);
		if (th->is_io)
			continue;
		r->cpu_ticks += th->ticks;
		if (th->busy_s > 0)
			r->cpu_rate += (double)th->ticks / th->busy_s;
		/* gil.py's slices[1:-1]: the first and the last are cut by the
		 * start and the end (memmove: the segments only move down) */
		if (th->nturn > 2) {
			memmove(r->turn_slice_us + r->nturn_slices, th->turn_us + 1,
				(th->nturn - 2) * sizeof(*th->turn_us));
			r->nturn_slices += th->nturn - 2;
		}
	}
	r->wall_s = (double)(clock_now_ns() - run->t_go) / 1e9;
	if (run->io_error[0] && !r->error[0])
		snprintf(r->error, sizeof(r->error), "%s", run->io_error);
}

static int run_threads(struct gx_run *run, int n)
{
	int rc = alloc_result(run, n);

	if (rc < 0)
		snprintf(run->r->error, sizeof(run->r->error), "calloc: out of memory");
	if (rc == 0 && run->s->round_trips > 0)
		rc = echo_start(run);
	if (rc == 0)
		rc = spawn_all(run, n);
	if (run->th)
		join_all(run, n);
	run->r->switches = gil_switches(&run->gil);
	if (echo_stop(run) < 0)
		rc = -1;
	return rc == 0 && !run->r->error[0] ? 0 : -1;
}

int gil_threads_run(const struct gil_threads_spec *s, struct gil_threads_result *r)
{
	struct gx_run run = { .s = s, .r = r, .sock = -1 };
	int n, err, rc;

	*r = (struct gil_threads_result){ 0 };
	if ((n = check_spec(s, r)) < 0)
		return -1;
	if ((err = gil_init(&run.gil, s->switch_us, s->with_gil))) {
		snprintf(r->error, sizeof(r->error), "gil_init: %s", strerror(err));
		return -1;
	}
	atomic_init(&run.stop, 0);
	atomic_init(&run.turn, -1);
	pthread_mutex_init(&run.gate_lock, NULL);
	pthread_cond_init(&run.gate_cond, NULL);
	rc = run_threads(&run, n);
	free(run.th);
	pthread_cond_destroy(&run.gate_cond);
	pthread_mutex_destroy(&run.gate_lock);
	if ((err = gil_destroy(&run.gil)) && rc == 0) {
		snprintf(r->error, sizeof(r->error), "gil_destroy: %s", strerror(err));
		rc = -1;
	}
	return rc;
}

void gil_threads_result_free(struct gil_threads_result *r)
{
	for (int i = 0; r->threads && i < r->nthreads; i++)
		gil_thread_free(&r->threads[i]);
	free(r->threads);
	free(r->ran_on);
	free(r->latency_us);
	free(r->turn_slice_us);
	*r = (struct gil_threads_result){ 0 };
}
