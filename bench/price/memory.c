/* SPDX-License-Identifier: MIT */
/*
 * price, memory — memcpy of 64 KiB on one core, hot in cache (peer: perf
 * bench mem memcpy -f default, glibc's memcpy as well), and the cross-core
 * copy ceiling: one PU copies 64 KiB blocks into a ring of 16 slots and
 * another copies them out (bench/common/ceiling.c), the most any
 * shared-memory channel between two cores can move. One operation is one
 * 64 KiB block; its time in ns, and bytes_per_s beside it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ceiling.h"
#include "clock.h"
#include "peer.h"
#include "price.h"

#define BLOCK 65536
#define COPY_BATCH 16
#define CEILING_MS 10 /* one sample of the ceiling: a run this long */

static int memcpy_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	unsigned char *src = aligned_alloc(64, BLOCK), *dst = aligned_alloc(64, BLOCK);

	(void)c;
	if (!src || !dst) {
		free(src);
		free(dst);
		return pb_fail(ctx, "out of memory");
	}
	memset(src, 0x5a, BLOCK);
	memset(dst, 0, BLOCK);
	for (size_t i = 0; i < n; i += COPY_BATCH) {
		uint64_t t0 = clock_now_ns();
		size_t k = n - i < COPY_BATCH ? n - i : COPY_BATCH;

		for (size_t j = 0; j < k; j++) {
			memcpy(dst, src, BLOCK);
			__asm__ volatile("" : : "r"(dst), "r"(src) : "memory");
		}
		for (size_t j = 0; j < k; j++)
			ns[i + j] = (double)(clock_now_ns() - t0) / (double)k;
	}
	free(src);
	free(dst);
	return 0;
}

/* perf bench mem memcpy -s 64KB -l n -f default: "GB/sec", where perf's GB
 * is 2^30 bytes. */
static int perf_memcpy(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op)
{
	char loops[32], *text = malloc(PEER_TEXT);
	char *argv[] = { "perf", "bench", "mem", "memcpy",  "-s", "64KB",
			 "-l",	 loops,	  "-f",	 "default", NULL };
	double gib;
	int rc;

	(void)c;
	if (!text)
		return pb_fail(ctx, "out of memory");
	snprintf(loops, sizeof(loops), "%ld", n);
	rc = peer_run(ctx, argv, 1, NULL, NULL, text);
	gib = peer_number_before(text, "GB/sec");
	*ns_per_op = BLOCK / (gib * 1073741824.0) * 1e9;
	if (rc == 0 && !(gib > 0))
		rc = pb_fail(ctx, "perf bench mem memcpy: no GB/sec (%.120s)", text);
	free(text);
	return rc;
}

/* n runs of CEILING_MS, each giving the time of one 64 KiB hand-off. */
static int ceiling_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	(void)c;
	for (size_t i = 0; i < n; i++) {
		double bps;
		uint64_t slots;

		if (ipc_copy_ceiling(ctx, BLOCK, 16, CEILING_MS, &bps, &slots) < 0)
			return -1;
		ns[i] = BLOCK / bps * 1e9;
	}
	return 0;
}

// clang-format off
const struct price_prim price_memory[] = {
	{ .model = "memcpy", .what = "memcpy of 64 KiB, one core, hot", .ours = memcpy_ops,
	  .pins = PRICE_ONE, .workers = 1, .ops = { 20000, 60000, 500000 }, .op_ns = 2500,
	  .peer = "perf bench mem memcpy", .pair_model = "memcpy-vs-perf",
	  .peer_run = perf_memcpy, .pair_ops = { 10000, 20000, 40000 }, .peer_fixed_s = 0.03, .peer_op_ns = 2.4e3 },
	{ .model = "copy-ceiling", .what = "64 KiB handed across cores (ring of 16 slots)",
	  .ours = ceiling_ops, .pins = PRICE_CROSS, .workers = 2, .ops = { 5, 20, 50 },
	  .op_ns = CEILING_MS * 1.1e6 },
	{ .model = NULL },
};
// clang-format on
