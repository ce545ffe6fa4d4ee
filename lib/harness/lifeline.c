/* SPDX-License-Identifier: MIT */
/*
 * lifeline — every process of a run dies when parbench dies, however it dies
 * (kill -9, an OOM kill, a crash).
 *
 * Two links, because a case's workers are not parbench's children:
 * - the case process asks the kernel for SIGKILL when parbench dies
 *   (PR_SET_PDEATHSIG), and checks getppid() after asking, in case parbench
 *   died in between;
 * - a guard process, started once per run in a process group of its own (no
 *   terminal signal reaches it), holds the read end of a pipe whose write end
 *   only parbench holds. When parbench dies the kernel closes that end, the
 *   guard reads EOF and kills the process group of the case in flight (its
 *   id is in a page the guard shares with parbench and the case process),
 *   workers included. At a normal end parbench closes the pipe and reaps it.
 *
 * After each case, lifeline_sweep() kills and reaps what is left among
 * parbench's children besides the guard: workers that left the case's group
 * (setsid) and came back to parbench, a child subreaper, as orphans.
 */
#include "harness_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct lifeline_page {
	volatile pid_t pgid; /* the case in flight, 0 between cases */
};

static struct lifeline_page *page;
static int write_fd = -1;
static pid_t guard_pid;

static void __attribute__((noreturn)) guard_main(int read_fd)
{
	char c;

	setpgid(0, 0);
	/* Only the pipe ends the guard: Ctrl-C, SIGTERM or SIGQUIT sent to the
	 * terminal's group or to parbench leave it waiting for parbench. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != read_fd)
			close(fd);
	while (read(read_fd, &c, 1) < 0 && errno == EINTR)
		;
	if (page->pgid > 0)
		kill(-page->pgid, SIGKILL);
	_exit(0);
}

int lifeline_start(void)
{
	int fd[2];

	page = mmap(NULL, sizeof(*page), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		page = NULL;
		return -1;
	}
	if (pipe2(fd, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	guard_pid = fork();
	if (guard_pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (guard_pid == 0)
		guard_main(fd[0]);
	setpgid(guard_pid, guard_pid);
	close(fd[0]);
	write_fd = fd[1];
	return 0;
}

void lifeline_stop(void)
{
	if (write_fd < 0)
		return;
	page->pgid = 0;
	close(write_fd);
	write_fd = -1;
	while (waitpid(guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
	guard_pid = 0;
}

void lifeline_set_case(pid_t pgid)
{
	if (page)
		page->pgid = pgid;
}

/* In the case process, first thing after fork: drop parbench's end of the
 * pipe (a worker holding it would keep the guard from ever seeing EOF) and
 * die with parbench. */
void lifeline_child(pid_t parent)
{
	if (write_fd >= 0)
		close(write_fd);
	write_fd = -1;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1); /* parbench died before the request took effect */
	lifeline_set_case(getpid());
}

/* From a signal handler: the second Ctrl-C. Async-signal-safe. */
void lifeline_kill_case(void)
{
	if (page && page->pgid > 0)
		kill(-page->pgid, SIGKILL);
}

/* The first Ctrl-C (or SIGTERM, SIGQUIT, SIGHUP) stops the case in flight and
 * skips the rest; a second one forces the exit at once (the case's group is
 * killed, and the lifeline guard kills it too when parbench is gone). */
static void on_signal(int sig)
{
	(void)sig;
	if (pb_interrupted) {
		static const char msg[] = "\nparbench: second interrupt; exiting now\n";

		lifeline_kill_case();
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(130);
		_exit(130);
	}
	pb_interrupted = 1;
}

void lifeline_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: waits return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	/* A closed stdout (parbench --csv - | head) is an error to report, and
	 * channels want EPIPE from a dead peer, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

/* The moments a signal test aims at are too short to hit by timing alone
 * (between two repetitions, between two cases, inside the summary): the
 * run stops there and waits for the test's signal. Unset, it costs one
 * getenv per call. */
void lifeline_test_stall(const char *point)
{
	const char *want = getenv("PARBENCH_TEST_STALL");
	static int passes;
	size_t len = strlen(point);
	int nth;

	if (!want || strncmp(want, point, len) != 0 || (want[len] && want[len] != ':'))
		return;
	nth = want[len] == ':' ? atoi(want + len + 1) : 1;
	if (++passes != nth)
		return;
	fprintf(stderr, "parbench: test stall at %s\n", point);
	for (int i = 0; i < 500 && !pb_interrupted; i++)
		usleep(10000);
}

/* The parent pid in /proc/PID/stat (after the command in parentheses). */
static pid_t ppid_of(const char *pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Kill the living children of parbench other than the guard; returns how
 * many. Zombies are reaped below, living ones are killed first. */
static int kill_strays(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid <= 0 || pid == guard_pid || ppid_of(e->d_name) != self)
			continue;
		kill(pid, SIGKILL);
		n++;
	}
	closedir(d);
	return n;
}

static void guard_lost(void)
{
	fprintf(stderr, "parbench: the lifeline guard died; a kill of parbench may now leave "
			"cases running\n");
	guard_pid = 0;
	if (write_fd >= 0)
		close(write_fd);
	write_fd = -1;
}

int lifeline_sweep(void)
{
	int left = 0;

	for (int round = 0; round < 100; round++) {
		int killed = kill_strays(), reaped = 0;
		pid_t pid;

		/* wait for the ones just killed, reap any zombie */
		while ((pid = waitpid(-1, NULL, reaped < killed ? 0 : WNOHANG)) != 0) {
			if (pid < 0 && errno == EINTR)
				continue;
			if (pid < 0)
				break;
			if (pid == guard_pid) {
				guard_lost();
				continue;
			}
			reaped++;
		}
		left += reaped;
		if (!killed && !reaped)
			break;
	}
	return left;
}
