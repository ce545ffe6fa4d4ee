/* SPDX-License-Identifier: MIT */
/* runner — parbench's main: options, run directory, google-benchmark, CSV
 * and summary. bench/main.c is one call to runner_main with bench/registry.c's pb_registry. */
#ifndef PB_RUNNER_H
#define PB_RUNNER_H

#include "harness.h"

/* The registry, one row per experiment in run order, NULL-terminated:
 * defined by bench/registry.c (in libpbbench.a, so the tests see it too). */
extern const struct pb_experiment *const pb_registry[];

/* suites: NULL-terminated. Returns the process exit status. */
int runner_main(int argc, char **argv, const struct pb_experiment *const suites[]);

#endif
