/* SPDX-License-Identifier: MIT */
/*
 * parbench — the registry. Each model or experiment file in bench/ ends in a
 * struct pb_experiment; adding one is a new file and one line below. Everything
 * else (options, google-benchmark, CSV, summary) is lib/runner.c.
 */
#include "runner.h"

/* One suite per line, in the order the run goes. */
// clang-format off
extern const struct pb_experiment calibration_experiment;
extern const struct pb_experiment tasks_experiment;
extern const struct pb_experiment pool_suite;
extern const struct pb_experiment gil_convoy_experiment;
extern const struct pb_experiment gil_interval_experiment;
extern const struct pb_experiment gil_cores_experiment;
extern const struct pb_experiment ipc_suite;
extern const struct pb_experiment counter_suite;
extern const struct pb_experiment selftest_experiment;

static const struct pb_experiment *const suites[] = {
	&calibration_experiment,
	&tasks_experiment,
	&pool_suite,
	&gil_convoy_experiment,
	&gil_interval_experiment,
	&gil_cores_experiment,
	&ipc_suite,
	&counter_suite,
	&selftest_experiment,
	NULL,
};
// clang-format on

int main(int argc, char **argv)
{
	return runner_main(argc, argv, suites);
}
