/* SPDX-License-Identifier: MIT */
/*
 * parbench — the registry. Each model or experiment file in bench/ ends in a
 * struct pb_suite; adding one is a new file and one line below. Everything
 * else (options, google-benchmark, CSV, summary) is lib/runner.c.
 */
#include "runner.h"

extern const struct pb_suite calibration_suite, tasks_suite, serial_suite, fork_suite,
	selftest_suite;
extern const struct pb_suite pool_suite;

static const struct pb_suite *const suites[] = {
	&calibration_suite, &tasks_suite, &serial_suite, &fork_suite,
	&selftest_suite,    &pool_suite,  NULL,
};

int main(int argc, char **argv)
{
	return runner_main(argc, argv, suites);
}
