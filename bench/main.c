/* SPDX-License-Identifier: MIT */
/*
 * parbench — the registry. Each model or experiment file in bench/ ends in a
 * struct pb_suite; adding one is a new file and one line below. Everything
 * else (options, google-benchmark, CSV, summary) is lib/runner.c.
 */
#include "runner.h"

extern const struct pb_suite tasks_suite, serial_suite, fork_suite;
extern const struct pb_suite threads_suite, gil_suite;

/* one suite a line, so that adding one is a one-line change */
/* clang-format off */
static const struct pb_suite *const suites[] = {
	&tasks_suite,
	&serial_suite,
	&fork_suite,
	&threads_suite,
	&gil_suite,
	NULL,
};
/* clang-format on */

int main(int argc, char **argv)
{
	return runner_main(argc, argv, suites);
}
