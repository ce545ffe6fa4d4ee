/* SPDX-License-Identifier: MIT */
/*
 * registry — what each registry row says, said once: checked (a row
 * without its lesson, headline or figures is a bug the tests catch),
 * printed by --list for people, and written as experiments.csv into every
 * run directory for the tools, which read it there instead of parsing
 * --list or keeping a list of their own.
 */
#include "registry.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "csv.h"
#include "progress.h"

const char *pb_direction_name(enum pb_direction d)
{
	switch (d) {
	case PB_LOWER_IS_BETTER:
		return "lower";
	case PB_HIGHER_IS_BETTER:
		return "higher";
	default:
		return NULL;
	}
}

static bool empty(const char *s)
{
	return !s || !*s;
}

static bool missing(char *why, size_t len, const char *what, const char *name)
{
	snprintf(why, len, "%s: no %s", name ? name : "(unnamed row)", what);
	return false;
}

/* Each figure's file is named after its experiment, <name> or <name>-<what>,
 * so that a reader finds an experiment's pictures by its name. */
static bool figures_named(const struct pb_experiment *e, char *why, size_t len)
{
	const char *f = e->figures;
	size_t n = strlen(e->name);

	if (!strcmp(f, PB_TABLE_ONLY))
		return true;
	while (*f) {
		size_t w = strcspn(f, " ");

		if (w && (w < n || strncmp(f, e->name, n) || (w > n && f[n] != '-'))) {
			snprintf(why, len, "%s: figure %.*s is not named %s or %s-<what>", e->name,
				 (int)w, f, e->name, e->name);
			return false;
		}
		f += w + (f[w] == ' ');
	}
	return true;
}

bool pb_experiment_complete(const struct pb_experiment *e, char *why, size_t len)
{
	if (empty(e->name))
		return missing(why, len, "name", NULL);
	if (empty(e->summary))
		return missing(why, len, "summary", e->name);
	if (empty(e->teaches))
		return missing(why, len, "teaches (what it teaches)", e->name);
	if (empty(e->headline.metric) || empty(e->headline.unit))
		return missing(why, len, "headline metric with its unit", e->name);
	if (!pb_direction_name(e->headline.better))
		return missing(why, len, "direction of its headline metric", e->name);
	if (empty(e->figures))
		return missing(why, len, "figures (a plot name or PB_TABLE_ONLY)", e->name);
	return figures_named(e, why, len);
}

/* ---- experiments.csv ---- */

bool pb_seed_has(const struct pb_seed *s, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = s->experiments; (p = strstr(p, name)); p += len)
		if ((p == s->experiments || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

/* The seeds column: "program (printed: figure); program; ...", or "-". */
static void seeds_text(const char *name, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (const struct pb_seed *s = pb_seeds; s->program && used < len; s++) {
		if (!pb_seed_has(s, name))
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "; " : "",
					 s->program);
		if (s->printed[0] && used < len)
			used += (size_t)snprintf(out + used, len - used, " (printed: %s)",
						 s->printed);
	}
	if (!out[0])
		snprintf(out, len, "-");
}

static void write_fields(FILE *f, const struct pb_experiment *e, const char *seeds)
{
	const char *const fields[] = { e->name,
				       e->summary,
				       e->teaches,
				       e->headline.metric,
				       e->headline.unit,
				       pb_direction_name(e->headline.better),
				       e->figures,
				       e->cpython_twin ? e->cpython_twin : "-",
				       seeds };

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (i)
			fputc(',', f);
		csv_field(f, fields[i] ? fields[i] : "");
	}
	fputc('\n', f);
}

static void write_row(FILE *f, const struct pb_experiment *e)
{
	char seeds[2048];

	seeds_text(e->name, seeds, sizeof(seeds));
	write_fields(f, e, seeds);
}

int registry_write_csv(FILE *f, const struct pb_experiment *const suites[], const size_t *ncases)
{
	csv_meta(f, "schema_version", "%d", REGISTRY_SCHEMA_VERSION);
	fprintf(f, "%s\n", REGISTRY_CSV_HEADER);
	for (size_t e = 0; suites[e]; e++)
		if (!ncases || ncases[e])
			write_row(f, suites[e]);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* experiments.csv of a fresh run: the rows of the experiments the plan
 * kept, before the first case, so that even a run cut short says what it
 * holds. */
int registry_write_file(const char *dir, const struct pb_experiment *const suites[],
			const size_t *ncases)
{
	char path[600];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/experiments.csv", dir);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = registry_write_csv(f, suites, ncases);
	if (fclose(f) != 0 || rc < 0) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

/* ---- --list ---- */

/* "label text", text wrapped at 96 columns: 8 spaces before the label, 10
 * before each further line */
static void print_wrapped(const char *label, const char *text)
{
	const int width = 96, indent = 10;
	int col = printf("        %s", label);

	while (*text) {
		size_t w = strcspn(text, " ");

		if (col + 1 + (int)w > width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else {
			col += printf(" ");
		}
		col += printf("%.*s", (int)w, text);
		text += w;
		text += strspn(text, " ");
	}
	printf("\n");
}

static void list_row(const struct pb_experiment *e, size_t ncases, double est)
{
	char facts[512];

	printf("%-20s %4zu case%s %7.1f s  %s\n", e->name, ncases, ncases == 1 ? " " : "s", est,
	       e->summary);
	print_wrapped("teaches:", e->teaches ? e->teaches : "");
	snprintf(facts, sizeof(facts), "%s (%s), %s is better; figures: %s; CPython twin: %s",
		 e->headline.metric ? e->headline.metric : "?",
		 e->headline.unit ? e->headline.unit : "?",
		 pb_direction_name(e->headline.better) ? pb_direction_name(e->headline.better) :
							 "?",
		 e->figures && strcmp(e->figures, PB_TABLE_ONLY) != 0 ? e->figures :
									"none (table only)",
		 e->cpython_twin ? e->cpython_twin : "none");
	print_wrapped("headline:", facts);
}

/* --list: the experiments, each with its case count, its estimated time
 * (every repetition of every case it keeps, from the plan alone: no case
 * runs), its summary, then what it teaches and its headline, figures and
 * CPython twin on indented lines; then the total. */
void registry_list(const struct pb_experiment *const suites[], const size_t *ncases,
		   const struct pb_plan *plan, const struct pb_config *cfg)
{
	size_t shown = 0, i = 0;
	double total = 0;

	for (size_t e = 0; suites[e]; e++) {
		double est = 0;

		for (size_t k = 0; k < ncases[e]; k++)
			est += progress_case_estimate(&plan->cases[i++]) * cfg->reps;
		total += est;
		if (!ncases[e])
			continue;
		list_row(suites[e], ncases[e], est);
		shown++;
	}
	int secs = (int)lround(total); /* one rounding for both forms */

	printf("%zu experiments, %zu cases (parbench --list --cases names them)\n", shown, plan->n);
	printf("estimated time: %d s (%d:%02d) for profile %s, %d repetitions, on %d PUs\n", secs,
	       secs / 60, secs % 60, pb_profile_name(cfg->profile), cfg->reps, cfg->pus);
}
