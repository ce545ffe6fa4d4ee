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

#endif
