/* SPDX-License-Identifier: MIT */
/*
 * gbshim — google-benchmark seen from C.
 *
 * google-benchmark does what it is good at: repetitions, filtering,
 * aggregates and a JSON file with the machine's context. Cases stay plain C
 * functions; this shim registers them, hands them the benchmark state, and
 * passes every finished repetition to a C callback (parbench's own CSV
 * reporter) while the JSON file reporter runs as usual.
 */
#ifndef PB_GBSHIM_H
#define PB_GBSHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_state gb_state; /* benchmark::State */
typedef void (*gb_fn)(gb_state *st, void *arg);

/* How a case is measured. */
struct gb_options {
	bool manual_time;   /* the case reports its own time per iteration */
	int64_t iterations; /* fixed count (> 0), or 0 to let gbench decide */
	int repetitions;    /* > 0: this many, whatever --benchmark_repetitions says */
};

/* Register fn under name (the name is copied); arg comes back to fn and,
 * as case_arg, with every reported run of the case. */
void gb_register(const char *name, gb_fn fn, void *arg, struct gb_options opt);

bool gb_keep_running(gb_state *st);
void gb_set_iteration_time(gb_state *st, double seconds);
void gb_counter(gb_state *st, const char *name, double value);
void gb_skip_with_error(gb_state *st, const char *msg);
int64_t gb_iterations(gb_state *st);

/* One finished repetition, as google-benchmark reports it. */
struct gb_run {
	void *case_arg; /* the arg the case was registered with */
	const char *name;
	int64_t rep;	   /* 0-based repetition index */
	bool failed;	   /* the case called gb_skip_with_error */
	const char *error; /* its message, "" otherwise */
	int64_t iterations;
	double real_time_s; /* per iteration */
	int ncounters;
	const char *const *counter_names;
	const double *counter_values;
};
typedef void (*gb_run_cb)(const struct gb_run *run, void *arg);

/* Let google-benchmark take its --benchmark_* flags out of argv. */
void gb_initialize(int *argc, char **argv);
/* Run every registered case that passes --benchmark_filter. Each finished
 * case's repetitions go to on_run; the JSON file reporter writes
 * --benchmark_out as usual. Returns the number of cases run. */
int gb_run(gb_run_cb on_run, void *arg);
void gb_shutdown(void);

/* "1.7.1" (from pkg-config at build time) and "release"/"debug" (the
 * library's own build, as its JSON context reports it). */
const char *gb_version(void);
const char *gb_build_type(void);

#ifdef __cplusplus
}
#endif
#endif
