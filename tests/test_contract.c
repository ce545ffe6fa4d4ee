/* SPDX-License-Identifier: MIT */
/*
 * The contract others depend on: the case names (for two synthetic hwloc
 * topologies and every profile, against the committed lists in
 * tests/golden/), and the raw CSV of a few real, fast cases end to end (the
 * header, the metrics every case reports and their units), and one unit per
 * metric name across experiments (msgs_per_s is msg/s in ipc and tqueue).
 *
 * A changed case name fails here on purpose: renaming a case breaks every
 * plot, comparison and outside check that reads it. If the change is meant,
 * regenerate the lists (tests/golden/README) and say so in the change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csv.h"

static const char *const topologies[] = { "pack:1 core:2 pu:1", "pack:2 core:8 pu:2" };
static const char *const profiles[] = { "quick", "default", "full" };

static const char *bin(void)
{
	return getenv("PARBENCH_BIN") ? getenv("PARBENCH_BIN") : "bench/parbench";
}

/* "pack:2 core:8 pu:2" -> "pack2-core8-pu2" */
static void topo_tag(const char *topo, char *out, size_t len)
{
	size_t n = 0;

	for (const char *p = topo; *p && n + 1 < len; p++)
		if (*p != ':')
			out[n++] = *p == ' ' ? '-' : *p;
	out[n] = '\0';
}

static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void case_names_match_golden(void **state)
{
	char tag[64], cmd[1024], out[] = "/tmp/parbench-golden-XXXXXX";
	int fd = mkstemp(out), failures = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (size_t t = 0; t < 2; t++) {
		for (size_t p = 0; p < 3; p++) {
			topo_tag(topologies[t], tag, sizeof(tag));
			snprintf(cmd, sizeof(cmd),
				 "HWLOC_SYNTHETIC='%s' %s --list --cases --profile %s | LC_ALL=C sort > %s",
				 topologies[t], bin(), profiles[p], out);
			assert_int_equal(sh(cmd), 0);
			snprintf(cmd, sizeof(cmd), "diff -u tests/golden/cases-%s-%s.txt %s >&2",
				 tag, profiles[p], out);
			if (sh(cmd) != 0) {
				fprintf(stderr, "case names changed: topology '%s', profile %s\n",
					topologies[t], profiles[p]);
				failures++;
			}
		}
	}
	unlink(out);
	assert_int_equal(failures, 0);
}

/* The metrics seen per case in a raw CSV, as "case metric unit" lines. */
static char *metrics_of(const char *csv_path)
{
	char cmd[1024], *buf = calloc(1, 1 << 16);
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "grep -v '^#' %s | tail -n +2 | cut -d, -f2,11,13 | sort -u",
		 csv_path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, (1 << 16) - 1, p);
	buf[n] = '\0';
	pclose(p);
	return buf;
}

static void assert_has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("the raw CSV has no row '%s'; it has:\n%s", line, text);
}

static void raw_csv_end_to_end(void **state)
{
	static const char *const every_case[] = { "wall_s,s",
						  "cpu_user_s,s",
						  "cpu_sys_s,s",
						  "ctxsw_voluntary,count",
						  "ctxsw_involuntary,count",
						  "status,ok" };
	const char *cases[] = { "tasks/serial/io/n:5/w:1/task_ms:50",
				"tasks/fork/io/n:5/w:5/task_ms:50" };
	char csv[] = "/tmp/parbench-contract-XXXXXX", cmd[1024], header[512], want[256];
	int fd = mkstemp(csv);
	char *m;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "%s --profile quick --reps 2 --filter '^tasks/(serial|fork)/io/n:5/w:(1|5)/' "
		 "--csv %s >/dev/null 2>&1",
		 bin(), csv);
	assert_int_equal(sh(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -v '^#' %s | head -n 1", csv);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(header, sizeof(header), f));
	pclose(f);
	header[strcspn(header, "\n")] = '\0';
	assert_string_equal(header, CSV_RAW_HEADER);
	m = metrics_of(csv);
	for (size_t c = 0; c < 2; c++) {
		for (size_t i = 0; i < sizeof(every_case) / sizeof(every_case[0]); i++) {
			snprintf(want, sizeof(want), "%s,%s", cases[c], every_case[i]);
			assert_has(m, want);
		}
		snprintf(want, sizeof(want), "%s,tasks_done,count", cases[c]);
		assert_has(m, want);
	}
	free(m);
	unlink(csv);
}

/* A metric name means one unit in every experiment: the C and CPython
 * thread queues and an ipc channel all write msgs_per_s in msg/s (status is
 * not a measurement: its unit column holds ok or the reason). */
static void msgs_per_s_one_unit(void **state)
{
	char csv[] = "/tmp/parbench-units-XXXXXX", cmd[1024];
	int fd = mkstemp(csv);
	char *m, *line;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "%s --profile quick --reps 1 --filter "
		 "'^(tqueue-prodcons/(threads-gil|cpython-threads)/-/p:1/c:1/w:2|"
		 "ipc-throughput/pipe/-/w:2/msg_bytes:64)$' --csv %s >/dev/null 2>&1",
		 bin(), csv);
	assert_int_equal(sh(cmd), 0);
	m = metrics_of(csv);
	assert_has(m, "tqueue-prodcons/threads-gil/-/p:1/c:1/w:2,msgs_per_s,msg/s");
	assert_has(m, "ipc-throughput/pipe/-/w:2/msg_bytes:64,msgs_per_s,msg/s");
	for (line = strtok(m, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, ",msgs_per_s,") && !strstr(line, ",msgs_per_s,msg/s"))
			fail_msg("msgs_per_s in another unit than msg/s: %s", line);
	free(m);
	snprintf(cmd, sizeof(cmd),
		 "grep -v '^#' %s | tail -n +2 | cut -d, -f11,13 | grep -v '^status,' | sort -u | "
		 "cut -d, -f1 | uniq -d | grep . >&2",
		 csv);
	if (sh(cmd) == 0)
		fail_msg("the metrics above have more than one unit in %s", csv);
	unlink(csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(case_names_match_golden),
		cmocka_unit_test(raw_csv_end_to_end),
		cmocka_unit_test(msgs_per_s_one_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
