/* SPDX-License-Identifier: MIT */
/*
 * caseproc — one repetition of an isolated case, run in a case process of
 * its own and watched from parbench: its lines read from a pipe, a
 * watchdog on its budget, and its whole process group ended and reaped.
 *
 * Why a process per repetition: a case's workers may crash, hang or leak,
 * and threads cannot be killed one by one. A case process is the leader of
 * its own process group, so the watchdog ends the case and every worker it
 * started with one kill(-pgid), and parbench (a child subreaper) reaps all
 * of them, even the orphans.
 */
#include "harness_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipcname.h"

/* A line from the case process (harness.c's send_line): a metric (M), a
 * failure (E) or skip (S) with why, or done (D). */
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

/* Has the case process exited? Its workers may hold the pipe open after it
 * crashed: the pipe alone would wait for the whole budget. waitid(WNOWAIT)
 * leaves it for end_group to reap. */
static bool case_exited(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* The watchdog stopped a case whose lesson is that hang (why): its outcome,
 * not a failure, with hung_s, how long it ran. False: no hang was expected
 * (or the case had failed already). */
static bool expected_hang(struct rep_result *out, const char *why, double hung_s)
{
	if (!why || out->failed || out->skipped)
		return false;
	out->hung = true;
	snprintf(out->reason, sizeof(out->reason), "%s", why);
	rep_result_add(out, "hung_s", hung_s, "s");
	return true;
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
				rep_result_fail(out, "interrupted");
			else if (!expected_hang(out, hang, budget_s))
				rep_result_fail(out, "watchdog: stopped after its budget of %g s",
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
		rep_result_fail(out, "waitpid of the case process: %s", strerror(errno));
	else if (case_finished && WIFSIGNALED(status))
		rep_result_fail(out, "case process killed by signal %d (%s)", WTERMSIG(status),
				strsignal(WTERMSIG(status)));
	else if (case_finished && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		rep_result_fail(out, "case process exited with status %d", WEXITSTATUS(status));
	if (kill(-pgid, 0) == 0) {
		kill(-pgid, SIGKILL);
		while (waitpid(-pgid, NULL, 0) > 0 || errno == EINTR)
			left++;
		if (case_finished)
			rep_result_fail(out, "the case left %d process(es) running; killed", left);
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
		rep_result_fail(out, "pipe2: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rep_result_fail(out, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		case_child_main(cfg, c, pfd[1], parent);
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
		rep_result_fail(out, "%d process(es) of the case left its group and ran on; killed",
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
