/* SPDX-License-Identifier: MIT */
/*
 * topo — the machine's topology (hwloc) and where workers run.
 *
 * A placement maps worker i to one PU. Workers are born on their PU: the
 * spawner binds its own thread to the PU, forks or creates the worker (which
 * inherits the binding), then restores its own binding, so the worker never
 * runs a single instruction elsewhere.
 *
 * PU numbers everywhere in parbench are OS indexes (hwloc's P#, the numbers
 * taskset and /proc use).
 */
#ifndef PB_TOPO_H
#define PB_TOPO_H

#include <stdbool.h>
#include <stdio.h>

enum pin_policy {
	PIN_NONE,    /* no binding: the scheduler decides */
	PIN_COMPACT, /* fill one core's PUs, then the next core */
	PIN_SCATTER, /* spread over packages, then cores (hwloc_distrib) */
	PIN_SINGLE,  /* every worker on the same PU: same-core costs anywhere */
};

struct topo; /* opaque: a loaded hwloc topology */

/* Placement of n workers; pu[i] is -1 for PIN_NONE. */
struct placement {
	enum pin_policy policy;
	int n;
	bool wrapped; /* more workers than PUs: some PUs hold several */
	int *pu;      /* n OS indexes */
};

/* Load this machine's topology (synthetic == NULL) or a synthetic one such
 * as "pack:2 core:4 pu:2". Returns NULL and fills err on failure. */
struct topo *topo_load(const char *synthetic, char *err, size_t errlen);
void topo_free(struct topo *t);

int topo_packages(const struct topo *t);
int topo_cores(const struct topo *t);
int topo_pus(const struct topo *t);
int topo_numa_nodes(const struct topo *t);
/* CPU model string ("unknown" when hwloc has none); on x86 it lives on the
 * Package object, not the root. */
const char *topo_cpu_model(const struct topo *t);
/* "L1d:48KiB L2:1280KiB L3:54MiB" (sizes of the first cache of each level). */
void topo_caches(const struct topo *t, char *buf, size_t len);
/* "2.9.0" — the hwloc library in use. */
void topo_hwloc_version(char *buf, size_t len);

const char *pin_policy_name(enum pin_policy p);
/* Parse "none|compact|scatter|single"; false when the name is unknown. */
bool pin_policy_parse(const char *name, enum pin_policy *out);

/* Compute where n workers go. 0 on success, -1 with err filled. */
int topo_place(const struct topo *t, enum pin_policy policy, int n, struct placement *out,
	       char *err, size_t errlen);
void placement_free(struct placement *pl);

/* Bind the calling thread to worker i's PU (no-op for PIN_NONE) and save
 * the previous binding in *saved; topo_spawn_end restores it. */
struct topo_saved;
int topo_spawn_begin(const struct topo *t, const struct placement *pl, int i,
		     struct topo_saved **saved);
void topo_spawn_end(const struct topo *t, struct topo_saved *saved);

/* Bind the calling thread to one PU (OS index). 0 or -1 with errno. */
int topo_bind_thread(const struct topo *t, int pu);
/* The PU the calling thread last ran on (OS index), -1 if unknown. */
int topo_last_pu(const struct topo *t);

/* Print the machine's facts (--topo). */
void topo_describe(const struct topo *t, FILE *out);
/* Write the topology as XML (hwloc's own format). 0 or -1. */
int topo_export_xml(const struct topo *t, const char *path);

#endif
