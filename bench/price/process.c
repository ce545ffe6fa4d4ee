/* SPDX-License-Identifier: MIT */
/*
 * price, processes — what a Process costs the OS before Python adds its
 * own: fork + _exit + waitpid, vfork (what subprocess uses), posix_spawn,
 * and fork + exec of a tiny static program (bench/pb-true, built next to
 * the binary by the Makefile; /bin/true when it is missing, and the case
 * says so in its exec_static metric). Peers: stress-ng --fork, --vfork,
 * --spawn (which posix_spawns stress-ng --exec-exit, so our side of that
 * pairing spawns the same), hyperfine -N for the exec.
 */
#include <errno.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "peer.h"
#include "price.h"

extern char **environ;

static int reap(struct pb_ctx *ctx, pid_t pid, const char *what)
{
	int st;

	if (pid < 0)
		return pb_fail(ctx, "%s: %s", what, strerror(errno));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return pb_fail(ctx, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return pb_fail(ctx, "%s: the child did not exit 0 (status %#x)", what, st);
	return 0;
}

static int fork_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	(void)c;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = clock_now_ns();
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (reap(ctx, pid, "fork") < 0)
			return -1;
		ns[i] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

static __attribute__((noinline)) pid_t vfork_exit(void)
{
	pid_t pid = vfork();

	if (pid == 0)
		_exit(0);
	return pid;
}

static int vfork_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	(void)c;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = clock_now_ns();

		if (reap(ctx, vfork_exit(), "vfork") < 0)
			return -1;
		ns[i] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

const char *price_tiny_program(bool *is_static)
{
	static char path[4096];
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len > 0) {
		self[len] = '\0';
		snprintf(path, sizeof(path), "%s/pb-true", dirname(self));
		if (access(path, X_OK) == 0) {
			*is_static = true;
			return path;
		}
	}
	*is_static = false;
	return "/bin/true";
}

static int spawn_ops(struct pb_ctx *ctx, double *ns, size_t n, char *const argv[])
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = clock_now_ns();
		pid_t pid;
		int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);

		if (rc != 0)
			return pb_fail(ctx, "posix_spawn %s: %s", argv[0], strerror(rc));
		if (reap(ctx, pid, "posix_spawn") < 0)
			return -1;
		ns[i] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

static int posix_spawn_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	bool st;
	char *argv[] = { (char *)price_tiny_program(&st), NULL };

	(void)c;
	return spawn_ops(ctx, ns, n, argv);
}

/* stress-ng --spawn's own operation: posix_spawn stress-ng --exec-exit. */
static int spawn_stress_ng_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	char path[512], *argv[] = { path, "--exec-exit", NULL };

	(void)c;
	if (!peer_which("stress-ng", path, sizeof(path)))
		return pb_skip(ctx, "stress-ng is not installed (scripts/deps.sh bench)") + 1;
	return spawn_ops(ctx, ns, n, argv);
}

static int fork_exec_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	bool st;
	const char *prog = price_tiny_program(&st);

	(void)c;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = clock_now_ns();
		pid_t pid = fork();

		if (pid == 0) {
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		if (reap(ctx, pid, "fork + exec") < 0)
			return -1;
		ns[i] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

/* hyperfine -N runs the program itself (no shell) n times: its mean. */
int price_hyperfine_exec(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op)
{
	bool st;
	char runs[32], *text = malloc(PEER_TEXT);
	char *argv[] = { "hyperfine",
			 "-N",
			 "--runs",
			 runs,
			 "--warmup",
			 "3",
			 "--style",
			 "none",
			 "--export-json",
			 "/dev/stdout",
			 (char *)price_tiny_program(&st),
			 NULL };
	int rc;

	(void)c;
	if (!text)
		return pb_fail(ctx, "out of memory");
	snprintf(runs, sizeof(runs), "%ld", n < 2 ? 2 : n);
	rc = peer_run(ctx, argv, 1, NULL, NULL, text);
	*ns_per_op = peer_number_after(text, "\"mean\"") * 1e9;
	if (rc == 0 && !(*ns_per_op > 0))
		rc = pb_fail(ctx, "hyperfine: no mean in its JSON (%.120s)", text);
	free(text);
	return rc;
}

// clang-format off
const struct price_prim price_process[] = {
	{ .model = "fork", .what = "fork + _exit + waitpid", .ours = fork_ops,
	  .pins = PRICE_ONE, .workers = 1, .ops = { 100, 200, 1000 }, .op_ns = 1.5e6,
	  .peer = "stress-ng --fork", .pair_model = "fork-vs-stress-ng",
	  .peer_run = price_stress_ng, .stressor = "fork", .pair_ops = { 100, 50, 200 },
	  .peer_fixed_s = 0.2, .peer_op_ns = 400e3 },
	{ .model = "vfork", .what = "vfork + _exit + waitpid", .ours = vfork_ops,
	  .pins = PRICE_ONE, .workers = 1, .ops = { 200, 500, 2000 }, .op_ns = 26e3,
	  .peer = "stress-ng --vfork", .pair_model = "vfork-vs-stress-ng",
	  .peer_run = price_stress_ng, .stressor = "vfork", .pair_ops = { 200, 300, 600 },
	  .peer_fixed_s = 0.05, .peer_op_ns = 50e3 },
	{ .model = "posix-spawn", .what = "posix_spawn of a tiny static program + waitpid",
	  .ours = posix_spawn_ops, .pins = PRICE_ONE, .workers = 1, .ops = { 50, 100, 500 },
	  .op_ns = 1.5e6, .peer = "stress-ng --spawn", .pair_model = "posix-spawn-vs-stress-ng",
	  .peer_run = price_stress_ng, .pair_ours = spawn_stress_ng_ops, .stressor = "spawn",
	  .pair_ops = { 50, 100, 200 }, .peer_fixed_s = 0.05, .peer_op_ns = 1e6 },
	{ .model = "fork-exec", .what = "fork + exec of a tiny static program + waitpid",
	  .ours = fork_exec_ops, .pins = PRICE_ONE, .workers = 1, .ops = { 50, 100, 500 },
	  .op_ns = 2.8e6, .peer = "hyperfine -N", .pair_model = "fork-exec-vs-hyperfine",
	  .peer_run = price_hyperfine_exec, .pair_ops = { 50, 50, 200 }, .peer_fixed_s = 0.15, .peer_op_ns = 650e3 },
	{ .model = NULL },
};
// clang-format on
