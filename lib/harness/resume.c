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
#include "resume.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "rawcsv.h"

static FILE *open_raw(const struct resume *rs, char *err, size_t errlen)
{
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/raw.csv", rs->dir);
	f = fopen(path, "r");
	if (!f)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static char *keep(struct resume *rs, const char *value)
{
	char *s = strdup(value);

	if (!s || rs->nkept == sizeof(rs->kept) / sizeof(rs->kept[0])) {
		free(s);
		return NULL;
	}
	rs->kept[rs->nkept++] = s;
	return s;
}

/* What the metadata reader fills: the options, and the text kept. */
struct setup {
	struct resume *rs;
	struct pb_options *opt;
	char *text;
};

static int on_meta(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
	struct setup *u = arg;
	struct pb_options *opt = u->opt;
	size_t need = strlen(key) + strlen(value) + 5, have = u->text ? strlen(u->text) : 0;
	char *grown = realloc(u->text, have + need + 1);
	bool ok = true;

	if (!grown)
		return snprintf(err, errlen, "out of memory"), -1;
	u->text = grown;
	snprintf(grown + have, need + 1, "# %s=%s\n", key, value);
	if (strcmp(key, "profile") == 0)
		ok = pb_profile_parse(value, &opt->profile);
	else if (strcmp(key, "pin") == 0)
		ok = pin_policy_parse(value, &opt->pin);
	else if (strcmp(key, "reps") == 0)
		ok = (opt->reps = atoi(value)) >= 1 && opt->reps <= 1000;
	else if (strcmp(key, "filter") == 0 && value[0])
		ok = (opt->filter = keep(u->rs, value)) != NULL;
	else if (strcmp(key, "exclude") == 0 && value[0])
		ok = (opt->exclude = keep(u->rs, value)) != NULL;
	else if (strcmp(key, "machine") == 0)
		ok = cli_machine_ok(value) && (opt->machine = keep(u->rs, value)) != NULL;
	else if (strcmp(key, "python") == 0 && strcmp(value, "python3 (PATH)") != 0)
		ok = (opt->python = keep(u->rs, value)) != NULL;
	else if (strcmp(key, "interleave") == 0)
		ok = (opt->interleave = strcmp(value, "1") == 0) || strcmp(value, "0") == 0;
	else if (strcmp(key, "pus") == 0)
		ok = (u->rs->meta.pus = atoi(value)) >= 1;
	else if (strcmp(key, "cpu_model") == 0)
		ok = (u->rs->meta.cpu = keep(u->rs, value)) != NULL;
	if (!ok)
		snprintf(err, errlen, "metadata %s='%.100s' is not usable", key, value);
	return ok ? 0 : -1;
}

/* The run's options from its metadata, before the plan is made. */
int resume_setup(struct resume *rs, struct pb_options *opt, char *err, size_t errlen)
{
	static const struct rawcsv_ops ops = { .meta = on_meta };
	struct setup u = { rs, opt, NULL };
	char why[300];
	int partial, rc;
	FILE *f;

	rs->dir = opt->resume ? opt->resume : opt->summarize;
	f = open_raw(rs, err, errlen);
	if (!f)
		return 2;
	rc = rawcsv_read(f, &ops, &u, &partial, why, sizeof(why));
	fclose(f);
	rs->meta.text = u.text;
	if (rc < 0 || !opt->machine || !opt->reps) {
		snprintf(err, errlen, "%s/raw.csv: %s", rs->dir,
			 opt->reps && opt->machine ? why : "no machine or reps metadata");
		return 2;
	}
	return 0;
}

static long find_case(const struct pb_plan *plan, const char *name)
{
	static size_t last;

	if (last < plan->n && strcmp(plan->cases[last].name, name) == 0)
		return (long)last;
	for (size_t i = 0; i < plan->n; i++)
		if (strcmp(plan->cases[i].name, name) == 0)
			return (long)(last = i);
	return -1;
}

/* What the row reader fills. */
struct load {
	struct resume *rs;
	struct pb_report *rep;
	struct output *out;
	int reps;
};

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
	struct load *l = arg;
	struct pb_report *report = l->rep;
	long idx = find_case(report->plan, field[1]), rep;
	struct rep_result *res;
	char *end;
	double v = strtod(field[11], &end);

	if (idx < 0)
		return snprintf(err, errlen, "case '%.200s' is not in the run's plan", field[1]),
		       -1;
	if (!whole(field[9], 0, l->reps - 1, &rep) || *end || !field[10][0])
		return snprintf(err, errlen, "bad rep, metric or value"), -1;
	if (!report->reps[idx]) {
		report->reps[idx] = calloc((size_t)l->reps, sizeof(struct rep_result));
		if (!report->reps[idx])
			return snprintf(err, errlen, "out of memory"), -1;
		for (int k = 0; k < l->reps; k++)
			report->reps[idx][k].time_s = NAN;
	}
	res = &report->reps[idx][rep];
	if (strcmp(field[10], "status") == 0) {
		set_status(res, v, field[12]);
		res->seq = report->nseq++; /* rows are written as repetitions end */
		l->rs->got[(size_t)idx * (size_t)l->reps + (size_t)rep] = true;
	} else {
		rep_result_add(res, field[10], v, field[12]);
		output_remember_unit(l->out, field[10], field[12]);
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
int resume_load(struct resume *rs, struct pb_report *rep, const struct pb_options *opt,
		struct output *out, char *err, size_t errlen)
{
	static const struct rawcsv_ops ops = { .row = on_row };
	struct load l = { rs, rep, out, rep->cfg->reps };
	size_t ncases = rep->plan->n, reps = (size_t)l.reps;
	char why[300];
	int partial, rc;
	FILE *f = open_raw(rs, err, errlen);

	if (!f)
		return 2;
	rs->got = calloc(ncases * reps + 1, sizeof(*rs->got));
	rs->done = calloc(ncases + 1, sizeof(*rs->done));
	if (!rs->got || !rs->done) {
		fclose(f);
		return snprintf(err, errlen, "out of memory"), 1;
	}
	rc = rawcsv_read(f, &ops, &l, &partial, why, sizeof(why));
	fclose(f);
	if (rc < 0)
		return snprintf(err, errlen, "%s/raw.csv: %s", rs->dir, why), 2;
	for (size_t i = 0; i < ncases; i++) {
		size_t n = 0;

		while (n < reps && rs->got[i * reps + n] &&
		       !(opt->interleave && cut_short(&rep->reps[i][n])))
			n++;
		rs->done[i] = n == reps;
		rs->ncomplete += rs->done[i];
		if (opt->resume && !rs->done[i] && !opt->interleave)
			n = 0; /* runs again whole */
		for (size_t k = n; k < reps && rep->reps[i]; k++)
			rep_result_free(&rep->reps[i][k]);
		rep->nreps[i] = (int)n;
	}
	return 0;
}

struct rewrite {
	const struct pb_report *rep;
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
	long idx = find_case(w->rep->plan, field[1]), rep;

	(void)err;
	(void)errlen;
	if (!w->header)
		fprintf(w->out, "%s\n", CSV_RAW_HEADER);
	w->header = true;
	/* the repetitions resume_load kept: all of a complete case's */
	if (idx < 0 || !whole(field[9], 0, w->rep->cfg->reps - 1, &rep) ||
	    rep >= w->rep->nreps[idx])
		return 0;
	for (int i = 0; i < RAWCSV_FIELDS; i++) {
		csv_field(w->out, field[i]);
		fputc(i + 1 < RAWCSV_FIELDS ? ',' : '\n', w->out);
	}
	return 0;
}

int resume_open(const struct resume *rs, struct output *out, const struct pb_report *rep)
{
	static const struct rawcsv_ops ops = { .meta = copy_meta, .row = copy_row };
	char path[700], tmp[720], why[300];
	struct rewrite w = { .rep = rep };
	int partial, rc;
	FILE *in;

	snprintf(path, sizeof(path), "%s/raw.csv", rs->dir);
	snprintf(tmp, sizeof(tmp), "%s/raw.csv.tmp", rs->dir);
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
	out->csv = fopen(path, "a");
	if (!out->csv) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(stderr, "parbench: resuming %s: %zu of %zu cases already complete\n", rs->dir,
		rs->ncomplete, rep->plan->n);
	return 0;
}

void resume_free(struct resume *rs)
{
	free(rs->got);
	free(rs->done);
	free((char *)rs->meta.text); /* resume_setup made it */
	for (size_t i = 0; i < rs->nkept; i++)
		free(rs->kept[i]);
}
