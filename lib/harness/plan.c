/* SPDX-License-Identifier: MIT */
/*
 * plan — the list of cases a run may execute, and each case's name and
 * named parameters. A case name is built here and only here, from the
 * experiment, model, workload, the parameters the plan put in the name (in
 * the order it put them there), the workers and the swept parameter: the
 * names are a contract (tests/golden/ holds them), and cases.csv holds the
 * same parameters, so that a reader never parses a name back.
 */
#include "harness_impl.h"
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void format_value(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.15g", v);
}

/* "n:5/pin:scatter/cross-pu": the parameters in the name, in their order. */
static void name_extra(struct pb_case *n)
{
	size_t len = 0;

	n->extra[0] = '\0';
	for (int place = 1; place <= PB_MAX_PARAMS; place++) {
		for (int i = 0; i < PB_MAX_PARAMS && n->params[i].name; i++) {
			const struct pb_param *p = &n->params[i];
			int k;

			if (p->in_name != place)
				continue;
			if (p->alone)
				k = snprintf(n->extra + len, sizeof(n->extra) - len, "%s%s",
					     len ? "/" : "", p->str);
			else if (p->str[0])
				k = snprintf(n->extra + len, sizeof(n->extra) - len, "%s%s:%s",
					     len ? "/" : "", p->name, p->str);
			else
				k = snprintf(n->extra + len, sizeof(n->extra) - len, "%s%s:%lld",
					     len ? "/" : "", p->name, (long long)p->value);
			if (k < 0 || (size_t)k >= sizeof(n->extra) - len) {
				fprintf(stderr, "parbench: bug: case %s/%s: its name is too long\n",
					n->experiment, n->model);
				abort();
			}
			len += (size_t)k;
		}
	}
}

/* A case whose name says "pin:X" runs under X: the name cannot lie. */
static void check_pin(const struct pb_case *n)
{
	for (int i = 0; i < PB_MAX_PARAMS && n->params[i].name; i++) {
		const struct pb_param *p = &n->params[i];

		if (strcmp(p->name, "pin") == 0 &&
		    (!n->pin_fixed || strcmp(p->str, pin_policy_name(n->pin)) != 0)) {
			fprintf(stderr,
				"parbench: bug: case %s: parameter pin is \"%s\", not its fixed "
				"placement\n",
				n->name, p->str);
			abort();
		}
	}
}

/* The table of the experiment whose plan runs (plan_declare): its cases
 * are checked against it as they are planned, and carry it. */
static const struct pb_param_decl *planning;

void plan_declare(const struct pb_param_decl *table)
{
	planning = table;
}

void plan_experiment(struct pb_plan *plan, const struct pb_experiment *e,
		     const struct pb_config *cfg)
{
	if (!e->plan)
		return;
	if (!e->params) {
		fprintf(stderr, "parbench: bug: experiment %s declares no parameters\n", e->name);
		abort();
	}
	plan_declare(e->params);
	e->plan(plan, cfg);
	plan_declare(NULL);
}

static const struct pb_param_decl *decl_in(const struct pb_param_decl *t, const char *name)
{
	for (; t && t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static void check_declared(const struct pb_case *c, const char *name)
{
	const struct pb_param_decl *t = c->declared ? c->declared : planning;

	if (t && !decl_in(t, name)) {
		fprintf(stderr,
			"parbench: bug: experiment %s: parameter \"%s\" is not in its table "
			"(struct pb_param_decl)\n",
			c->experiment, name);
		abort();
	}
}

/* The swept parameter is declared, and a named parameter of the same name
 * (which its run function reads) holds the same value. */
static void check_swept(const struct pb_case *c)
{
	int64_t v;

	check_declared(c, c->param);
	if (pb_case_has(c, c->param, &v) && (double)v != c->param_value) {
		fprintf(stderr, "parbench: bug: case %s/%s: parameter %s is %lld, swept %g\n",
			c->experiment, c->model, c->param, (long long)v, c->param_value);
		abort();
	}
}

void pb_plan_add(struct pb_plan *plan, const struct pb_case *c)
{
	struct pb_case *n;
	char val[32];
	int off;

	if (c->param)
		check_swept(c);
	plan->cases = grow(plan->cases, &plan->cap, plan->n + 1, sizeof(*plan->cases), 64);
	n = &plan->cases[plan->n++];
	*n = *c;
	if (!n->declared)
		n->declared = planning;
	if (!n->workload)
		n->workload = "-";
	name_extra(n);
	off = snprintf(n->name, sizeof(n->name), "%s/%s/%s", n->experiment, n->model, n->workload);
	if (n->extra[0])
		off += snprintf(n->name + off, sizeof(n->name) - (size_t)off, "/%s", n->extra);
	off += snprintf(n->name + off, sizeof(n->name) - (size_t)off, "/w:%d", n->workers);
	if (n->param) {
		format_value(val, sizeof(val), n->param_value);
		snprintf(n->name + off, sizeof(n->name) - (size_t)off, "/%s:%s", n->param, val);
	}
	check_pin(n);
}

void plan_free(struct pb_plan *plan)
{
	free(plan->cases);
	*plan = (struct pb_plan){ 0 };
}

/* model, workload, workers and pin are the case's own fields (cases.csv
 * writes them as rows of those names); a parameter may not shadow them,
 * but "pin" may name the pin a case fixes (check_pin). */
static void check_not_reserved(const struct pb_case *c, const char *name)
{
	if (strcmp(name, PB_DECL_MODEL) == 0 || strcmp(name, PB_DECL_WORKLOAD) == 0 ||
	    strcmp(name, PB_DECL_WORKERS) == 0) {
		fprintf(stderr,
			"parbench: bug: experiment %s: \"%s\" is a case field, not a "
			"parameter\n",
			c->experiment, name);
		abort();
	}
}

static struct pb_param *param_slot(struct pb_case *c, const char *name)
{
	check_not_reserved(c, name);
	check_declared(c, name);
	for (int i = 0; i < PB_MAX_PARAMS; i++)
		if (!c->params[i].name || strcmp(c->params[i].name, name) == 0)
			return &c->params[i];
	fprintf(stderr, "parbench: bug: case %s/%s has more than %d parameters (adding %s)\n",
		c->experiment, c->model, PB_MAX_PARAMS, name);
	abort();
}

/* The next place in the name, after every parameter already there. */
static unsigned char next_place(const struct pb_case *c)
{
	unsigned char last = 0;

	for (int i = 0; i < PB_MAX_PARAMS && c->params[i].name; i++)
		if (c->params[i].in_name > last)
			last = c->params[i].in_name;
	return last + 1;
}

void pb_case_set(struct pb_case *c, const char *name, int64_t value)
{
	struct pb_param *p = param_slot(c, name);

	p->name = name;
	p->value = value;
	p->str[0] = '\0';
}

void pb_case_name(struct pb_case *c, const char *name, int64_t value)
{
	unsigned char place = next_place(c);
	struct pb_param *p = param_slot(c, name);

	p->name = name;
	p->value = value;
	p->str[0] = '\0';
	p->alone = false;
	if (!p->in_name)
		p->in_name = place;
}

static void set_str(struct pb_case *c, const char *name, const char *value, bool alone)
{
	unsigned char place = next_place(c);
	struct pb_param *p = param_slot(c, name);

	if (!value[0] || strlen(value) >= sizeof(p->str)) {
		fprintf(stderr,
			"parbench: bug: case %s/%s: parameter %s: value \"%s\" is empty "
			"or too long\n",
			c->experiment, c->model, name, value);
		abort();
	}
	p->name = name;
	p->value = 0;
	snprintf(p->str, sizeof(p->str), "%s", value);
	p->alone = alone;
	if (!p->in_name)
		p->in_name = place;
}

void pb_case_name_str(struct pb_case *c, const char *name, const char *value)
{
	set_str(c, name, value, false);
}

void pb_case_tag(struct pb_case *c, const char *name, const char *value)
{
	set_str(c, name, value, true);
}

void pb_case_unname(struct pb_case *c)
{
	int kept = 0;

	for (int i = 0; i < PB_MAX_PARAMS && c->params[i].name; i++)
		if (!c->params[i].in_name)
			c->params[kept++] = c->params[i];
	for (int i = kept; i < PB_MAX_PARAMS; i++)
		c->params[i] = (struct pb_param){ 0 };
	c->extra[0] = '\0';
}

static const struct pb_param *find(const struct pb_case *c, const char *name)
{
	for (int i = 0; i < PB_MAX_PARAMS && c->params[i].name; i++)
		if (strcmp(c->params[i].name, name) == 0)
			return &c->params[i];
	return NULL;
}

bool pb_case_has(const struct pb_case *c, const char *name, int64_t *value)
{
	const struct pb_param *p = find(c, name);

	if (p && value)
		*value = p->value;
	return p != NULL;
}

static const struct pb_param *must_find(const struct pb_case *c, const char *name, bool str)
{
	const struct pb_param *p = find(c, name);

	if (p && (p->str[0] != '\0') == str)
		return p;
	fprintf(stderr, "parbench: bug: case %s has no %s parameter \"%s\"\n",
		c->name[0] ? c->name : c->experiment, str ? "string" : "integer", name);
	abort();
}

int64_t pb_case_get(const struct pb_case *c, const char *name)
{
	return must_find(c, name, false)->value;
}

const char *pb_case_str(const struct pb_case *c, const char *name)
{
	return must_find(c, name, true)->str;
}

const struct pb_param_decl *pb_case_decl(const struct pb_case *c, const char *name)
{
	return decl_in(c->declared, name);
}

const char *pb_type_name(enum pb_type t)
{
	static const char *const names[] = { "integer", "real", "enum", "string" };

	return t <= PB_STR ? names[t] : "?";
}
