/* SPDX-License-Identifier: MIT */
/*
 * parbench — the registry (bench/registry.c) handed to the runner.
 * Everything else (options, google-benchmark, CSV, summary) is lib/harness/.
 */
#include "runner.h"

int main(int argc, char **argv)
{
	return runner_main(argc, argv, pb_registry);
}
