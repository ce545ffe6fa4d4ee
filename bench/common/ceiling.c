/* SPDX-License-Identifier: MIT */
/*
 * ceiling — two threads on the case's two PUs hand 64 KiB blocks over
 * through a ring of a few slots (ceiling.h). It is the shm ring stripped to
 * what cannot be avoided: the two copies and one flag per slot on a cache
 * line of its own; no length header, no lock. A side that has polled for
 * 50 us (the shm ring's budget; by the clock: 4096 pauses, as it counted
 * before, were 107 us on this EPYC) sleeps on the slot's flag (a futex,
 * 200 us at most) and the other wakes it only when someone sleeps: on a
 * shared VM whose vCPUs do not always run at once, pure spinning measured
 * the hypervisor (0.1 to 2 GB/s), not the copies. When both threads share
 * one PU (one PU here) a waiter sleeps at once: its peer needs that PU.
 *
 * Its low figures (0.7 to 2 GB/s against 10 to 12) came from load, not from
 * the placement: the two threads were on two PUs (pin_wrapped 0) but had a
 * third of them (cpu_user_s 0.07 to 0.10 s in 0.16 s of two threads, 30 to
 * 80 involuntary switches): other processes took the PUs, and a hand-off
 * moves only while both threads run. Callers record that share
 * (cpu_share), and ipc-throughput measures the ring against it paired.
 */
#include "ceiling.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "ipc_common.h"

#define MAX_SLOTS 16
#define SPIN_NS 50000u

struct flag {
	uint32_t full __attribute__((aligned(64)));
};

struct ring {
	struct flag flag[MAX_SLOTS];
	unsigned char *data;	  /* nslots x slot_bytes, 64-aligned */
	unsigned char *src, *dst; /* msg_bytes each: what is copied in and out */
	size_t slot_bytes, msg_bytes;
	int nslots;
	uint32_t sleepers __attribute__((aligned(64)));
	uint32_t stop __attribute__((aligned(64)));
	bool spin; /* the threads are on two PUs: poll before sleeping */
	uint64_t moved;
	struct pb_ctx *ctx;
	int bind_failed;
};

/* Wait while *word == busy: poll, then sleep on it. */
static void wait_while(struct ring *r, uint32_t *word, uint32_t busy)
{
	const struct timespec slice = { 0, 200000 };
	uint64_t until = 0;

	for (unsigned spins = 0; __atomic_load_n(word, __ATOMIC_ACQUIRE) == busy; spins++) {
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			return;
		if (r->spin && spins % 64 == 0 && !until)
			until = clock_now_ns() + SPIN_NS;
		if (r->spin && (spins % 64 || clock_now_ns() < until)) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
			continue;
		}
		__atomic_add_fetch(&r->sleepers, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == busy)
			syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, busy, &slice, NULL, 0);
		__atomic_sub_fetch(&r->sleepers, 1, __ATOMIC_SEQ_CST);
	}
}

static void set_flag(struct ring *r, uint32_t *word, uint32_t v)
{
	__atomic_store_n(word, v, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->sleepers, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Where slot copy i starts in a message-sized source or destination. */
static size_t at(const struct ring *r, uint64_t i)
{
	return (size_t)(i * r->slot_bytes % r->msg_bytes);
}

static void *reader(void *arg)
{
	struct ring *r = arg;

	if (ipc_bind_self(r->ctx, 1) < 0)
		r->bind_failed = 1;
	for (uint64_t i = 0;; i++) {
		struct flag *f = &r->flag[i % (uint64_t)r->nslots];

		wait_while(r, &f->full, 0);
		if (!__atomic_load_n(&f->full, __ATOMIC_ACQUIRE))
			return NULL; /* stopped, and every slot written was taken */
		memcpy(r->dst + at(r, i), r->data + (i % (uint64_t)r->nslots) * r->slot_bytes,
		       r->slot_bytes);
		__asm__ volatile("" : : "r"(r->dst) : "memory");
		set_flag(r, &f->full, 0);
	}
}

/* The writer fills slots until run_ms is over; the time counts until the
 * reader has taken the last one. */
static uint64_t write_for(struct ring *r, uint64_t run_ms)
{
	uint64_t end = clock_now_ns() + run_ms * 1000000ull, i = 0;

	for (; (i & 15) || clock_now_ns() < end; i++) {
		struct flag *f = &r->flag[i % (uint64_t)r->nslots];

		wait_while(r, &f->full, 1);
		memcpy(r->data + (i % (uint64_t)r->nslots) * r->slot_bytes, r->src + at(r, i),
		       r->slot_bytes);
		set_flag(r, &f->full, 1);
	}
	return i;
}

static void ring_free(struct ring *r)
{
	free(r->src);
	free(r->dst);
	free(r->data);
}

int ipc_copy_ceiling(struct pb_ctx *ctx, size_t slot_bytes, int nslots, uint64_t run_ms,
		     double *bytes_per_s, uint64_t *slots)
{
	return ipc_copy_ceiling_msg(ctx, slot_bytes, slot_bytes, nslots, run_ms, bytes_per_s,
				    slots);
}

int ipc_copy_ceiling_msg(struct pb_ctx *ctx, size_t msg_bytes, size_t slot_bytes, int nslots,
			 uint64_t run_ms, double *bytes_per_s, uint64_t *slots)
{
	const struct placement *pl = pb_placement(ctx);
	struct ring r = { .slot_bytes = slot_bytes,
			  .msg_bytes = msg_bytes,
			  .nslots = nslots,
			  .ctx = ctx,
			  .spin = sysconf(_SC_NPROCESSORS_ONLN) > 1 && pl->n >= 2 && !pl->wrapped &&
				  (pl->pu[0] < 0 || pl->pu[0] != pl->pu[1]) };
	pthread_t t;
	uint64_t t0;

	if (nslots < 1 || nslots > MAX_SLOTS || slot_bytes == 0 || msg_bytes % slot_bytes)
		return pb_fail(ctx, "copy ceiling: %d slots of %zu bytes, messages of %zu", nslots,
			       slot_bytes, msg_bytes);
	r.src = aligned_alloc(64, msg_bytes);
	r.dst = aligned_alloc(64, msg_bytes);
	r.data = aligned_alloc(64, slot_bytes * (size_t)nslots);
	if (!r.src || !r.dst || !r.data) {
		ring_free(&r);
		return pb_fail(ctx, "copy ceiling: out of memory");
	}
	/* every page touched before the clock starts */
	memset(r.src, 0x5a, msg_bytes);
	memset(r.dst, 0, msg_bytes);
	memset(r.data, 0, slot_bytes * (size_t)nslots);
	if (ipc_bind_self(ctx, 0) < 0 || pthread_create(&t, NULL, reader, &r) != 0) {
		ring_free(&r);
		return pb_fail(ctx, "copy ceiling: binding or starting the reader failed");
	}
	t0 = clock_now_ns();
	r.moved = write_for(&r, run_ms);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	*bytes_per_s = (double)(r.moved * slot_bytes) / ((double)(clock_now_ns() - t0) / 1e9);
	*slots = r.moved;
	ring_free(&r);
	return r.bind_failed ? pb_fail(ctx, "copy ceiling: binding the reader failed") : 0;
}
