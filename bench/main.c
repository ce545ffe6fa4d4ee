/* SPDX-License-Identifier: MIT */
/*
 * parbench — the registry. Each model or experiment file in bench/ ends in a
 * struct pb_experiment; adding one is a new file and one line below. Everything
 * else (options, google-benchmark, CSV, summary) is lib/runner.c.
 */
#include "runner.h"

/* One suite per line, in the order the run goes. */
// clang-format off
extern const struct pb_experiment calibration_suite;
extern const struct pb_experiment tasks_suite;
extern const struct pb_experiment serial_suite;
extern const struct pb_experiment fork_suite;
extern const struct pb_experiment threads_suite;
extern const struct pb_experiment pool_suite;
extern const struct pb_experiment gil_suite;
extern const struct pb_experiment ipc_suite;
extern const struct pb_experiment counter_suite;
extern const struct pb_experiment cpython_suite;
extern const struct pb_experiment selftest_suite;

static const struct pb_experiment *const suites[] = {
	&calibration_suite,
	&tasks_suite,
	&serial_suite,
	&fork_suite,
	&threads_suite,
	&pool_suite,
	&gil_suite,
	&ipc_suite,
	&counter_suite,
	&cpython_suite,
	&selftest_suite,
	NULL,
};
// clang-format on

int main(int argc, char **argv)
{
	return runner_main(argc, argv, suites);
}
