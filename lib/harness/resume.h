/* SPDX-License-Identifier: MIT */
/*
 * resume — a run read back from its raw.csv alone (resume.c): --resume
 * and --summarize. Its state is what raw.csv held.
 */
#ifndef PB_RESUME_H
#define PB_RESUME_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "harness_impl.h"
#include "output.h"
#include "summary.h"

struct resume {
	const char *dir;	  /* the run directory: --resume or --summarize */
	struct summary_meta meta; /* raw.csv's metadata lines, cpu_model and pus */
	bool *got;		  /* [case * reps + rep]: its status row was read */
	bool *done;		  /* per case: complete in raw.csv */
	size_t ncomplete;	  /* how many are */
	char *kept[16];		  /* strings the options point into */
	size_t nkept;
};

/* The run's options (profile, pin, reps, filter, ...) from raw.csv's
 * metadata into opt, before the plan is made. 0, or 2 with err. */
int resume_setup(struct resume *rs, struct pb_options *opt, char *err, size_t errlen);
/* Every repetition raw.csv holds, into rep (whose plan is the run's); a
 * case counts the repetitions that have their status row, from the first
 * on (in rounds, up to one that was interrupted). 0, or 1 or 2 with err. */
int resume_load(struct resume *rs, struct pb_report *rep, const struct pb_options *opt,
		struct output *out, char *err, size_t errlen);
/* raw.csv without the repetitions that run again (a temporary file renamed
 * over it), then opened to append as out's CSV. 0, or -1 with a message. */
int resume_open(const struct resume *rs, struct output *out, const struct pb_report *rep);
void resume_free(struct resume *rs);

#endif
