/* SPDX-License-Identifier: MIT */
/* price_report — the price list as a findings table in summary.md. */
#ifndef PB_PRICE_REPORT_H
#define PB_PRICE_REPORT_H

#include "price.h"

/* One note: a markdown table, a row per primitive and placement, from the
 * run's data: parbench's p50 (min–max over repetitions) and p99, and for a
 * paired primitive our mean, the peer's and the median per-round ratio
 * with its range. families ends with NULL. */
void price_report_table(struct pb_report *rep, const struct price_prim *const families[]);

/* Whether a ratio ours / peer is within ±10 % of 1 (the acceptance). */
bool price_within(double ratio);

/* One sentence from the run's data on a pairing and its like-for-like
 * test: the primitive's ratio to the peer (a, its range lo–hi), the
 * like-for-like loop's (b, blo–bhi) and what follows: the like-for-like
 * loop within ±10 % explains the difference, otherwise it does not (or
 * explains part of it). */
void price_explain(char *out, size_t len, const char *what, const char *peer, const double a[3],
		   const char *like_what, const double b[3]);

/* The share of the difference between a like-for-like loop (like_ns) and
 * the plain loop (plain_ns) that one ingredient makes: the like-for-like
 * loop with that ingredient changed back to the plain loop's (variant_ns:
 * the wake after the plain loop's short idle, fork in place of
 * posix_spawn) gives (like - variant) / (like - plain). NaN when a figure
 * is missing or there is no difference. */
double price_share(double like_ns, double variant_ns, double plain_ns);
/* The phrase the findings give for it: variant_ns within ±10 % of
 * plain_ns (cause is the difference), or cause's share and the rest. */
void price_share_verdict(char *out, size_t len, double like_ns, double variant_ns, double plain_ns,
			 const char *cause, const char *rest);

/* One note: for each like-for-like case in the run, price_explain's
 * sentence (plus the shape of the peer's process where it was measured). */
void price_report_explain(struct pb_report *rep, const struct price_prim *const families[]);

#endif
