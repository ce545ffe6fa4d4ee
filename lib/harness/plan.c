/* SPDX-License-Identifier: MIT */
/*
 * plan — the list of cases a run may execute, and each case's name and
 * named parameters. A case name is built here and only here, from the
 * experiment, model, workload, the labels and named parameters the plan put
 * in extra, the workers and the swept parameter: the names are a contract
 * (tests/golden/ holds them).
 */
#include "harness_impl.h"
#include "grow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void format_value(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.15g", v);
}

void pb_plan_add(struct pb_plan *plan, const struct pb_case *c)
{
	struct pb_case *n;
	char val[32];
	int off;

	plan->cases = grow(plan->cases, &plan->cap, plan->n + 1, sizeof(*plan->cases), 64);
	n = &plan->cases[plan->n++];
	*n = *c;
	if (!n->workload)
		n->workload = "-";
	off = snprintf(n->name, sizeof(n->name), "%s/%s/%s", n->experiment, n->model, n->workload);
	if (n->extra[0])
		off += snprintf(n->name + off, sizeof(n->name) - (size_t)off, "/%s", n->extra);
	off += snprintf(n->name + off, sizeof(n->name) - (size_t)off, "/w:%d", n->workers);
	if (n->param) {
		format_value(val, sizeof(val), n->param_value);
		snprintf(n->name + off, sizeof(n->name) - (size_t)off, "/%s:%s", n->param, val);
	}
}

void plan_free(struct pb_plan *plan)
{
	free(plan->cases);
	*plan = (struct pb_plan){ 0 };
}

static struct pb_param *param_slot(struct pb_case *c, const char *name)
{
	for (int i = 0; i < PB_MAX_PARAMS; i++)
		if (!c->params[i].name || strcmp(c->params[i].name, name) == 0)
			return &c->params[i];
	fprintf(stderr, "parbench: bug: case %s/%s has more than %d parameters (adding %s)\n",
		c->experiment, c->model, PB_MAX_PARAMS, name);
	abort();
}

void pb_case_set(struct pb_case *c, const char *name, int64_t value)
{
	struct pb_param *p = param_slot(c, name);

	p->name = name;
	p->value = value;
}

static void extra_append(struct pb_case *c, const char *text)
{
	size_t len = strlen(c->extra);
	int n = snprintf(c->extra + len, sizeof(c->extra) - len, "%s%s", len ? "/" : "", text);

	if (n < 0 || (size_t)n >= sizeof(c->extra) - len) {
		fprintf(stderr, "parbench: bug: case %s/%s: extra \"%s\" + \"%s\" is too long\n",
			c->experiment, c->model, c->extra, text);
		abort();
	}
}

void pb_case_name(struct pb_case *c, const char *name, int64_t value)
{
	char text[64];

	pb_case_set(c, name, value);
	snprintf(text, sizeof(text), "%s:%lld", name, (long long)value);
	extra_append(c, text);
}

void pb_case_label(struct pb_case *c, const char *fmt, ...)
{
	char text[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	extra_append(c, text);
}

bool pb_case_has(const struct pb_case *c, const char *name, int64_t *value)
{
	for (int i = 0; i < PB_MAX_PARAMS && c->params[i].name; i++) {
		if (strcmp(c->params[i].name, name) == 0) {
			if (value)
				*value = c->params[i].value;
			return true;
		}
	}
	return false;
}

int64_t pb_case_get(const struct pb_case *c, const char *name)
{
	int64_t v;

	if (pb_case_has(c, name, &v))
		return v;
	fprintf(stderr, "parbench: bug: case %s has no parameter \"%s\"\n",
		c->name[0] ? c->name : c->experiment, name);
	abort();
}
