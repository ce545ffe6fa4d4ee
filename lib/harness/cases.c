/* SPDX-License-Identifier: MIT */
/*
 * cases — cases.csv, the whole identity of every case of a run, one row per
 * case and parameter, written before the first case runs. A tool that needs
 * a case's model, workers, pin or any parameter reads it here and never
 * parses a case name back (README, "cases.csv").
 *
 * The rows of a case come in the order of its name: model and workload
 * (their values alone), the parameters the plan put in the name, workers
 * ("w:N"), the swept parameter; then the parameters not in the name, and
 * the pin policy the case runs under. The run writes the file before its
 * first case, and again with its summary: then summary.csv's derived rows
 * (a case described like another, for a model such as "ideal") have their
 * rows too. name_key says how a row shows in the
 * name: "=" the value alone, "-" not at all, else "<name_key>:<value>". So
 * the name is the experiment and, joined by '/', the rows that show.
 */
#include "harness_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"

#define CASES_HEADER "case,experiment,parameter,value,unit,type,name_key"

struct row {
	const char *parameter, *value, *name_key;
	enum pb_type type; /* when the experiment's table does not say */
	const char *unit;  /* likewise */
};

static void write_row(FILE *f, const struct pb_case *c, const struct row *r)
{
	const struct pb_param_decl *d = pb_case_decl(c, r->parameter);

	csv_field(f, c->name);
	fputc(',', f);
	csv_field(f, c->experiment);
	fputc(',', f);
	csv_field(f, r->parameter);
	fputc(',', f);
	csv_field(f, r->value);
	fputc(',', f);
	csv_field(f, d ? d->unit : r->unit);
	fprintf(f, ",%s,", pb_type_name(d ? d->type : r->type));
	csv_field(f, r->name_key);
	fputc('\n', f);
}

static void param_row(FILE *f, const struct pb_case *c, const struct pb_param *p)
{
	char val[32];
	struct row r = { .parameter = p->name,
			 .value = p->str,
			 .name_key = !p->in_name ? "-" :
				     p->alone	 ? "=" :
						   p->name,
			 .type = p->str[0] ? PB_STR : PB_INT,
			 .unit = "" };

	if (!p->str[0]) {
		snprintf(val, sizeof(val), "%lld", (long long)p->value);
		r.value = val;
	}
	write_row(f, c, &r);
}

static void case_rows(FILE *f, const struct pb_case *c, const struct pb_config *cfg)
{
	char workers[16], swept[32];
	int64_t unused;

	write_row(f, c, &(struct row){ PB_DECL_MODEL, c->model, "=", PB_ENUM, "" });
	write_row(f, c, &(struct row){ PB_DECL_WORKLOAD, c->workload, "=", PB_ENUM, "" });
	for (int place = 1; place <= PB_MAX_PARAMS; place++)
		for (int i = 0; i < PB_MAX_PARAMS && c->params[i].name; i++)
			if (c->params[i].in_name == place)
				param_row(f, c, &c->params[i]);
	snprintf(workers, sizeof(workers), "%d", c->workers);
	write_row(f, c, &(struct row){ PB_DECL_WORKERS, workers, "w", PB_INT, "count" });
	if (c->param) {
		snprintf(swept, sizeof(swept), "%.15g", c->param_value);
		write_row(f, c, &(struct row){ c->param, swept, c->param, PB_REAL, "" });
	}
	for (int i = 0; i < PB_MAX_PARAMS && c->params[i].name; i++)
		if (!c->params[i].in_name &&
		    !(c->param && strcmp(c->params[i].name, c->param) == 0))
			param_row(f, c, &c->params[i]); /* the swept one has its row */
	if (!pb_case_has(c, "pin", &unused))
		write_row(f, c,
			  &(struct row){ "pin", pin_policy_name(c->pin_fixed ? c->pin : cfg->pin),
					 "-", PB_ENUM, "" });
}

/* Whether a derived row's case is one of the plan's or an earlier row's. */
static bool written_before(const struct pb_plan *plan, const struct pb_report *rep, size_t row)
{
	const char *name = rep->rows[row].c.name;

	for (size_t i = 0; i < plan->n; i++)
		if (strcmp(plan->cases[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < row; i++)
		if (strcmp(rep->rows[i].c.name, name) == 0)
			return true;
	return false;
}

int cases_csv_write(const char *path, const struct pb_plan *plan, const struct pb_report *rep,
		    const struct pb_config *cfg)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	csv_meta(f, "schema_version", "%d", CASES_SCHEMA_VERSION);
	fprintf(f, "%s\n", CASES_HEADER);
	for (size_t i = 0; i < plan->n; i++)
		case_rows(f, &plan->cases[i], cfg);
	for (size_t i = 0; rep && i < rep->nrows; i++)
		if (!written_before(plan, rep, i))
			case_rows(f, &rep->rows[i].c, cfg);
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "parbench: %s: %s\n", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}
