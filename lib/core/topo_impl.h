// SPDX-License-Identifier: MIT
/* topo's insides, shared by topo.c (facts) and topo_place.c (placement and
 * binding). Not part of topo.h's surface. */
#ifndef PB_TOPO_IMPL_H
#define PB_TOPO_IMPL_H

#include <stddef.h>

#include <hwloc.h>

#include "topo.h"

struct topo {
	hwloc_topology_t topo;
	char cpu_model[128]; /* CPUModel without the padding some CPUs' brand strings carry */
};

struct topo_saved {
	/* NULL when nothing was changed (PIN_NONE): nothing to restore. */
	hwloc_bitmap_t cpuset;
};

/* printf into err (when there is one). */
void topo_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
