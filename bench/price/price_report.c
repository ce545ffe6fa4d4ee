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

	if (p->pair_only && find(rep, p->pair_model, pin)) {
		pair_cells(rep, p, pin, pair, sizeof(pair));
		return (size_t)snprintf(out, len, "| %s | %s | – | – %s\n", p->what,
					strcmp(pin, "pin:single") == 0 ? "one PU" : "two PUs",
					pair);
	}
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
	price_report_explain(rep, families);
}

bool price_within(double ratio)
{
	return ratio >= 0.9 && ratio <= 1.1;
}

void price_explain(char *out, size_t len, const char *what, const char *peer, const double a[3],
		   const char *like_what, const double b[3])
{
	const char *verdict;

	if (isnan(b[0]))
		verdict = "not measured in this run: no test of an explanation";
	else if (price_within(b[0]))
		verdict = price_within(a[0]) ? "within ±10 %, as the primitive is" :
					       "within ±10 %: what it adds to the primitive is "
					       "the difference";
	else if (fabs(b[0] - 1) < fabs(a[0] - 1))
		verdict = "closer, but outside ±10 %: it explains part of the difference only";
	else
		verdict = "outside ±10 %: it does not explain the difference";
	snprintf(out, len, "%s: %.2f× %s's (%.2f–%.2f, %s); %s: %.2f× (%.2f–%.2f), %s.", what, a[0],
		 peer, a[1], a[2], price_within(a[0]) ? "within ±10 %" : "outside ±10 %", like_what,
		 b[0], b[1], b[2], verdict);
}

/* The median of the per-round ratios, and their range over every round
 * (as the table gives it). */
static void ratio3(const struct pb_report *rep, const struct pb_case *c, double r[3])
{
	struct stats_summary lo, hi;

	r[0] = pb_report_median(rep, c, "ratio");
	r[1] = pb_report_stat(rep, c->name, "ratio_min", &lo) ? lo.min : NAN;
	r[2] = pb_report_stat(rep, c->name, "ratio_max", &hi) ? hi.max : NAN;
}

static const struct price_prim *prim_named(const struct price_prim *const families[],
					   const char *model)
{
	for (int f = 0; families[f]; f++)
		for (const struct price_prim *p = families[f]; p->model; p++)
			if (strcmp(p->model, model) == 0)
				return p;
	return NULL;
}

double price_share(double like_ns, double variant_ns, double plain_ns)
{
	if (isnan(like_ns) || isnan(variant_ns) || isnan(plain_ns) || like_ns == plain_ns)
		return NAN;
	return (like_ns - variant_ns) / (like_ns - plain_ns);
}

void price_share_verdict(char *out, size_t len, double like_ns, double variant_ns, double plain_ns,
			 const char *cause, const char *rest)
{
	double share = price_share(like_ns, variant_ns, plain_ns);

	if (isnan(share))
		snprintf(out, len, "not measured in this run");
	else if (plain_ns > 0 && price_within(variant_ns / plain_ns))
		snprintf(out, len, "within ±10 %% of it: %s is the difference (%.0f %% of it)",
			 cause, 100 * share);
	else
		snprintf(out, len,
			 "outside ±10 %% of it: %s makes %.0f %% of the difference, the rest is what "
			 "else differs (%s)",
			 cause, 100 * share, rest);
}

/* What the like-for-like case measured beside its pairing: the shape of
 * stress-ng's process, or the same loop with one thing changed back to
 * what the plain loop does (the wake after a short idle, fork in place of
 * posix_spawn), set against the plain loop's figure in its pairing. */
static size_t like_tail(const struct pb_report *rep, const struct pb_case *lc,
			const struct pb_case *pc, char *out, size_t len)
{
	double maps = pb_report_median(rep, lc, "peer_maps");
	double shrt = pb_report_median(rep, lc, "short_idle_ns");
	double fork = pb_report_median(rep, lc, "fork_variant_ns");
	double like = pb_report_median(rep, lc, "ours_ns"),
	       plain = pb_report_median(rep, pc, "ours_ns");
	char a[32], b[32], why[240];

	if (!isnan(maps))
		return (size_t)
			snprintf(out, len,
				 " (stress-ng's stressor: %.0f mappings, %.0f KiB anonymous, highest fd %.0f; "
				 "this case's process grown to %.0f, %.0f KiB, %.0f)",
				 maps, pb_report_median(rep, lc, "peer_anon_kib"),
				 pb_report_median(rep, lc, "peer_max_fd"),
				 pb_report_median(rep, lc, "ours_maps"),
				 pb_report_median(rep, lc, "ours_anon_kib"),
				 pb_report_median(rep, lc, "ours_max_fd"));
	if (!isnan(fork)) {
		price_share_verdict(why, sizeof(why), like, fork, plain, "fork",
				    "hyperfine's stdio on /dev/null, its environment variable");
		return (size_t)snprintf(out, len,
					" (the same runs with fork + exec in place of posix_spawn: "
					"%s; the plain loop took %s in its pairing: %s)",
					human(a, sizeof(a), fork), human(b, sizeof(b), plain), why);
	}
	if (isnan(shrt))
		return 0;
	price_share_verdict(why, sizeof(why), like, shrt, plain,
			    "the waiter's PU's idle time before the wake",
			    "a new waiter each wake, its hand-shake, the waker on worker 1's PU");
	return (size_t)snprintf(
		out, len,
		" (the same loop with the waiter's PU idle %.0f ms instead of %.0f ms before each "
		"wake: %s; the plain loop, which waits %.0f ms, took %s in its pairing: %s)",
		pb_report_median(rep, lc, "short_idle_us") / 1e3,
		pb_report_median(rep, lc, "long_idle_us") / 1e3, human(a, sizeof(a), shrt),
		pb_report_median(rep, lc, "short_idle_us") / 1e3, human(b, sizeof(b), plain), why);
}

static size_t explain_one(const struct pb_report *rep, const struct price_prim *const families[],
			  const struct price_prim *like, char *out, size_t len)
{
	const char *pin = like->pins & PRICE_ONE ? "pin:single" : "pin:scatter";
	const struct price_prim *p = prim_named(families, like->explains);
	const struct pb_case *lc = find(rep, like->pair_model, pin);
	const struct pb_case *pc = p ? find(rep, p->pair_model, pin) : NULL;
	double a[3], b[3];
	char line[640];
	size_t n;

	if (!lc || !pc || !p)
		return 0;
	ratio3(rep, pc, a);
	ratio3(rep, lc, b);
	if (isnan(a[0]))
		return 0;
	price_explain(line, sizeof(line), p->what, p->peer, a, like->what, b);
	n = (size_t)snprintf(out, len, "- %s", line);
	if (n < len)
		n += like_tail(rep, lc, pc, out + n, len - n);
	return n < len ? n + (size_t)snprintf(out + n, len - n, "\n") : len;
}

void price_report_explain(struct pb_report *rep, const struct price_prim *const families[])
{
	char *t = malloc(TABLE_BYTES);
	size_t used, head;

	if (!t)
		return;
	used = head = (size_t)
		snprintf(t, TABLE_BYTES,
			 "price, the pairings and their tests: where a primitive's ratio to its peer is "
			 "far from 1, a parbench loop that does what one of the peer's operations does "
			 "(read from the peer's source), paired with the peer in the same run\n\n");
	for (int f = 0; families[f]; f++)
		for (const struct price_prim *p = families[f]; p->model; p++)
			if (p->explains && used < TABLE_BYTES - 1)
				used += explain_one(rep, families, p, t + used, TABLE_BYTES - used);
	if (used > head && used < TABLE_BYTES)
		pb_report_note(rep, "%s", t);
	free(t);
}
