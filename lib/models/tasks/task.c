/* SPDX-License-Identifier: MIT */
/*
 * task — one task of the tasks experiment, as every model runs it: its
 * seed (what an io task returns), and the work itself, with the test hooks
 * that make a task crash or fail on purpose.
 *
 * CPython versions: see threads.c's and fork.c's opening comments.
 */
#include "taskmodels.h"

#include <signal.h>
#include <unistd.h>

uint64_t tasks_seed(int i)
{
	return (uint64_t)i + 1;
}

uint64_t tasks_do_one(const struct tasks_spec *s, int i)
{
	if (i == s->crash_task) {
		/* a real crash: a test framework's inherited handler must not
		 * catch it and carry on in the child */
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	if (i == s->fail_task)
		_exit(3);
	return workload_run(s->workload, s->task_ms, tasks_seed(i));
}
