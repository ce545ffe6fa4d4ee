// SPDX-License-Identifier: MIT
/*
 * topo_place — where workers run: the pin policies (none, compact, scatter,
 * single), the placement of W workers on PUs, and binding a thread or a
 * child-to-be to its PU so that it is born there. PUs are OS indexes.
 */
#include "topo_impl.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ policies */

static const char *const policy_names[] = {
	[PIN_NONE] = "none",
	[PIN_COMPACT] = "compact",
	[PIN_SCATTER] = "scatter",
	[PIN_SINGLE] = "single",
};

#define NPOLICIES (sizeof(policy_names) / sizeof(policy_names[0]))

const char *pin_policy_name(enum pin_policy p)
{
	if ((unsigned)p >= NPOLICIES)
		return "unknown";
	return policy_names[p];
}

bool pin_policy_parse(const char *name, enum pin_policy *out)
{
	size_t i;

	if (!name)
		return false;
	for (i = 0; i < NPOLICIES; i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			if (out)
				*out = (enum pin_policy)i;
			return true;
		}
	}
	return false;
}

/* ----------------------------------------------------------- placement */

/* OS index of the PU with this logical index. */
static int pu_os_index(const struct topo *t, int logical)
{
	hwloc_obj_t pu = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PU, (unsigned)logical);

	return pu ? (int)pu->os_index : -1;
}

/* Logical order already walks one core's PUs before the next core's. */
static int place_compact(const struct topo *t, struct placement *pl, int npus)
{
	int i;

	for (i = 0; i < pl->n; i++) {
		pl->pu[i] = pu_os_index(t, i % npus);
		if (pl->pu[i] < 0)
			return -1;
	}
	return 0;
}

/*
 * hwloc_distrib splits the workers over the root's children in proportion
 * to their PUs, recursively, so they spread over packages, then cores.
 * Only min(n, npus) sets are asked for: beyond that every set would be a
 * single PU anyway, and the extra workers wrap around the same sets.
 */
static int place_scatter(const struct topo *t, struct placement *pl, int npus)
{
	hwloc_obj_t root = hwloc_get_root_obj(t->topo);
	int m = pl->n < npus ? pl->n : npus;
	hwloc_bitmap_t *sets;
	int ret = -1;
	int i;

	sets = calloc((size_t)m, sizeof(*sets));
	if (!sets)
		return -1;
	if (hwloc_distrib(t->topo, &root, 1, sets, (unsigned)m, INT_MAX, 0) < 0)
		goto out;
	for (i = 0; i < m; i++) {
		/* hwloc_bitmap_dup inside hwloc_distrib is unchecked. */
		if (!sets[i] || hwloc_bitmap_singlify(sets[i]) < 0)
			goto out;
		if (hwloc_bitmap_first(sets[i]) < 0)
			goto out;
	}
	for (i = 0; i < pl->n; i++)
		pl->pu[i] = hwloc_bitmap_first(sets[i % m]);
	ret = 0;
out:
	for (i = 0; i < m; i++)
		hwloc_bitmap_free(sets[i]);
	free(sets);
	return ret;
}

static int place_single(const struct topo *t, struct placement *pl)
{
	int pu = pu_os_index(t, 0);
	int i;

	if (pu < 0)
		return -1;
	for (i = 0; i < pl->n; i++)
		pl->pu[i] = pu;
	return 0;
}

int topo_place(const struct topo *t, enum pin_policy policy, int n, struct placement *out,
	       char *err, size_t errlen)
{
	int npus = topo_pus(t);
	int ret = -1;
	int i;

	out->policy = policy;
	out->n = 0;
	out->wrapped = false;
	out->pu = NULL;

	if (n < 1) {
		topo_set_err(err, errlen, "workers must be >= 1 (got %d)", n);
		return -1;
	}
	if ((unsigned)policy >= NPOLICIES) {
		topo_set_err(err, errlen, "unknown pin policy %d", (int)policy);
		return -1;
	}
	if (npus < 1) {
		topo_set_err(err, errlen, "topology has no PUs");
		return -1;
	}
	out->pu = calloc((size_t)n, sizeof(*out->pu));
	if (!out->pu) {
		topo_set_err(err, errlen, "calloc(%d PUs): %s", n, strerror(errno));
		return -1;
	}
	out->n = n;

	switch (policy) {
	case PIN_NONE:
		for (i = 0; i < n; i++)
			out->pu[i] = -1;
		ret = 0;
		break;
	case PIN_COMPACT:
		ret = place_compact(t, out, npus);
		out->wrapped = n > npus;
		break;
	case PIN_SCATTER:
		ret = place_scatter(t, out, npus);
		out->wrapped = n > npus;
		break;
	case PIN_SINGLE:
		/*
		 * wrapped means "more workers than PUs forced sharing". Here
		 * sharing one PU is the point of the policy, not an accident
		 * of the machine being too small, so it stays false.
		 */
		ret = place_single(t, out);
		break;
	}
	if (ret < 0) {
		topo_set_err(err, errlen, "placing %d workers (%s) failed", n,
			     pin_policy_name(policy));
		placement_free(out);
	}
	return ret;
}

void placement_free(struct placement *pl)
{
	if (!pl)
		return;
	free(pl->pu);
	pl->pu = NULL;
	pl->n = 0;
}

/* ------------------------------------------------------------- binding */

static int bind_thread_os(const struct topo *t, int pu)
{
	hwloc_bitmap_t set;
	int ret, saved_errno;

	if (pu < 0 || !hwloc_get_pu_obj_by_os_index(t->topo, (unsigned)pu)) {
		errno = EINVAL;
		return -1;
	}
	set = hwloc_bitmap_alloc();
	if (!set) {
		errno = ENOMEM;
		return -1;
	}
	hwloc_bitmap_only(set, (unsigned)pu);
	ret = hwloc_set_cpubind(t->topo, set, HWLOC_CPUBIND_THREAD);
	saved_errno = errno;
	hwloc_bitmap_free(set);
	errno = saved_errno;
	return ret < 0 ? -1 : 0;
}

int topo_bind_thread(const struct topo *t, int pu)
{
	return bind_thread_os(t, pu);
}

int topo_spawn_begin(const struct topo *t, const struct placement *pl, int i,
		     struct topo_saved **saved)
{
	struct topo_saved *s;
	int saved_errno;

	*saved = NULL;
	if (i < 0 || i >= pl->n) {
		errno = EINVAL;
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	/* Unpinned workers inherit whatever the spawner has: leave it. */
	if (pl->policy == PIN_NONE || pl->pu[i] < 0) {
		*saved = s;
		return 0;
	}

	s->cpuset = hwloc_bitmap_alloc();
	if (!s->cpuset) {
		errno = ENOMEM;
		goto fail;
	}
	/* Thread, not process: other threads of the spawner keep theirs. */
	if (hwloc_get_cpubind(t->topo, s->cpuset, HWLOC_CPUBIND_THREAD) < 0)
		goto fail;
	if (bind_thread_os(t, pl->pu[i]) < 0)
		goto fail;
	*saved = s;
	return 0;

fail:
	saved_errno = errno;
	hwloc_bitmap_free(s->cpuset);
	free(s);
	errno = saved_errno;
	return -1;
}

void topo_spawn_end(const struct topo *t, struct topo_saved *saved)
{
	if (!saved)
		return;
	/*
	 * Nothing sensible to do if restoring fails: the spawner keeps
	 * running on the worker's PU, which is slower but still correct.
	 */
	if (saved->cpuset)
		(void)hwloc_set_cpubind(t->topo, saved->cpuset, HWLOC_CPUBIND_THREAD);
	hwloc_bitmap_free(saved->cpuset);
	free(saved);
}

int topo_last_pu(const struct topo *t)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int pu = -1;

	if (!set)
		return -1;
	if (hwloc_get_last_cpu_location(t->topo, set, HWLOC_CPUBIND_THREAD) == 0)
		pu = hwloc_bitmap_first(set);
	hwloc_bitmap_free(set);
	return pu;
}
