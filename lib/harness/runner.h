/* SPDX-License-Identifier: MIT */
/* runner — parbench's main: options, run directory, google-benchmark, CSV
 * and summary. bench/main.c is the registry and one call to runner_main. */
#ifndef PB_RUNNER_H
#define PB_RUNNER_H

#include "harness.h"

/* suites: NULL-terminated. Returns the process exit status. */
int runner_main(int argc, char **argv, const struct pb_experiment *const suites[]);

#endif
