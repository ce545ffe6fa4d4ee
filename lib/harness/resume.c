/* SPDX-License-Identifier: MIT */
/*
 * resume — a run read back from its raw.csv alone.
 *
 * --summarize RUN_DIR rebuilds summary.csv and summary.md from raw.csv (the
 * same data gives the same summary: the metadata is the raw file's own).
 * --resume RUN_DIR takes the run's options from raw.csv's metadata, keeps
 * the cases it holds complete (every repetition has its status row), rewrites
 * raw.csv without the rest (a temporary file renamed over it), and runs only
 * those, appending. A case is the unit: a case cut short runs again whole;
 * but in an interleaved run (rounds) a case keeps its repetitions from the
 * first on that have their status row, and runs the rounds it lacks.
 */
#include "run_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "rawcsv.h"

static const char *run_dir_of(const struct run *r)
{
	return r->opt.resume ? r->opt.resume : r->opt.summarize;
}

static FILE *open_raw(const struct run *r, char *err, size_t errlen)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/raw.csv", run_dir_of(r));
	f = fopen(path, "r");
	if (!f)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static char *keep(struct run *r, const char *value)
{
	char *s = strdup(value);

	if (!s || r->nkept == sizeof(r->kept) / sizeof(r->kept[0])) {
		free(s);
		return NULL;
	}
	r->kept[r->nkept++] = s;
	return s;
}

static int on_meta(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
	struct run *r = arg;
	size_t need = strlen(key) + strlen(value) + 5,
	       have = r->meta_text ? strlen(r->meta_text) : 0;
	char *grown = realloc(r->meta_text, have + need + 1);
	bool ok = true;

	if (!grown)
		return snprintf(err, errlen, "out of memory"), -1;
	r->meta_text = grown;
	snprintf(grown + have, need + 1, "# %s=%s\n", key, value);
	if (strcmp(key, "profile") == 0)
		ok = pb_profile_parse(value, &r->opt.profile);
	else if (strcmp(key, "pin") == 0)
		ok = pin_policy_parse(value, &r->opt.pin);
	else if (strcmp(key, "reps") == 0)
		ok = (r->opt.reps = atoi(value)) >= 1 && r->opt.reps <= 1000;
	else if (strcmp(key, "filter") == 0 && value[0])
		ok = (r->opt.filter = keep(r, value)) != NULL;
	else if (strcmp(key, "exclude") == 0 && value[0])
		ok = (r->opt.exclude = keep(r, value)) != NULL;
	else if (strcmp(key, "machine") == 0)
		ok = cli_machine_ok(value) && (r->opt.machine = keep(r, value)) != NULL;
	else if (strcmp(key, "python") == 0 && strcmp(value, "python3 (PATH)") != 0)
		ok = (r->opt.python = keep(r, value)) != NULL;
	else if (strcmp(key, "interleave") == 0)
		ok = (r->opt.interleave = strcmp(value, "1") == 0) || strcmp(value, "0") == 0;
	else if (strcmp(key, "pus") == 0)
		ok = (r->meta_pus = atoi(value)) >= 1;
	else if (strcmp(key, "cpu_model") == 0)
		ok = (r->meta_cpu = keep(r, value)) != NULL;
	if (!ok)
		snprintf(err, errlen, "metadata %s='%.100s' is not usable", key, value);
	return ok ? 0 : -1;
}

/* The run's options from its metadata, before the plan is made. */
int resume_setup(struct run *r, char *err, size_t errlen)
{
	static const struct rawcsv_ops ops = { .meta = on_meta };
	char why[300];
	int partial;
	FILE *f = open_raw(r, err, errlen);

	if (!f)
		return 2;
	if (rawcsv_read(f, &ops, r, &partial, why, sizeof(why)) < 0 || !r->opt.machine ||
	    !r->opt.reps) {
		snprintf(err, errlen, "%s/raw.csv: %s", run_dir_of(r),
			 r->opt.reps && r->opt.machine ? why : "no machine or reps metadata");
		fclose(f);
		return 2;
	}
	fclose(f);
	snprintf(r->dir, sizeof(r->dir), "%s", run_dir_of(r));
	return 0;
}

static long find_case(const struct run *r, const char *name)
{
	static size_t last;

	if (last < r->plan.n && strcmp(r->plan.cases[last].name, name) == 0)
		return (long)last;
	for (size_t i = 0; i < r->plan.n; i++)
		if (strcmp(r->plan.cases[i].name, name) == 0)
			return (long)(last = i);
	return -1;
}

static bool whole(const char *s, long lo, long hi, long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	*out = strtol(s, &end, 10);
	return *end == '\0' && *out >= lo && *out <= hi;
}

static void set_status(struct rep_result *res, double value, const char *unit)
{
	res->failed = value != 0;
	res->skipped = !res->failed && strncmp(unit, "skipped: ", 9) == 0;
	/* value 0 with a sentence: a hang its case expected (hang_expected) */
	res->hung = !res->failed && !res->skipped && strcmp(unit, "ok") != 0;
	if (res->failed || res->skipped || res->hung)
		snprintf(res->reason, sizeof(res->reason), "%s", unit + (res->skipped ? 9 : 0));
	if (res->skipped)
		res->nmetrics = 0;
}

/* field: machine case experiment model workload workers param param_value
 * pin rep metric value unit */
static int on_row(void *arg, char **field, char *err, size_t errlen)
{
	struct run *r = arg;
	long idx = find_case(r, field[1]), rep;
	struct rep_result *res;
	char *end;
	double v = strtod(field[11], &end);

	if (idx < 0)
		return snprintf(err, errlen, "case '%.200s' is not in the run's plan", field[1]),
		       -1;
	if (!whole(field[9], 0, r->reps - 1, &rep) || *end || !field[10][0])
		return snprintf(err, errlen, "bad rep, metric or value"), -1;
	if (!r->report.reps[idx]) {
		r->report.reps[idx] = calloc((size_t)r->reps, sizeof(struct rep_result));
		if (!r->report.reps[idx])
			return snprintf(err, errlen, "out of memory"), -1;
		for (int k = 0; k < r->reps; k++)
			r->report.reps[idx][k].time_s = NAN;
	}
	res = &r->report.reps[idx][rep];
	if (strcmp(field[10], "status") == 0) {
		set_status(res, v, field[12]);
		res->seq = r->report.nseq++; /* rows are written as repetitions end */
		r->got[(size_t)idx * (size_t)r->reps + (size_t)rep] = true;
	} else {
		rep_result_add(res, field[10], v, field[12]);
		run_remember_unit(r, field[10], field[12]);
		if (strcmp(field[10], "wall_s") == 0)
			res->time_s = v;
	}
	return 0;
}

/* The repetition a Ctrl-C stopped (harness.c): it runs again. */
static bool cut_short(const struct rep_result *res)
{
	return res->failed && strcmp(res->reason, "interrupted") == 0;
}

/* Load every repetition raw.csv holds; a case counts the repetitions that
 * have their status row, from the first on (in rounds, up to one that was
 * interrupted). Done: all of them. */
int resume_load(struct run *r, char *err, size_t errlen)
{
	static const struct rawcsv_ops ops = { .row = on_row };
	char why[300];
	int partial, rc;
	FILE *f = open_raw(r, err, errlen);

	if (!f)
		return 2;
	r->got = calloc(r->plan.n * (size_t)r->reps + 1, sizeof(*r->got));
	r->done = calloc(r->plan.n + 1, sizeof(*r->done));
	if (!r->got || !r->done) {
		fclose(f);
		return snprintf(err, errlen, "out of memory"), 1;
	}
	rc = rawcsv_read(f, &ops, r, &partial, why, sizeof(why));
	fclose(f);
	if (rc < 0)
		return snprintf(err, errlen, "%s/raw.csv: %s", r->dir, why), 2;
	for (size_t i = 0; i < r->plan.n; i++) {
		int n = 0;

		while (n < r->reps && r->got[i * (size_t)r->reps + (size_t)n] &&
		       !(r->opt.interleave && cut_short(&r->report.reps[i][n])))
			n++;
		r->done[i] = n == r->reps;
		r->cases_done += r->done[i];
		if (r->opt.resume && !r->done[i] && !r->opt.interleave)
			n = 0; /* runs again whole */
		for (int k = n; k < r->reps && r->report.reps[i]; k++)
			rep_result_free(&r->report.reps[i][k]);
		r->report.nreps[i] = n;
	}
	return 0;
}

struct rewrite {
	struct run *r;
	FILE *out;
	bool header;
};

static int copy_meta(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
	struct rewrite *w = arg;

	(void)err;
	(void)errlen;
	fprintf(w->out, "# %s=%s\n", key, value);
	return 0;
}

static int copy_row(void *arg, char **field, char *err, size_t errlen)
{
	struct rewrite *w = arg;
	long idx = find_case(w->r, field[1]), rep;

	(void)err;
	(void)errlen;
	if (!w->header)
		fprintf(w->out, "%s\n", CSV_RAW_HEADER);
	w->header = true;
	/* the repetitions resume_load kept: all of a complete case's */
	if (idx < 0 || !whole(field[9], 0, w->r->reps - 1, &rep) || rep >= w->r->report.nreps[idx])
		return 0;
	for (int i = 0; i < RAWCSV_FIELDS; i++) {
		csv_field(w->out, field[i]);
		fputc(i + 1 < RAWCSV_FIELDS ? ',' : '\n', w->out);
	}
	return 0;
}

/* raw.csv without the cases that run again (a temporary file renamed over
 * it), then opened to append. */
int resume_open(struct run *r)
{
	static const struct rawcsv_ops ops = { .meta = copy_meta, .row = copy_row };
	char path[700], tmp[720], why[300];
	struct rewrite w = { .r = r };
	int partial, rc;
	FILE *in;

	snprintf(path, sizeof(path), "%s/raw.csv", r->dir);
	snprintf(tmp, sizeof(tmp), "%s/raw.csv.tmp", r->dir);
	in = fopen(path, "r");
	w.out = fopen(tmp, "w");
	if (!in || !w.out) {
		fprintf(stderr, "parbench: --resume: %s: %s\n", in ? tmp : path, strerror(errno));
		if (in)
			fclose(in);
		if (w.out)
			fclose(w.out);
		return -1;
	}
	rc = rawcsv_read(in, &ops, &w, &partial, why, sizeof(why));
	fclose(in);
	if (!w.header)
		fprintf(w.out, "%s\n", CSV_RAW_HEADER);
	if ((ferror(w.out) | fclose(w.out)) || rc < 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "parbench: --resume: rewriting %s failed\n", path);
		unlink(tmp);
		return -1;
	}
	r->csv = fopen(path, "a");
	if (!r->csv) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* a run begun before experiments.csv existed gets it now */
	snprintf(path, sizeof(path), "%s/experiments.csv", r->dir);
	if (access(path, F_OK) != 0 && run_write_experiments(r) < 0)
		return -1;
	fprintf(stderr, "parbench: resuming %s: %zu of %zu cases already complete\n", r->dir,
		r->cases_done, r->plan.n);
	return 0;
}

/* --summarize: summary.csv, summary.md and cases.csv from raw.csv alone
 * (a run made before parbench wrote cases.csv gets one). */
int run_summarize(struct run *r, int argc, char **argv)
{
	int rc;

	r->human = stdout;
	rc = run_write_summary(r, "", argc, argv);
	fprintf(stderr,
		"parbench: %s/summary.csv, summary.md and cases.csv rebuilt from raw.csv (%zu of %zu "
		"cases complete)\n",
		r->dir, r->cases_done, r->plan.n);
	return rc < 0 ? 1 : 0;
}
