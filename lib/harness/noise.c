/* SPDX-License-Identifier: MIT */
/*
 * noise — what else on the machine may move the figures, recorded in the
 * metadata of every run: load average, CPU frequency governor, SMT and turbo
 * state, ASLR, and any HWLOC_* variable that replaces the real topology.
 * A busy machine (over half of its PUs' time busy in the half second
 * before the run) or a replaced topology is also said on stderr before the
 * run. The load average is recorded but not judged: its one-minute mean
 * still counts a run that ended seconds ago.
 */
#include "noise.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"

/* The first line of a small file, or "unknown". */
static void first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	else
		snprintf(buf, len, "unknown");
	fclose(f);
}

static void turbo_state(char *buf, size_t len)
{
	char v[32];

	first_line("/sys/devices/system/cpu/intel_pstate/no_turbo", v, sizeof(v));
	if (strcmp(v, "unknown") != 0) {
		snprintf(buf, len, "%s (intel_pstate)", strcmp(v, "0") == 0 ? "on" : "off");
		return;
	}
	first_line("/sys/devices/system/cpu/cpufreq/boost", v, sizeof(v));
	if (strcmp(v, "unknown") != 0)
		snprintf(buf, len, "%s (cpufreq boost)", strcmp(v, "1") == 0 ? "on" : "off");
	else
		snprintf(buf, len, "unknown");
}

/* Every HWLOC_* variable, "NAME=value; ...", or "none". */
static void hwloc_env(char *buf, size_t len)
{
	extern char **environ;
	size_t off = 0;

	buf[0] = '\0';
	for (char **e = environ; *e && off < len; e++)
		if (strncmp(*e, "HWLOC_", 6) == 0)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "; " : "", *e);
	if (!buf[0])
		snprintf(buf, len, "none");
}

void noise_meta(FILE *f, const struct noise *n)
{
	char buf[512];

	if (n->load_start[0] >= 0)
		csv_meta(f, "load_avg_start", "%.2f %.2f %.2f", n->load_start[0], n->load_start[1],
			 n->load_start[2]);
	if (n->busy_start >= 0)
		csv_meta(f, "busy_share_start", "%.3f", n->busy_start);
	first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof(buf));
	csv_meta(f, "cpu_governor", "%s", buf);
	first_line("/sys/devices/system/cpu/smt/active", buf, sizeof(buf));
	csv_meta(f, "smt_active", "%s", buf);
	turbo_state(buf, sizeof(buf));
	csv_meta(f, "turbo", "%s", buf);
	first_line("/proc/sys/kernel/randomize_va_space", buf, sizeof(buf));
	csv_meta(f, "aslr", "%s", buf);
	hwloc_env(buf, sizeof(buf));
	csv_meta(f, "hwloc_env", "%s", buf);
}

/* The machine's busy and total time so far (/proc/stat's cpu line, in
 * ticks); false when it cannot be read. iowait counts as idle. */
static bool cpu_ticks(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return false;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 5)
		return false;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4];
	return true;
}

/* The share of the PUs' time spent busy over the next half second, while
 * parbench itself sleeps; -1 when /proc/stat cannot be read. */
static double busy_share(void)
{
	const struct timespec half = { 0, 500000000L };
	unsigned long long b0, t0, b1, t1;

	if (!cpu_ticks(&b0, &t0))
		return -1;
	nanosleep(&half, NULL);
	if (!cpu_ticks(&b1, &t1) || t1 <= t0)
		return -1;
	return (double)(b1 - b0) / (double)(t1 - t0);
}

void noise_start(struct noise *n, int pus)
{
	if (getloadavg(n->load_start, 3) != 3)
		n->load_start[0] = n->load_start[1] = n->load_start[2] = -1;
	n->busy_start = busy_share();
	if (n->busy_start > 0.5)
		fprintf(stderr,
			"parbench: warning: the machine is busy (%.0f %% of its %d PUs' time in "
			"the last half second was other work); figures will be noisy\n",
			100 * n->busy_start, pus);
	if (getenv("HWLOC_SYNTHETIC") || getenv("HWLOC_XMLFILE"))
		fprintf(stderr,
			"parbench: warning: the topology comes from %s, not from this "
			"machine (recorded in the metadata)\n",
			getenv("HWLOC_SYNTHETIC") ? "HWLOC_SYNTHETIC" : "HWLOC_XMLFILE");
}

void noise_end(const struct noise *n, int pus)
{
	double load[3];

	if (getloadavg(load, 3) == 3 && pus > 0 && load[0] > 0.5 * pus)
		fprintf(stderr,
			"parbench: warning: load average %.2f at the end of the run (%.2f "
			"at the start) over %d PUs\n",
			load[0], n->load_start[0], pus);
}
