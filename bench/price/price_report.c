/* SPDX-License-Identifier: MIT */
/*
 * price_report — the findings table of the price list (price_report.h).
 */
#include "price_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_BYTES 16384

/* ns as a person reads it: 12.3 ns, 4.56 µs, 1.23 ms. */
static const char *human(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		snprintf(buf, len, "–");
	else if (ns < 1e3)
		snprintf(buf, len, "%.1f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2f µs", ns / 1e3);
	else
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	return buf;
}

static const struct pb_case *find(const struct pb_report *rep, const char *model, const char *pin)
{
	struct pb_case_key k = { .experiment = "price", .model = model, .extra = pin };

	return model ? pb_report_find(rep, &k) : NULL;
}

/* "| 0.97 (0.91–1.05) | stress-ng --fork 1.10 ms |" or a reason. */
static void pair_cells(const struct pb_report *rep, const struct price_prim *p, const char *pin,
		       char *out, size_t len)
{
	const struct pb_case *pc = find(rep, p->pair_model, pin);
	struct stats_summary r, lo, hi;
	char a[32], b[32];

	if (!p->peer) {
		snprintf(out, len, "| – | – | – |");
	} else if (!pc) {
		snprintf(out, len,
			 "| – | %s: not in this run's plan (profile, filter or placement) | – |",
			 p->peer);
	} else if (!pb_report_stat(rep, pc->name, "ratio", &r) ||
		   !pb_report_stat(rep, pc->name, "ratio_min", &lo) ||
		   !pb_report_stat(rep, pc->name, "ratio_max", &hi)) {
		snprintf(out, len,
			 "| – | %s: not measured (skipped or failed: see the status rows) | – |",
			 p->peer);
	} else {
		snprintf(out, len, "| %s | %s %s | %.2f (%.2f–%.2f) |",
			 human(a, sizeof(a), pb_report_median(rep, pc, "ours_ns")), p->peer,
			 human(b, sizeof(b), pb_report_median(rep, pc, "peer_ns")), r.median,
			 lo.min, hi.max);
	}
}

static size_t table_row(const struct pb_report *rep, const struct price_prim *p, const char *pin,
			char *out, size_t len)
{
	const struct pb_case *c = find(rep, p->model, pin);
	struct stats_summary s;
	char a[32], b[32], d[32], e[32], pair[320];

	if (!c || !pb_report_stat(rep, c->name, "op_ns_p50", &s))
		return 0;
	pair_cells(rep, p, pin, pair, sizeof(pair));
	return (size_t)snprintf(out, len, "| %s | %s | %s (%s–%s) | %s %s\n", p->what,
				strcmp(pin, "pin:single") == 0 ? "one PU" : "two PUs",
				human(a, sizeof(a), s.median), human(b, sizeof(b), s.min),
				human(d, sizeof(d), s.max),
				human(e, sizeof(e), pb_report_median(rep, c, "op_ns_p99")), pair);
}

void price_report_table(struct pb_report *rep, const struct price_prim *const families[])
{
	static const char *const pins[] = { "pin:single", "pin:scatter" };
	char *t = malloc(TABLE_BYTES);
	size_t used, rows = 0;

	if (!t)
		return;
	used = (size_t)snprintf(t, TABLE_BYTES,
				"price: what one operation costs here (median of the repetitions' "
				"p50, min–max; p99), and beside its peer, paired round by round "
				"(ratio = ours / peer, ns per operation: median of the per-round "
				"ratios, range over every round)\n\n"
				"| primitive | where | parbench p50 (min–max) | p99 | parbench "
				"mean (paired) | peer | ratio (range) |\n"
				"|---|---|---|---|---|---|---|\n");
	for (int f = 0; families[f]; f++)
		for (const struct price_prim *p = families[f]; p->model; p++)
			for (int k = 0; k < 2 && used < TABLE_BYTES - 1; k++) {
				size_t n = table_row(rep, p, pins[k], t + used, TABLE_BYTES - used);

				used += n < TABLE_BYTES - used ? n : TABLE_BYTES - 1 - used;
				rows += n > 0;
			}
	if (rows) {
		bool st;
		const char *prog = price_tiny_program(&st);

		snprintf(t + used, TABLE_BYTES - used, "\nThe exec'd program is %s (%s).", prog,
			 st ? "static, built by the Makefile" :
			      "dynamic: bench/pb-true is missing");
		pb_report_note(rep, "%s", t);
	}
	free(t);
}
