/* SPDX-License-Identifier: MIT */
/*
 * parbench — the registry. Each model or experiment file in bench/ ends in a
 * struct pb_suite; adding one is a new file and one line below. Everything
 * else (options, google-benchmark, CSV, summary) is lib/runner.c.
 */
#include "runner.h"

/* One suite per line, in the order the run goes. */
// clang-format off
extern const struct pb_suite calibration_suite;
extern const struct pb_suite tasks_suite;
extern const struct pb_suite serial_suite;
extern const struct pb_suite fork_suite;
extern const struct pb_suite threads_suite;
extern const struct pb_suite pool_suite;
extern const struct pb_suite gil_suite;
extern const struct pb_suite ipc_suite;
extern const struct pb_suite counter_suite;
extern const struct pb_suite selftest_suite;

static const struct pb_suite *const suites[] = {
	&calibration_suite,
	&tasks_suite,
	&serial_suite,
	&fork_suite,
	&threads_suite,
	&pool_suite,
	&gil_suite,
	&ipc_suite,
	&counter_suite,
	&selftest_suite,
	NULL,
};
// clang-format on

int main(int argc, char **argv)
{
	return runner_main(argc, argv, suites);
}
