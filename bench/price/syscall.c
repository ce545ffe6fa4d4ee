/* SPDX-License-Identifier: MIT */
/*
 * price, system calls and memory mapping — a null system call (getppid,
 * the loop of perf bench syscall basic, its peer), clock_gettime (the
 * vDSO: no kernel entry), a page fault on fresh memory (first touch of an
 * anonymous page, huge pages off), and mmap + munmap of one page. The
 * calls too short to time one by one are timed in batches of 64.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "peer.h"
#include "price.h"

#define BATCH 64
#define REGION_PAGES 1024

static int getppid_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	(void)ctx;
	(void)c;
	for (size_t i = 0; i < n; i += BATCH) {
		uint64_t t0 = clock_now_ns();
		size_t k = n - i < BATCH ? n - i : BATCH;

		for (size_t j = 0; j < k; j++)
			syscall(SYS_getppid); /* never cached by the C library */
		for (size_t j = 0; j < k; j++)
			ns[i + j] = (double)(clock_now_ns() - t0) / (double)k;
	}
	return 0;
}

static int clock_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	struct timespec ts;
	uint64_t sink = 0;

	(void)ctx;
	(void)c;
	for (size_t i = 0; i < n; i += BATCH) {
		uint64_t t0 = clock_now_ns();
		size_t k = n - i < BATCH ? n - i : BATCH;

		for (size_t j = 0; j < k; j++) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			sink += (uint64_t)ts.tv_nsec;
		}
		for (size_t j = 0; j < k; j++)
			ns[i + j] = (double)(clock_now_ns() - t0) / (double)k;
	}
	__asm__ volatile("" : : "r"(sink));
	return 0;
}

/* Regions of REGION_PAGES fresh pages, each page's first write timed. */
static int fault_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)c;
	for (size_t i = 0; i < n; i += REGION_PAGES) {
		size_t k = n - i < REGION_PAGES ? n - i : REGION_PAGES;
		volatile char *m = mmap(NULL, k * page, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			return pb_fail(ctx, "mmap: %s", strerror(errno));
		madvise((void *)m, k * page, MADV_NOHUGEPAGE);
		for (size_t j = 0; j < k; j++) {
			uint64_t t0 = clock_now_ns();

			m[j * page] = 1;
			ns[i + j] = (double)(clock_now_ns() - t0);
		}
		munmap((void *)m, k * page);
	}
	return 0;
}

static int mmap_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)c;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = clock_now_ns();
		void *m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			       0);

		if (m == MAP_FAILED)
			return pb_fail(ctx, "mmap: %s", strerror(errno));
		munmap(m, page);
		ns[i] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

/* perf bench syscall basic -l n: n getppid() calls, "usecs/op". */
static int perf_syscall(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op)
{
	char loops[32], *text = malloc(PEER_TEXT);
	char *argv[] = { "perf", "bench", "syscall", "basic", "-l", loops, NULL };
	int rc;

	(void)c;
	if (!text)
		return pb_fail(ctx, "out of memory");
	snprintf(loops, sizeof(loops), "%ld", n);
	rc = peer_run(ctx, argv, 1, NULL, NULL, text);
	*ns_per_op = peer_number_before(text, "usecs/op") * 1e3;
	if (rc == 0 && isnan(*ns_per_op))
		rc = pb_fail(ctx, "perf bench syscall basic: no usecs/op (%.120s)", text);
	free(text);
	return rc;
}

// clang-format off
const struct price_prim price_syscall[] = {
	{ .model = "getppid", .what = "a null system call (getppid)", .ours = getppid_ops,
	  .pins = PRICE_ONE, .workers = 1, .ops = { 50000, 100000, 1000000 }, .op_ns = 1100,
	  .peer = "perf bench syscall basic", .pair_model = "getppid-vs-perf",
	  .peer_run = perf_syscall, .pair_ops = { 100000, 100000, 100000 },
	  .peer_fixed_s = 0.03 },
	{ .model = "clock-gettime", .what = "clock_gettime(CLOCK_MONOTONIC)", .ours = clock_ops,
	  .pins = PRICE_ONE, .workers = 1, .ops = { 200000, 1000000, 3000000 }, .op_ns = 30 },
	{ .model = "page-fault", .what = "first write to a fresh anonymous page",
	  .ours = fault_ops, .pins = PRICE_ONE, .workers = 1, .ops = { 4096, 16384, 32768 },
	  .op_ns = 14e3 },
	{ .model = "mmap-munmap", .what = "mmap + munmap of one page", .ours = mmap_ops,
	  .pins = PRICE_ONE, .workers = 1, .ops = { 5000, 20000, 50000 }, .op_ns = 5500 },
	{ .model = NULL },
};
// clang-format on
