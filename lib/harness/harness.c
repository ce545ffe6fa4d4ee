/* SPDX-License-Identifier: MIT */
/*
 * The case side of the harness: plans, the context a case sees, and the
 * case process that runs one repetition under a watchdog.
 *
 * Why a process per repetition: a case's workers may crash, hang or leak,
 * and threads cannot be killed one by one. A case process is the leader of
 * its own process group, so the watchdog ends the case and every worker it
 * started with one kill(-pgid), and parbench (a child subreaper) reaps all
 * of them, even the orphans.
 */
#include "harness_impl.h"
#include "grow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t pb_interrupted;
pid_t pb_run_pid;

struct pb_ctx {
	const struct pb_config *cfg;
	const struct pb_case *c;
	struct placement placement;
	int fd;			/* case process: the pipe to parbench */
	gb_state *st;		/* in-process case: google-benchmark's state */
	struct rep_result *out; /* in-process case: where metrics go */
	pthread_mutex_t lock;	/* in-process: pb_metric from several threads */
	bool timer_started, timer_stopped, failed, skipped;
	uint64_t t0_ns;
	struct usage u0;
};

const char *pb_profile_name(enum pb_profile p)
{
	static const char *const names[] = { "quick", "default", "full" };

	return names[p];
}

bool pb_profile_parse(const char *name, enum pb_profile *out)
{
	for (int p = PROFILE_QUICK; p <= PROFILE_FULL; p++) {
		if (strcmp(name, pb_profile_name(p)) == 0) {
			*out = p;
			return true;
		}
	}
	return false;
}

/* ---- repetition results ---- */

void rep_result_add(struct rep_result *r, const char *name, double value, const char *unit)
{
	struct metric_value *m;

	for (size_t i = 0; i < r->nmetrics; i++) {
		if (strcmp(r->metrics[i].name, name) == 0) {
			r->metrics[i].value = value; /* the last report wins */
			return;
		}
	}
	r->metrics = grow(r->metrics, &r->cap, r->nmetrics + 1, sizeof(*r->metrics), 16);
	m = &r->metrics[r->nmetrics++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->unit, sizeof(m->unit), "%s", unit ? unit : "");
	m->value = value;
}

void rep_result_free(struct rep_result *r)
{
	free(r->metrics);
	r->metrics = NULL;
	r->nmetrics = r->cap = 0;
}

/* ---- the context a case sees ---- */

const struct pb_config *pb_cfg(struct pb_ctx *ctx)
{
	return ctx->cfg;
}

const struct placement *pb_placement(struct pb_ctx *ctx)
{
	return &ctx->placement;
}

bool pb_keep_running(struct pb_ctx *ctx)
{
	return ctx->st && gb_keep_running(ctx->st);
}

/* Case processes send one line per message, each in one write() shorter
 * than PIPE_BUF, so lines from several workers never interleave. */
static void send_line(struct pb_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void send_line(struct pb_ctx *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(ctx->fd, line, (size_t)n) < 0)
		return; /* parbench is gone: nobody left to tell */
}

/* Metric names and units travel as tab-separated fields: keep them clean. */
static void clean_field(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < len; src++)
		dst[i++] = (*src == '\t' || *src == '\n' || *src == '\r') ? ' ' : *src;
	dst[i] = '\0';
}

void pb_metric(struct pb_ctx *ctx, const char *name, double value, const char *unit)
{
	char n[64], u[48];

	clean_field(n, sizeof(n), name);
	clean_field(u, sizeof(u), unit);
	if (ctx->fd >= 0) {
		send_line(ctx, "M\t%s\t%.17g\t%s", n, value, u);
		return;
	}
	pthread_mutex_lock(&ctx->lock);
	rep_result_add(ctx->out, n, value, u);
	pthread_mutex_unlock(&ctx->lock);
}

/* How a repetition ends early: failed ('E') or skipped ('S'), with why. The
 * case process sends it to parbench; an in-process case keeps it. */
__attribute__((format(printf, 3, 0))) static void end_with(struct pb_ctx *ctx, char kind,
							   const char *fmt, va_list ap)
{
	bool failed = kind == 'E';
	char reason[256];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	clean_field(reason, sizeof(reason), reason);
	*(failed ? &ctx->failed : &ctx->skipped) = true;
	if (ctx->fd >= 0) {
		send_line(ctx, "%c\t%s", kind, reason);
	} else {
		*(failed ? &ctx->out->failed : &ctx->out->skipped) = true;
		snprintf(ctx->out->reason, sizeof(ctx->out->reason), "%s", reason);
	}
}

int pb_fail(struct pb_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	end_with(ctx, 'E', fmt, ap);
	va_end(ap);
	return -1;
}

int pb_skip(struct pb_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	end_with(ctx, 'S', fmt, ap);
	va_end(ap);
	return 0;
}

void pb_timer_start(struct pb_ctx *ctx)
{
	pb_timer_start_at(ctx, clock_now_ns());
}

void pb_timer_start_at(struct pb_ctx *ctx, uint64_t t0_ns)
{
	ctx->timer_started = true;
	ctx->u0 = usage_now();
	ctx->t0_ns = t0_ns;
}

double pb_timer_stop(struct pb_ctx *ctx)
{
	double wall = (double)(clock_now_ns() - ctx->t0_ns) / 1e9;
	struct usage u = usage_diff(ctx->u0, usage_now());

	ctx->timer_stopped = true;
	pb_metric(ctx, "wall_s", wall, "s");
	pb_metric(ctx, "cpu_user_s", u.user_s, "s");
	pb_metric(ctx, "cpu_sys_s", u.sys_s, "s");
	pb_metric(ctx, "ctxsw_voluntary", u.ctxsw_voluntary, "count");
	pb_metric(ctx, "ctxsw_involuntary", u.ctxsw_involuntary, "count");
	return wall;
}

void pb_report_pus(struct pb_ctx *ctx, const int *ran_on, int n)
{
	int used = 0, misses = 0;

	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen = seen || ran_on[j] == ran_on[i];
		if (!seen && ran_on[i] >= 0)
			used++;
		if (i < ctx->placement.n && ctx->placement.pu[i] >= 0 &&
		    ran_on[i] != ctx->placement.pu[i])
			misses++;
	}
	pb_metric(ctx, "pus_used", used, "count");
	pb_metric(ctx, "pin_misses", misses, "count");
}

/* ---- running one repetition ---- */

static int ctx_init(struct pb_ctx *ctx, const struct pb_config *cfg, const struct pb_case *c,
		    char *err, size_t errlen)
{
	enum pin_policy policy = c->pin_fixed ? c->pin : cfg->pin;

	*ctx = (struct pb_ctx){ .cfg = cfg, .c = c, .fd = -1 };
	pthread_mutex_init(&ctx->lock, NULL);
	return topo_place(cfg->topo, policy, c->workers > 0 ? c->workers : 1, &ctx->placement, err,
			  errlen);
}

static void ctx_destroy(struct pb_ctx *ctx)
{
	placement_free(&ctx->placement);
	pthread_mutex_destroy(&ctx->lock);
}

/* The case process. It only ever leaves through _exit: exit() would flush
 * stdio buffers inherited from parbench (the CSV among them) a second time
 * and run parbench's atexit handlers in the wrong process. */
static void __attribute__((noreturn))
child_main(const struct pb_config *cfg, const struct pb_case *c, int fd, pid_t parent)
{
	struct pb_ctx ctx;
	char err[256];
	int rc;

	setpgid(0, 0);
	lifeline_child(parent);
	/* Default dispositions: a crash in a case is a crash (not caught by a
	 * handler the caller installed), and Ctrl-C is parbench's to handle. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGPIPE && sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if (ctx_init(&ctx, cfg, c, err, sizeof(err)) < 0) {
		ctx.fd = fd;
		pb_fail(&ctx, "placement: %s", err);
		_exit(1);
	}
	ctx.fd = fd;
	/* more workers than PUs: some share one, and the CSV says so */
	pb_metric(&ctx, "pin_wrapped", ctx.placement.wrapped, "flag");
	pb_timer_start(&ctx); /* a case that starts its own timer restarts it */
	ctx.timer_started = false;
	rc = c->run(&ctx, c);
	if (!ctx.failed && rc != 0)
		pb_fail(&ctx, "the case returned %d without saying why", rc);
	if (!ctx.failed && !ctx.skipped && !ctx.timer_stopped)
		pb_timer_stop(&ctx);
	send_line(&ctx, "D");
	_exit(ctx.failed ? 1 : 0);
}

static void parse_line(char *line, struct rep_result *out, bool *done)
{
	char *f[4] = { 0 };
	int n = 0;

	for (char *p = line; n < 4; n++) {
		f[n] = p;
		p = strchr(p, '\t');
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (strcmp(f[0], "M") == 0 && n == 4) {
		rep_result_add(out, f[1], strtod(f[2], NULL), f[3]);
	} else if (strcmp(f[0], "E") == 0 && n >= 2) {
		out->failed = true;
		snprintf(out->reason, sizeof(out->reason), "%s", f[1]);
	} else if (strcmp(f[0], "S") == 0 && n >= 2) {
		out->skipped = true;
		snprintf(out->reason, sizeof(out->reason), "%s", f[1]);
	} else if (strcmp(f[0], "D") == 0) {
		*done = true;
	}
}

static void fail_once(struct rep_result *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void fail_once(struct rep_result *out, const char *fmt, ...)
{
	va_list ap;

	if (out->failed)
		return;
	out->failed = true;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* A hang its case expected (why): its outcome, with hung_s. False: none. */
static bool expected_hang(struct rep_result *out, const char *why, double hung_s)
{
	if (!why || out->failed || out->skipped)
		return false;
	out->hung = true;
	snprintf(out->reason, sizeof(out->reason), "%s", why);
	rep_result_add(out, "hung_s", hung_s, "s");
	return true;
}

/* Has the case process exited? Its workers may hold the pipe open after it
 * crashed: the pipe alone would wait for the whole budget. waitid(WNOWAIT)
 * leaves it for end_group to reap. */
static bool case_exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* Read the case process's lines until it says it is done, its pipe closes,
 * the case process exits (seen through its pidfd where the kernel has one,
 * else at the next 100 ms tick), the budget runs out or the user interrupts.
 * Returns false when the case had to be killed. */
static bool collect(int fd, pid_t pid, const char *hang, double budget_s, struct rep_result *out)
{
	uint64_t deadline = clock_now_ns() + (uint64_t)(budget_s * 1e9);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	static char buf[65536];
	size_t used = 0;
	bool done = false, exited = false;

	while (!done) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		uint64_t now = clock_now_ns();
		ssize_t got;
		char *nl;

		if (pb_interrupted || now >= deadline) {
			if (pb_interrupted)
				fail_once(out, "interrupted");
			else if (!expected_hang(out, hang, budget_s))
				fail_once(out, "watchdog: stopped after its budget of %g s",
					  budget_s);
			if (pidfd >= 0)
				close(pidfd);
			return false;
		}
		if (poll(p, 2, exited ? 0 : 100) < 0 || !(p[0].revents & (POLLIN | POLLHUP))) {
			if (exited)
				break; /* the case process is gone and its lines are read */
			exited = (p[1].revents & POLLIN) || case_exited(pid);
			continue;
		}
		got = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		used += (size_t)got;
		buf[used] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			parse_line(buf, out, &done);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used + 1);
		}
		if (used == sizeof(buf) - 1)
			used = 0; /* a line longer than the buffer: drop it */
	}
	if (pidfd >= 0)
		close(pidfd);
	return true;
}

/* End the case's process group: whatever is still in it is killed, and every
 * member is reaped (they are our children: parbench is a subreaper). */
static void end_group(pid_t pgid, bool case_finished, struct rep_result *out)
{
	int status = 0, left = 0;
	pid_t got;

	if (!case_finished)
		kill(-pgid, SIGKILL);
	while ((got = waitpid(pgid, &status, 0)) < 0 && errno == EINTR)
		;
	if (got < 0)
		fail_once(out, "waitpid of the case process: %s", strerror(errno));
	else if (case_finished && WIFSIGNALED(status))
		fail_once(out, "case process killed by signal %d (%s)", WTERMSIG(status),
			  strsignal(WTERMSIG(status)));
	else if (case_finished && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fail_once(out, "case process exited with status %d", WEXITSTATUS(status));
	if (kill(-pgid, 0) == 0) {
		kill(-pgid, SIGKILL);
		while (waitpid(-pgid, NULL, 0) > 0 || errno == EINTR)
			left++;
		if (case_finished)
			fail_once(out, "the case left %d process(es) running; killed", left);
	}
}

void caseproc_run(const struct pb_config *cfg, const struct pb_case *c, double budget_s,
		  struct rep_result *out)
{
	pid_t pid, parent = getpid();
	int pfd[2], left;
	bool finished;

	*out = (struct rep_result){ .time_s = NAN };
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		fail_once(out, "pipe2: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fail_once(out, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_main(cfg, c, pfd[1], parent);
	}
	setpgid(pid, pid); /* also here: no race with the first kill(-pid) */
	lifeline_set_case(pid);
	close(pfd[1]);
	finished = collect(pfd[0], pid, c->hang_expected, budget_s, out);
	close(pfd[0]);
	end_group(pid, finished, out);
	lifeline_set_case(0);
	left = lifeline_sweep();
	if (left > 0)
		fail_once(out, "%d process(es) of the case left its group and ran on; killed",
			  left);
	if (out->skipped)
		out->nmetrics = 0; /* a skipped case measured nothing */
	left = ipc_cleanup(0);
	if (left > 0 && !out->failed)
		rep_result_add(out, "ipc_objects_left", left, "count");
	for (size_t i = 0; i < out->nmetrics; i++)
		if (strcmp(out->metrics[i].name, "wall_s") == 0)
			out->time_s = out->metrics[i].value;
}

void inproc_run(const struct pb_config *cfg, const struct pb_case *c, gb_state *st,
		struct rep_result *out)
{
	struct pb_ctx ctx;
	char err[256];
	int rc;

	*out = (struct rep_result){ .time_s = NAN };
	if (ctx_init(&ctx, cfg, c, err, sizeof(err)) < 0) {
		fail_once(out, "placement: %s", err);
		return;
	}
	ctx.st = st;
	ctx.out = out;
	rc = c->run(&ctx, c);
	if (!out->failed && rc != 0)
		fail_once(out, "the case returned %d without saying why", rc);
	ctx_destroy(&ctx);
}
