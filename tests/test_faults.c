/* SPDX-License-Identifier: MIT */
/* Fault injection against the real binary (PARBENCH_BIN): parbench killed
 * with SIGKILL mid-case, SIGTERM and SIGQUIT, a case process crashing while
 * its worker lives, a worker leaving the case's group, a bad flag next to an
 * existing --csv file, unusable output paths, a full disk, repetition and
 * environment mismatches. After each: no process of the run is left (found
 * through /proc by a marker in the environment), no child, no IPC object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipcname.h"
#include "leakcheck.h"
#include "procmark.h"
#include "rundir.h"
#include "suitetmp.h"

static char tmp[] = "/tmp/parbench-faults-XXXXXX";
static char marker[64];

static const char *bin(void)
{
	return getenv("PARBENCH_BIN") ? getenv("PARBENCH_BIN") : "bench/parbench";
}

/* Run the binary through the shell with the marker set; its exit status. */
static int run(const char *env, const char *args)
{
	char cmd[2048];
	int st;

	snprintf(cmd, sizeof(cmd), "PB_FAULT_MARK=%s %s %s %s >%s/out.txt 2>%s/err.txt", marker,
		 env, bin(), args, tmp, tmp);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool file_has(const char *name, const char *needle)
{
	char path[600], buf[65536];
	size_t got;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	fclose(f);
	return strstr(buf, needle) != NULL;
}

static void assert_nothing_left(void)
{
	assert_true(marked_gone_within(marker, 2.0));
	assert_no_children();
}

/* Start parbench on a 5 s fork case with the marker; its pid. */
static pid_t start_long_case(void)
{
	char csv[600];
	pid_t pid;

	snprintf(csv, sizeof(csv), "%s/long.csv", tmp);
	pid = fork();
	if (pid == 0) {
		setenv("PB_FAULT_MARK", marker, 1);
		execl(bin(), bin(), "--profile", "full", "--filter", "^tasks/fork/io/n:5/w:1/",
		      "--csv", csv, (char *)NULL);
		_exit(127);
	}
	/* wait until the case process and its worker run beside parbench */
	for (int i = 0; i < 500 && marked_processes(marker) < 3; i++)
		usleep(20000);
	assert_true(marked_processes(marker) >= 3);
	return pid;
}

static void sigkill_leaves_nothing(void **state)
{
	pid_t pid;

	(void)state;
	pid = start_long_case();
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_nothing_left();
	assert_int_equal(ipc_count(pid), 0);
}

static void stop_signal_like_ctrl_c(int sig)
{
	int st;
	pid_t pid = start_long_case();

	kill(pid, sig);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	assert_nothing_left();
}

static void sigterm_like_ctrl_c(void **state)
{
	(void)state;
	stop_signal_like_ctrl_c(SIGTERM);
}

static void sigquit_like_ctrl_c(void **state)
{
	(void)state;
	stop_signal_like_ctrl_c(SIGQUIT);
}

/* The case process crashes while its worker holds the pipe: reported with
 * its signal, not as the watchdog 30 s later; a worker that left the case's
 * group is found and killed. */
static void crash_and_escape_reported(void **state)
{
	char args[600];

	(void)state;
	snprintf(args, sizeof(args), "--filter '^selftest/' --reps 1 --csv %s/f.csv", tmp);
	assert_int_equal(run("PARBENCH_SELFTEST=faults", args), 1);
	assert_true(file_has("f.csv", "crash-with-worker,-,1,-,0,none,0,status,1,case process "
				      "killed by signal 11"));
	assert_false(file_has("f.csv", "watchdog"));
	assert_true(file_has("f.csv", "escape,-,1,-,0,none,0,status,1,1 process(es) of the case "
				      "left its group"));
	assert_nothing_left();
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t got;

	assert_non_null(f);
	got = fread(buf, 1, len - 1, f);
	buf[got] = '\0';
	fclose(f);
}

static void bad_flag_keeps_csv(void **state)
{
	static const char content[] = "precious,data\n1,2\n";
	char path[600], args[700], back[256];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/keep.csv", tmp);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	snprintf(args, sizeof(args), "--csv %s --benchmark_bogus=1", path);
	assert_int_equal(run("", args), 2);
	read_file(path, back, sizeof(back));
	assert_string_equal(back, content);
	assert_nothing_left();
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void unusable_results_exit_2(void **state)
{
	char args[1400], longdir[1100], sub[700];

	(void)state;
	/* a file where a directory must be */
	snprintf(sub, sizeof(sub), "%s/out.txt/results", tmp);
	snprintf(args, sizeof(args), "--filter '^tasks/serial/io/n:5/w:1/' --results %s", sub);
	assert_int_equal(run("", args), 2);
	assert_true(file_has("err.txt", "--results"));
	/* longer than the run directory's buffer: an error, not a cut path */
	snprintf(longdir, sizeof(longdir), "%s/", tmp);
	while (strlen(longdir) < 1000)
		strcat(longdir, "d");
	snprintf(args, sizeof(args), "--filter '^tasks/serial/io/n:5/w:1/' --results %s", longdir);
	assert_int_equal(run("", args), 2);
	assert_true(file_has("err.txt", "too long"));
	longdir[strlen(tmp) + 1 + 200] = '\0'; /* where a cut would have landed */
	assert_false(exists(longdir));
	snprintf(args, sizeof(args), "--filter '^tasks/serial/io/n:5/w:1/' --csv %s/no/such/x.csv",
		 tmp);
	assert_int_equal(run("", args), 2);
	assert_nothing_left();
}

/* A full disk: the run stops at the first write, with a message. */
static void full_disk_stops(void **state)
{
	(void)state;
	if (!exists("/dev/full"))
		skip();
	assert_int_equal(run("", "--profile full --filter '^tasks/fork/io/n:5/w:1/' "
				 "--csv /dev/full"),
			 1);
	assert_true(file_has("err.txt", "stopping the run"));
	assert_false(file_has("out.txt", "tasks/fork/io/n:5/w:1")); /* no case ran to the end */
	assert_nothing_left();
}

/* Failures cannot be hidden by repetitions or the environment. */
static void mismatches_fail(void **state)
{
	(void)state;
	assert_int_equal(run("PARBENCH_SELFTEST=1",
			     "--filter '^selftest/(ok|error)' --benchmark_repetitions=2 --reps 3 "
			     "--csv -"),
			 2);
	assert_int_equal(run("PARBENCH_SELFTEST=1",
			     "--filter '^selftest/(ok|error)' --benchmark_repetitions=2 --csv -"),
			 1);
	assert_true(file_has("out.txt", "selftest/error/-/w:1,selftest,error,-,1,-,0,none,1,"
					"status,1"));
	assert_int_equal(run("BENCHMARK_FILTER=nothing", "--filter '^tasks/serial/io/n:5/w:1/' "
							 "--csv -"),
			 2);
	assert_true(file_has("err.txt", "BENCHMARK_FILTER"));
	assert_nothing_left();
}

/* The only run directory below results/<machine>/. */
static void run_dir(const char *results, const char *machine, char *out, size_t len)
{
	char base[700];

	snprintf(base, sizeof(base), "%s/%s", results, machine);
	only_run_dir(base, out, len);
}

/* How many status rows raw.csv holds for each case of names (one a line). */
static void status_counts(const char *raw, const char *names, int reps)
{
	char cmd[4000], line[600];
	FILE *p;
	int ncases = 0;

	/* every planned case exactly reps times, no other case, no duplicate */
	snprintf(cmd, sizeof(cmd),
		 "grep ',status,' %s | cut -d, -f2,10 | sort | uniq -c | awk '{print $1}' | "
		 "sort -u; grep ',status,' %s | cut -d, -f2 | sort -u | diff - %s >/dev/null "
		 "&& echo same-cases",
		 raw, raw, names);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_string_equal(line, "1\n"); /* each (case, rep) once */
	assert_non_null(fgets(line, sizeof(line), p));
	assert_string_equal(line, "same-cases\n");
	pclose(p);
	snprintf(cmd, sizeof(cmd), "grep -c ',status,' %s", raw);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	p = fopen(names, "r");
	assert_non_null(p);
	while (fgets(cmd, sizeof(cmd), p))
		ncases++;
	fclose(p);
	assert_int_equal(atoi(line), ncases * reps);
}

/* Killed mid-run, resumed: every planned case exactly once, appended. */
static void resume_after_sigkill(void **state)
{
	static const char filter[] = "^tasks/(serial|fork)/io/";
	char results[600], dir[1200], raw[1300], args[1400], names[700];
	pid_t pid;

	(void)state;
	snprintf(results, sizeof(results), "%s/res-resume", tmp);
	snprintf(names, sizeof(names), "%s/names.txt", tmp);
	snprintf(args, sizeof(args), "--profile quick --filter '%s' --list --cases", filter);
	assert_int_equal(run("", args), 0);
	snprintf(args, sizeof(args), "sort %s/out.txt > %s", tmp, names);
	assert_int_equal(system(args), 0);
	pid = fork();
	if (pid == 0) {
		setenv("PB_FAULT_MARK", marker, 1);
		execl(bin(), bin(), "--profile", "quick", "--filter", filter, "--reps", "2",
		      "--machine", "t3", "--results", results, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) { /* until some case is complete */
		char cmd[1400];

		usleep(20000);
		snprintf(cmd, sizeof(cmd), "test $(grep -sc ',status,' %s/t3/*/raw.csv) -ge 3",
			 results);
		if (system(cmd) == 0)
			break;
	}
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_true(marked_gone_within(marker, 2.0));
	run_dir(results, "t3", dir, sizeof(dir));
	snprintf(args, sizeof(args), "--resume %s", dir);
	assert_int_equal(run("", args), 0);
	assert_true(file_has("err.txt", "already complete"));
	snprintf(raw, sizeof(raw), "%s/raw.csv", dir);
	status_counts(raw, names, 2);
	assert_nothing_left();
}

static void same_file(const char *a, const char *b)
{
	char cmd[2000];

	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	if (system(cmd) != 0)
		fail_msg("%s and %s differ", a, b);
}

/* --summarize rebuilds the run's own summary, byte for byte. */
static void summarize_rebuilds(void **state)
{
	char results[600], dir[1200], a[1300], b[1300], args[1400];

	(void)state;
	snprintf(results, sizeof(results), "%s/res-sum", tmp);
	snprintf(args, sizeof(args),
		 "--profile quick --filter '^tasks/(serial|fork)/io/n:5/w:1/' --reps 2 "
		 "--machine t4 --results %s",
		 results);
	assert_int_equal(run("", args), 0);
	run_dir(results, "t4", dir, sizeof(dir));
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "summary.md" : "summary.csv";

		snprintf(a, sizeof(a), "%s/%s", dir, name);
		snprintf(b, sizeof(b), "%s/first-%s", tmp, name);
		assert_int_equal(rename(a, b), 0);
	}
	/* noise is data: a noisy flag per case, as a metric row */
	assert_true(file_has("first-summary.csv", ",none,noisy,2,"));
	snprintf(args, sizeof(args), "--summarize %s", dir);
	assert_int_equal(run("", args), 0);
	snprintf(a, sizeof(a), "%s/summary.csv", dir);
	snprintf(b, sizeof(b), "%s/first-summary.csv", tmp);
	same_file(a, b);
	snprintf(a, sizeof(a), "%s/summary.md", dir);
	snprintf(b, sizeof(b), "%s/first-summary.md", tmp);
	same_file(a, b);
	/* a damaged raw.csv is refused, not half read */
	snprintf(args, sizeof(args), "sed -i '$s/,status,0,ok$/,\"status,0,ok/' %s/raw.csv", dir);
	assert_int_equal(system(args), 0);
	snprintf(args, sizeof(args), "--summarize %s", dir);
	assert_int_equal(run("", args), 2);
	assert_true(file_has("err.txt", "raw.csv: line"));
	assert_nothing_left();
}

/* The host name is checked like --machine (here in a UTS namespace of our
 * own, where the test may rename the host). */
static void bad_host_name_refused(void **state)
{
	char cmd[1200];
	int st;

	(void)state;
	if (system("unshare -u true 2>/dev/null") != 0)
		skip();
	snprintf(cmd, sizeof(cmd),
		 "unshare -u /usr/bin/python3 -c \"import socket, os, sys; "
		 "socket.sethostname('bad host'); os.execv(sys.argv[1], sys.argv[1:])\" %s "
		 "--filter '^tasks/serial/io/n:5/w:1/' --reps 1 --csv %s/h.csv >/dev/null "
		 "2>%s/err.txt",
		 bin(), tmp, tmp);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	assert_true(file_has("err.txt", "'bad host' is not a valid machine name"));
	assert_nothing_left();
}

/* A replaced topology is said before the run and recorded; so is the noise. */
static void hwloc_override_recorded(void **state)
{
	char args[700];

	(void)state;
	snprintf(args, sizeof(args),
		 "--filter '^tasks/serial/io/n:5/w:1/' --reps 1 --csv %s/hw.csv", tmp);
	assert_int_equal(run("HWLOC_SYNTHETIC='pack:1 pu:2'", args), 0);
	assert_true(file_has("err.txt", "the topology comes from HWLOC_SYNTHETIC"));
	assert_true(file_has("hw.csv", "# hwloc_env=HWLOC_SYNTHETIC=pack:1 pu:2\n"));
	assert_true(file_has("hw.csv", "# load_avg_start="));
	assert_true(file_has("hw.csv", "# aslr="));
	assert_nothing_left();
}

/* perf is optional: missing, or present and refusing to run (Ubuntu's
 * wrapper without the tools of the running kernel), its cases are skipped,
 * --pin scatter's too (they used to fail: "could not find perf's second
 * process"), and the run passes. */
static void no_perf_skips(void **state)
{
	char env[700];

	(void)state;
	assert_int_equal(run("PATH=/nonexistent",
			     "--profile quick --filter 'perf' --reps 1 --csv -"),
			 0);
	assert_true(file_has("out.txt", "pin:scatter/w:2/msg_bytes:4,ipc-latency,pipe-vs-perf,-,2,"
					"msg_bytes,4,scatter,0,status,0,skipped: perf"));
	snprintf(env, sizeof(env),
		 "mkdir -p %s/noperf && printf '#!/bin/sh\\necho no perf for this kernel >&2\\n"
		 "exit 2\\n' > %s/noperf/perf && chmod +x %s/noperf/perf",
		 tmp, tmp, tmp);
	assert_int_equal(system(env), 0);
	snprintf(env, sizeof(env), "PATH=%s/noperf:$PATH", tmp);
	assert_int_equal(run(env, "--profile quick --filter 'perf' --reps 1 --csv -"), 0);
	assert_true(file_has("out.txt", "ipc-latency,perf-sched-pipe,-,2,msg_bytes,4,scatter,0,"
					"status,0,skipped: perf"));
	assert_true(file_has("out.txt", "no perf for this kernel"));
	assert_nothing_left();
}

static int setup(void **state)
{
	(void)state;
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans of the run come to us */
	snprintf(marker, sizeof(marker), "%d-%ld", (int)getpid(), (long)time(NULL));
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return suite_tmp_remove(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigkill_leaves_nothing),
		cmocka_unit_test(sigterm_like_ctrl_c),
		cmocka_unit_test(sigquit_like_ctrl_c),
		cmocka_unit_test(crash_and_escape_reported),
		cmocka_unit_test(bad_flag_keeps_csv),
		cmocka_unit_test(unusable_results_exit_2),
		cmocka_unit_test(full_disk_stops),
		cmocka_unit_test(mismatches_fail),
		cmocka_unit_test(resume_after_sigkill),
		cmocka_unit_test(summarize_rebuilds),
		cmocka_unit_test(bad_host_name_refused),
		cmocka_unit_test(hwloc_override_recorded),
		cmocka_unit_test(no_perf_skips),
	};

	return cmocka_run_group_tests_name("faults", tests, setup, teardown);
}
