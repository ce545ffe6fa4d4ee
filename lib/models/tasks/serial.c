/* SPDX-License-Identifier: MIT */
/*
 * serial — every task in turn in the calling process: the seed's
 * single_process.py (5 IO tasks of 1 s: 5.01 s). The baseline every other
 * model's speedup is measured against.
 *
 * CPython versions: none beyond the seed's loop (serial).
 */
#include "taskmodels.h"

int serial_run_tasks(const struct tasks_spec *s, struct tasks_result *r)
{
	struct topo_saved *saved = NULL;

	if (s->placement && s->topo && topo_spawn_begin(s->topo, s->placement, 0, &saved) < 0)
		saved = NULL; /* could not pin: run where we are */
	for (int i = 0; i < s->ntasks; i++) {
		r->value[i] = tasks_do_one(s, i);
		r->ran_on[i] = s->topo ? topo_last_pu(s->topo) : -1;
	}
	if (saved)
		topo_spawn_end(s->topo, saved);
	return 0;
}
