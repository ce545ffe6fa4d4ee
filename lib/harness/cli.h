/* SPDX-License-Identifier: MIT */
/* cli — bench/parbench's command line. Bad input is an error with exit 2. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness.h"

#define CLI_MAX_GB_ARGS 64
#ifndef PB_VERSION
#define PB_VERSION "0.1.0" /* raw.csv's parbench_version, parbench --version */
#endif

struct pb_options {
	bool help, list, topo, version;
	bool interleave;     /* --interleave: google-benchmark's random interleaving */
	bool list_cases;     /* --list --cases: case names instead of experiments */
	const char *filter;  /* POSIX extended regex over case names; NULL: all */
	const char *exclude; /* --exclude: cases it matches are dropped after --filter */
	int reps;	     /* 0: the profile's default */
	enum pin_policy pin;
	enum pb_profile profile;
	const char *machine;   /* NULL: the host name */
	const char *csv;       /* raw CSV to this file ("-": stdout) instead of a run directory */
	const char *results;   /* where run directories go: "results" */
	const char *python;    /* --python: interpreter of the cpython-* cases; NULL: python3 */
	const char *resume;    /* --resume RUN_DIR */
	const char *summarize; /* --summarize RUN_DIR */
	int gb_argc;	       /* google-benchmark's flags, passed through */
	char *gb_argv[CLI_MAX_GB_ARGS];
	bool gb_has_out;  /* the user named --benchmark_out */
	bool gb_has_reps; /* the user named --benchmark_repetitions */
	int gb_reps;	  /* its value: must agree with --reps */
};

extern const char cli_usage[];

/* Parse argv into o. Returns 0, or 2 with err saying what was wrong and
 * what is allowed. */
int cli_parse(int argc, char **argv, struct pb_options *o, char *err, size_t errlen);
/* A machine name: 1-64 letters, digits, '.', '_', '-', not "." or "..". */
bool cli_machine_ok(const char *s);
/* 2 with err when a BENCHMARK_* environment variable is set, else 0. */
int cli_check_env(char *err, size_t errlen);
/* The profile's default repetitions: quick 3, default 5, full 10. */
int cli_default_reps(enum pb_profile p);

/* The compiler that built parbench: "gcc 12.2.0" or "clang ...". */
const char *cli_compiler(void);
/* --version: parbench's version, git revision, compiler and google-benchmark
 * version, one "key: value" a line (the keys of raw.csv's metadata). */
void cli_version(FILE *out);

/* The cases the command line selects: --filter keeps, then --exclude drops
 * (as google-benchmark's '-' prefix does). */
struct cli_select {
	regex_t filter, exclude;
	bool has_filter, has_exclude;
};
/* 0, or -1 when a regex does not compile (cli_parse has checked both). */
int cli_select_init(struct cli_select *s, const struct pb_options *o);
bool cli_select_keep(const struct cli_select *s, const char *case_name);
void cli_select_free(struct cli_select *s);

#endif
