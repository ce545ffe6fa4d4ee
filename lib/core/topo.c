// SPDX-License-Identifier: MIT
/*
 * topo — the machine's topology (hwloc 2.x) and where workers run.
 *
 * Everything here speaks OS indexes for PUs (see topo.h); hwloc's logical
 * indexes are only used internally to walk the tree in a stable order.
 */
#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "topo_impl.h"

void topo_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- load */

/*
 * hwloc only promises ABI compatibility within a major version; a 2.x
 * binary running against a 3.x library would misread the structures.
 */
static void read_cpu_model(struct topo *t);

static bool hwloc_abi_ok(void)
{
	return (hwloc_get_api_version() >> 16) == (HWLOC_API_VERSION >> 16);
}

struct topo *topo_load(const char *synthetic, char *err, size_t errlen)
{
	const enum hwloc_type_filter_e keep = HWLOC_TYPE_FILTER_KEEP_ALL;
	struct topo *t;

	if (!hwloc_abi_ok()) {
		topo_set_err(err, errlen, "hwloc: library API 0x%x does not match headers 0x%x",
			     hwloc_get_api_version(), (unsigned)HWLOC_API_VERSION);
		return NULL;
	}

	t = calloc(1, sizeof(*t));
	if (!t) {
		topo_set_err(err, errlen, "calloc: %s", strerror(errno));
		return NULL;
	}
	if (hwloc_topology_init(&t->topo) < 0) {
		topo_set_err(err, errlen, "hwloc_topology_init: %s", strerror(errno));
		free(t);
		return NULL;
	}
	/* hwloc drops instruction caches by default; topo_caches wants L1i. */
	if (hwloc_topology_set_icache_types_filter(t->topo, keep) < 0) {
		topo_set_err(err, errlen, "hwloc_topology_set_icache_types_filter: %s",
			     strerror(errno));
		goto fail;
	}
	if (synthetic && hwloc_topology_set_synthetic(t->topo, synthetic) < 0) {
		topo_set_err(err, errlen, "hwloc_topology_set_synthetic(\"%s\"): %s", synthetic,
			     strerror(errno));
		goto fail;
	}
	if (hwloc_topology_load(t->topo) < 0) {
		topo_set_err(err, errlen, "hwloc_topology_load: %s", strerror(errno));
		goto fail;
	}
	read_cpu_model(t);
	return t;

fail:
	hwloc_topology_destroy(t->topo);
	free(t);
	return NULL;
}

void topo_free(struct topo *t)
{
	if (!t)
		return;
	hwloc_topology_destroy(t->topo);
	free(t);
}

/* --------------------------------------------------------------- facts */

static int count_type(const struct topo *t, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(t->topo, type);

	/* -1 means "several depths"; never happens for these types. */
	return n < 0 ? 0 : n;
}

int topo_packages(const struct topo *t)
{
	return count_type(t, HWLOC_OBJ_PACKAGE);
}

int topo_cores(const struct topo *t)
{
	return count_type(t, HWLOC_OBJ_CORE);
}

int topo_pus(const struct topo *t)
{
	return count_type(t, HWLOC_OBJ_PU);
}

int topo_numa_nodes(const struct topo *t)
{
	return count_type(t, HWLOC_OBJ_NUMANODE);
}

const char *topo_cpu_model(const struct topo *t)
{
	return t->cpu_model;
}

/* The CPU's model as hwloc read it, trimmed: some brand strings end in
 * spaces ("... Processor             "), which CSV metadata and captions keep. */
static void read_cpu_model(struct topo *t)
{
	hwloc_obj_t pkg = hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_PACKAGE, 0);
	const char *model = NULL;
	size_t n;

	/* x86 backends attach CPUModel to each Package; others to the root. */
	if (pkg)
		model = hwloc_obj_get_info_by_name(pkg, "CPUModel");
	if (!model)
		model = hwloc_obj_get_info_by_name(hwloc_get_root_obj(t->topo), "CPUModel");
	snprintf(t->cpu_model, sizeof(t->cpu_model), "%s", model ? model : "unknown");
	n = strlen(t->cpu_model);
	while (n > 0 && (t->cpu_model[n - 1] == ' ' || t->cpu_model[n - 1] == '\t'))
		t->cpu_model[--n] = '\0';
}

/* "54MiB" when the size is a whole number of MiB, else KiB, else bytes. */
static void fmt_size(char *buf, size_t len, uint64_t bytes)
{
	const unsigned long long kib = 1024, mib = 1024 * 1024;
	unsigned long long b = bytes;

	if (b >= mib && b % mib == 0)
		snprintf(buf, len, "%lluMiB", b / mib);
	else if (b >= kib && b % kib == 0)
		snprintf(buf, len, "%lluKiB", b / kib);
	else
		snprintf(buf, len, "%lluB", b);
}

/* Append to buf at *off, never past len; *off keeps counting so callers
 * need not care about truncation. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t len, size_t *off,
							 const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*off < len ? buf + *off : NULL, *off < len ? len - *off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

static void append_cache(const struct topo *t, hwloc_obj_type_t type, char *buf, size_t len,
			 size_t *off)
{
	hwloc_obj_t c = hwloc_get_obj_by_type(t->topo, type, 0);
	const char *suffix = "";
	char size[32];

	if (!c)
		return;
	if (c->attr->cache.type == HWLOC_OBJ_CACHE_DATA)
		suffix = "d";
	else if (c->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION)
		suffix = "i";
	fmt_size(size, sizeof(size), c->attr->cache.size);
	append(buf, len, off, "%sL%u%s:%s", *off ? " " : "", c->attr->cache.depth, suffix, size);
}

void topo_caches(const struct topo *t, char *buf, size_t len)
{
	/* Reading order: each level's data (or unified) cache, then its
	 * instruction cache, "L1d L1i L2 L3". */
	static const hwloc_obj_type_t order[] = {
		HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
		HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
	};
	size_t off = 0;
	size_t i;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		append_cache(t, order[i], buf, len, &off);
}

/*
 * hwloc_get_api_version() is the *API* version of the library actually
 * loaded: hwloc 2.9.0 reports 0x20800, i.e. "2.8.0", because releases of a
 * series share an API version. The release string is only available at run
 * time as the root's "hwlocVersion" info, which the library sets on every
 * topology it loads, so load the smallest one to read it.
 */
static bool release_version(char *buf, size_t len)
{
	hwloc_topology_t topo;
	const char *v = NULL;

	if (hwloc_topology_init(&topo) < 0)
		return false;
	if (hwloc_topology_set_synthetic(topo, "pu:1") == 0 && hwloc_topology_load(topo) == 0)
		v = hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), "hwlocVersion");
	if (v)
		snprintf(buf, len, "%s", v);
	hwloc_topology_destroy(topo);
	return v != NULL;
}

void topo_hwloc_version(char *buf, size_t len)
{
	unsigned v;

	if (!buf || !len)
		return;
	if (release_version(buf, len))
		return;
	v = hwloc_get_api_version();
	snprintf(buf, len, "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

/* ------------------------------------------------------------ describe */

/* "0,1" — the OS indexes of the PUs inside one core (or package). */
static void describe_pus(const struct topo *t, hwloc_obj_t obj, FILE *out)
{
	hwloc_obj_t pu = NULL;
	bool first = true;

	while ((pu = hwloc_get_next_obj_inside_cpuset_by_type(t->topo, obj->cpuset, HWLOC_OBJ_PU,
							      pu))) {
		fprintf(out, "%s%u", first ? "" : ",", pu->os_index);
		first = false;
	}
}

/*
 * Some platforms have no Core objects (PUs sit under the package); fall
 * back to listing PUs per package, then for the whole machine, so the
 * block never ends without the PU numbers.
 */
static void describe_layout(const struct topo *t, FILE *out)
{
	static const struct {
		hwloc_obj_type_t type;
		const char *name;
	} levels[] = {
		{ HWLOC_OBJ_CORE, "core" },
		{ HWLOC_OBJ_PACKAGE, "package" },
		{ HWLOC_OBJ_MACHINE, "machine" },
	};
	hwloc_obj_t obj;
	size_t l;

	for (l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		if (!hwloc_get_obj_by_type(t->topo, levels[l].type, 0))
			continue;
		obj = NULL;
		while ((obj = hwloc_get_next_obj_by_type(t->topo, levels[l].type, obj))) {
			fprintf(out, "  %s %u: PU ", levels[l].name, obj->logical_index);
			describe_pus(t, obj, out);
			fputc('\n', out);
		}
		return;
	}
}

void topo_describe(const struct topo *t, FILE *out)
{
	char caches[256];
	char version[32];

	topo_caches(t, caches, sizeof(caches));
	topo_hwloc_version(version, sizeof(version));

	fprintf(out, "CPU model:  %s\n", topo_cpu_model(t));
	fprintf(out, "packages:   %d\n", topo_packages(t));
	fprintf(out, "cores:      %d\n", topo_cores(t));
	fprintf(out, "PUs:        %d\n", topo_pus(t));
	fprintf(out, "NUMA nodes: %d\n", topo_numa_nodes(t));
	fprintf(out, "caches:     %s\n", caches[0] ? caches : "(none)");
	fprintf(out, "hwloc:      %s\n", version);
	fprintf(out, "layout (PU numbers are OS indexes):\n");
	describe_layout(t, out);
}

int topo_export_xml(const struct topo *t, const char *path)
{
	return hwloc_topology_export_xml(t->topo, path, 0) < 0 ? -1 : 0;
}
