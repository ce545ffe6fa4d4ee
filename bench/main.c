/* SPDX-License-Identifier: MIT */
/*
 * parbench — the registry: one row per experiment, in the order the run
 * goes. An experiment is one file in bench/<group>/ ending in a
 * `const struct pb_experiment`; adding one is that file and one line in each
 * list below. Everything else (options, google-benchmark, CSV, summary) is
 * lib/harness/.
 */
#include "runner.h"

// clang-format off
extern const struct pb_experiment calibration_experiment;
extern const struct pb_experiment tasks_experiment;
extern const struct pb_experiment pool_overhead_experiment;
extern const struct pb_experiment granularity_experiment;
extern const struct pb_experiment chunksize_experiment;
extern const struct pb_experiment ordering_experiment;
extern const struct pb_experiment pool_seed_experiment;
extern const struct pb_experiment pool_worklog_experiment;
extern const struct pb_experiment pool_sigkill_experiment;
extern const struct pb_experiment gil_convoy_experiment;
extern const struct pb_experiment gil_interval_experiment;
extern const struct pb_experiment gil_cores_experiment;
extern const struct pb_experiment ipc_throughput_experiment;
extern const struct pb_experiment ipc_latency_experiment;
extern const struct pb_experiment ipc_scaling_experiment;
extern const struct pb_experiment ipc_pingpong_experiment;
extern const struct pb_experiment ipc_prodcons_experiment;
extern const struct pb_experiment counter_seed_experiment;
extern const struct pb_experiment counter_contention_experiment;
extern const struct pb_experiment counter_window_experiment;
extern const struct pb_experiment switch_experiment;
extern const struct pb_experiment io_fanout_experiment;
extern const struct pb_experiment tqueue_prodcons_experiment;
extern const struct pb_experiment deadlock_experiment;
extern const struct pb_experiment price_experiment;
extern const struct pb_experiment cpython_experiment;
extern const struct pb_experiment selftest_experiment;

static const struct pb_experiment *const experiments[] = {
	&calibration_experiment,
	&tasks_experiment,
	&pool_overhead_experiment,
	&granularity_experiment,
	&chunksize_experiment,
	&ordering_experiment,
	&pool_seed_experiment,
	&pool_worklog_experiment,
	&pool_sigkill_experiment,
	&gil_convoy_experiment,
	&gil_interval_experiment,
	&gil_cores_experiment,
	&ipc_throughput_experiment,
	&ipc_latency_experiment,
	&ipc_scaling_experiment,
	&ipc_pingpong_experiment,
	&ipc_prodcons_experiment,
	&counter_seed_experiment,
	&counter_contention_experiment,
	&counter_window_experiment,
	&switch_experiment,
	&io_fanout_experiment,
	&tqueue_prodcons_experiment,
	&deadlock_experiment,
	&price_experiment,
	&cpython_experiment,
	&selftest_experiment,
	NULL,
};
// clang-format on

int main(int argc, char **argv)
{
	return runner_main(argc, argv, experiments);
}
