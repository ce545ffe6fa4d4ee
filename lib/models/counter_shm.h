/* SPDX-License-Identifier: MIT */
/*
 * counter_shm — inside lib/models/counter: the shared page that counter.c's
 * variants count in and counter_run.c's workers start from. Not for use
 * outside those two files.
 *
 * CPython versions: see counter.c's opening comment.
 */
#ifndef PB_COUNTER_SHM_H
#define PB_COUNTER_SHM_H

#include <pthread.h>
#include <stdbool.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>

#include "counter.h"
#include "gil.h"
#include "workload.h"

/* Two cache lines: Intel's adjacent-line prefetcher moves lines in pairs,
 * so 64-byte padding would still let neighbours share. */
#define LINE 128
#define MAX_WORKERS 4096

enum { GO_WAIT, GO_RUN, GO_ABORT };

/* One per worker, alone on its lines: nobody else writes them. */
struct counter_slot {
	_Alignas(LINE) _Atomic uint64_t shard; /* sharded: this worker's count */
	uint64_t start_ns;		       /* when it saw the start signal */
	uint64_t end_ns;		       /* when its last increment was done */
	uint64_t sink;			       /* the window's work, so it is done */
	uint64_t takes, gives;		       /* value-unlocked: lock takes and give-backs */
	uint64_t blocked[2];		       /* ... and takes whose sem_trywait failed:
						* the getter's [0], the setter's [1] */
	struct gil gil;			       /* value-unlocked: the worker's interpreter's GIL */
	uint64_t gil_retakes;		       /* ... taken again after a blocked take */
	uint64_t first_read;		       /* ... the value its first load saw */
	uint64_t last_read;		       /* ... and its last */
	bool loaded;			       /* ... first_read is set */
	int pu;				       /* the PU it finished on */
	atomic_int cpu;			       /* the PU it waits on at the start ... */
	_Atomic uint64_t seen_ns;	       /* ... as seen then */
};

/* The counter and each lock on lines of their own, as Value('i') and its
 * Lock are separate objects: an increment under a lock moves two lines. */
struct counter_shm {
	_Alignas(LINE) _Atomic uint64_t value;
	_Alignas(LINE) pthread_mutex_t mutex;
	_Alignas(LINE) sem_t sem;
	_Alignas(LINE) atomic_int spin;
	_Alignas(LINE) atomic_int ready;  /* workers at the start line */
	atomic_int go;			  /* GO_WAIT, then GO_RUN or GO_ABORT */
	int spread;			  /* how many PUs the workers can be on */
	int workers;			  /* how many slots follow */
	uint64_t window_ticks, gap_ticks; /* the job's, as wl_tick()s */
	uint64_t hold_ticks;		  /* half the job's hold_ns, as wl_tick()s */
	/* value-unlocked: half the hold, the window and the gap as wl_round()s:
	 * CPython's times are tens of ns, a tick about 25 */
	uint64_t hold_rounds, window_rounds, gap_rounds;
	uint64_t go_ns; /* written by the last worker to arrive */
	struct counter_slot slot[];
};

/* n wl_round()s on x: value-unlocked's charged times, tens of ns, where a
 * whole tick (wl_tick, ~25 ns) would round them by half their size. */
static inline uint64_t counter_rounds(uint64_t x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		x = wl_round(x);
	__asm__ volatile("" : : "r"(x) : "memory");
	return x;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

#endif
