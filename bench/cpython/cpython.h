/* SPDX-License-Identifier: MIT */
/*
 * cpython — the CPython programs of bench/cpython/ as cases of the existing
 * experiments (cpython.c runs them, cpython_plan.c plans them, fidelity.c
 * compares them with their C twins).
 */
#ifndef PB_CPYTHON_H
#define PB_CPYTHON_H

#include <stdbool.h>
#include <stddef.h>

#include "harness.h"

/* Every CPython case's model starts with this: "cpython-fork". */
#define CPYTHON_PREFIX "cpython-"

/* A case's program (its c->data): the script in bench/cpython/ and the
 * fixed name=value arguments it always gets, space-separated. */
struct cpython_prog {
	const char *script;
	const char *args;
};

/* The interpreter: --python, else $PARBENCH_PYTHON, else python3 from PATH; its path in
 * out, or NULL when there is none. */
const char *cpython_interpreter(const struct pb_config *cfg, char *out, size_t len);
/* The run function of every CPython case. */
int cpython_run(struct pb_ctx *ctx, const struct pb_case *c);
/* The fidelity table: notes and derived rows, C against CPython. */
void cpython_fidelity(struct pb_report *rep);

#endif
