/* SPDX-License-Identifier: MIT */
/*
 * noise — what else on the machine may move the figures: measured before
 * the run, written into its metadata, and said on stderr when it is high.
 */
#ifndef PB_NOISE_H
#define PB_NOISE_H

#include <stdio.h>

struct noise {
	double load_start[3]; /* load average before the run; [0] < 0: unknown */
	double busy_start;    /* PUs' busy share in the half second before it; -1 unknown */
};

/* Before the run: the load average, the busy share now, and warnings. */
void noise_start(struct noise *n, int pus);
/* The noise keys of the metadata (load, governor, SMT, turbo, ASLR, HWLOC_*). */
void noise_meta(FILE *f, const struct noise *n);
/* After the run: the load average at the end, on stderr when it is high. */
void noise_end(const struct noise *n, int pus);

#endif
