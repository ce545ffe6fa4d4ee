/* SPDX-License-Identifier: MIT */
/*
 * price, like the peer tools — parbench loops that do what one run of
 * hyperfine -N and one wake of perf bench futex wake do, paired with them,
 * so that the pairings far from 1 can be explained by a test (like.c does
 * the same for stress-ng).
 *
 * hyperfine -N's run (hyperfine src/timer/mod.rs, execute_and_measure;
 * src/benchmark/executor.rs, the raw executor subtracts nothing): a wall
 * clock around Rust's Command::spawn and Child::wait. Before the clock it
 * opens /dev/null three times (stdin, stdout, stderr) and adds its
 * HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET to the environment; Rust spawns
 * with posix_spawn (strace: clone3 CLONE_VM|CLONE_VFORK, the three dup2s, an
 * empty signal mask, execve): no page table is copied, where our fork +
 * exec copies the case process's. The same runs with fork + exec in place
 * of posix_spawn are reported beside it (fork_variant_ns), to tell whether
 * fork is what differs.
 *
 * perf bench futex wake's wake (tools/perf/bench/futex-wake.c): a thread
 * created for each wake, bound to the first online CPU, takes a mutex and
 * a condition variable hand-shake, then blocks in FUTEX_WAIT; the waker
 * sleeps 100 ms, and times (gettimeofday, µs) its FUTEX_WAKE calls until
 * one thread is woken; then joins. It does not time the woken thread
 * running. Ours binds the waiter to worker 0's PU (perf's CPU 0: the
 * pairing is skipped otherwise) and the waker to worker 1's, as the
 * pairing binds perf, and times with clock_gettime. The same loop with the
 * waiter's PU idle 2 ms before each wake (the plain loop's settle) is
 * reported beside it (short_idle_ns), to tell whether the idle time is
 * what differs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "price.h"

extern char **environ;

#define LONG_IDLE_US 100000 /* perf's usleep before each wake */
#define SHORT_IDLE_US 2000  /* the plain loop's settle (sync.c) */

/* ---- posix_spawn as hyperfine's Rust does it ---- */

/* The environment hyperfine gives the program: ours plus its offset
 * variable (a value of random length; one of 0 here). */
static char **env_like_hyperfine(void)
{
	static char **env;
	size_t n = 0;

	if (env)
		return env;
	while (environ[n])
		n++;
	if (!(env = calloc(n + 2, sizeof(*env))))
		return NULL;
	memcpy(env, environ, n * sizeof(*env));
	env[n] = "HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET=";
	return env;
}

/* fork, then in the child what posix_spawn's child does here. */
static pid_t fork_exec_like(char *const argv[], char **env, const int fd[3])
{
	pid_t pid = fork();
	sigset_t none;

	if (pid != 0)
		return pid;
	sigemptyset(&none);
	for (int k = 0; k < 3; k++)
		dup2(fd[k], k);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(argv[0], argv, env);
	_exit(127);
}

static int spawn_one(struct pb_ctx *ctx, char *const argv[], char **env, const int fd[3],
		     bool use_fork, double *ns)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	uint64_t t0;
	pid_t pid = -1;
	int rc = 0, st;

	sigemptyset(&none);
	t0 = clock_now_ns(); /* hyperfine's clock starts before Command::spawn */
	if (use_fork) {
		rc = (pid = fork_exec_like(argv, env, fd)) < 0 ? errno : 0;
	} else {
		posix_spawn_file_actions_init(&fa);
		for (int k = 0; k < 3; k++)
			posix_spawn_file_actions_adddup2(&fa, fd[k], k);
		posix_spawnattr_init(&at);
		posix_spawnattr_setsigmask(&at, &none);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
		rc = posix_spawn(&pid, argv[0], &fa, &at, argv, env);
		posix_spawnattr_destroy(&at);
		posix_spawn_file_actions_destroy(&fa);
	}
	if (rc != 0)
		return pb_fail(ctx, "%s %s: %s", use_fork ? "fork" : "posix_spawn", argv[0],
			       strerror(rc));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return pb_fail(ctx, "waitpid: %s", strerror(errno));
	*ns = (double)(clock_now_ns() - t0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return pb_fail(ctx, "%s did not exit 0 (status %#x)", argv[0], st);
	return 0;
}

/* n runs as hyperfine makes them: /dev/null opened three times before the
 * clock, spawn + wait timed; with use_fork, fork + exec in place of
 * posix_spawn. */
static int spawns(struct pb_ctx *ctx, double *ns, size_t n, bool use_fork)
{
	bool st;
	char *argv[] = { (char *)price_tiny_program(&st), NULL }, **env = env_like_hyperfine();
	int rc = 0;

	if (!env)
		return pb_fail(ctx, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		int fd[3] = { open("/dev/null", O_RDONLY | O_CLOEXEC),
			      open("/dev/null", O_WRONLY | O_CLOEXEC),
			      open("/dev/null", O_WRONLY | O_CLOEXEC) };

		if (fd[0] < 0 || fd[1] < 0 || fd[2] < 0)
			rc = pb_fail(ctx, "opening /dev/null: %s", strerror(errno));
		else
			rc = spawn_one(ctx, argv, env, fd, use_fork, &ns[i]);
		for (int k = 0; k < 3; k++)
			if (fd[k] >= 0)
				close(fd[k]);
	}
	return rc;
}

/* The timed runs, then as many with fork + exec in their place (the
 * variant: fork_variant_ns, their mean), to tell whether fork is what
 * differs. */
static int spawn_like_hyperfine_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns,
				    size_t n)
{
	double *v = malloc(n * sizeof(*v)), sum = 0;
	int rc;

	(void)c;
	if (!v)
		return pb_fail(ctx, "out of memory");
	rc = spawns(ctx, ns, n, false);
	if (rc == 0)
		rc = spawns(ctx, v, n, true);
	for (size_t i = 0; i < n && rc == 0; i++)
		sum += v[i];
	if (rc == 0)
		pb_metric(ctx, "fork_variant_ns", sum / (double)n, "ns");
	free(v);
	return rc;
}

/* ---- FUTEX_WAKE as perf bench futex wake does it ---- */

struct pw {
	pthread_mutex_t lock;
	pthread_cond_t parent, worker;
	int starting;
	uint32_t word; /* stays 0: the waiter blocks on it until woken */
	int woken;     /* the waiter has left FUTEX_WAIT */
};

static long futex(uint32_t *w, int op, uint32_t v)
{
	return syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

static void *perf_waiter(void *arg)
{
	struct pw *w = arg;

	pthread_mutex_lock(&w->lock);
	if (--w->starting == 0)
		pthread_cond_signal(&w->parent);
	pthread_cond_wait(&w->worker, &w->lock);
	pthread_mutex_unlock(&w->lock);
	while (futex(&w->word, FUTEX_WAIT_PRIVATE, 0) != 0 && errno == EINTR)
		;
	__atomic_store_n(&w->woken, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* One of perf's rounds: a new waiter on worker 0's PU, the hand-shake,
 * idle_us of sleep, the timed FUTEX_WAKE calls until one thread is woken,
 * the join. */
static int wake_like_perf(struct pb_ctx *ctx, struct pw *w, useconds_t idle_us, double *ns)
{
	pthread_t t;
	uint64_t t0;
	long nwoken = 0;

	w->starting = 1;
	__atomic_store_n(&w->woken, 0, __ATOMIC_RELEASE);
	if (price_thread_on(ctx, 0, &t, perf_waiter, w) < 0)
		return -1;
	pthread_mutex_lock(&w->lock);
	while (w->starting)
		pthread_cond_wait(&w->parent, &w->lock);
	pthread_cond_broadcast(&w->worker);
	pthread_mutex_unlock(&w->lock);
	usleep(idle_us);
	t0 = clock_now_ns();
	while (nwoken < 1 && !__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE)) {
		long r = futex(&w->word, FUTEX_WAKE_PRIVATE, 1);

		nwoken += r > 0 ? r : 0;
	}
	*ns = (double)(clock_now_ns() - t0);
	pthread_join(t, NULL);
	return 0;
}

static int wake_like_perf_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	struct pw w = { .lock = PTHREAD_MUTEX_INITIALIZER,
			.parent = PTHREAD_COND_INITIALIZER,
			.worker = PTHREAD_COND_INITIALIZER };
	double short_ns = 0, one;
	int rc = price_bind(ctx, 1); /* the waker on worker 1's PU, as perf runs */

	(void)c;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = wake_like_perf(ctx, &w, LONG_IDLE_US, &ns[i]);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = wake_like_perf(ctx, &w, SHORT_IDLE_US, &one);
		short_ns += one;
	}
	if (rc == 0)
		rc = price_bind(ctx, 0);
	if (rc == 0) {
		pb_metric(ctx, "short_idle_ns", short_ns / (double)n, "ns");
		pb_metric(ctx, "long_idle_us", LONG_IDLE_US, "us");
		pb_metric(ctx, "short_idle_us", SHORT_IDLE_US, "us");
	}
	pthread_cond_destroy(&w.parent);
	pthread_cond_destroy(&w.worker);
	pthread_mutex_destroy(&w.lock);
	return rc;
}

// clang-format off
const struct price_prim price_like_tools[] = {
	{ .model = "fork-exec-like-hyperfine", .explains = "fork-exec",
	  .what = "exec of the tiny program as hyperfine -N does it (posix_spawn: no page table copied; stdio on /dev/null, timed around spawn + wait)",
	  .ours = spawn_like_hyperfine_ops, .pins = PRICE_ONE, .workers = 1, .pair_only = true,
	  .peer = "hyperfine -N", .pair_model = "fork-exec-like-hyperfine",
	  .peer_run = price_hyperfine_exec, .pair_ops = { 50, 50, 200 }, .op_ns = 900e3,
	  .peer_fixed_s = 0.15, .peer_op_ns = 650e3 },
	{ .model = "futex-wake-like-perf", .explains = "futex-wake",
	  .what = "FUTEX_WAKE as perf bench futex wake does it (a new waiter each wake, its PU idle 100 ms before it)",
	  .ours = wake_like_perf_ops, .pins = PRICE_CROSS, .workers = 2, .pair_only = true,
	  .peer = "perf bench futex wake", .pair_model = "futex-wake-like-perf",
	  .peer_run = price_perf_wake, .pair_ops = { 5, 3, 10 }, .op_ns = 102e6,
	  .peer_fixed_s = 0.55, .peer_op_ns = 1 },
	{ .model = NULL },
};
// clang-format on
