/* SPDX-License-Identifier: MIT */
/*
 * gil_threads — the engine of the gil-* experiments (bench/gil/): K CPU
 * threads and at most one IO thread, with or without the GIL. The IO thread
 * does N round trips of one byte through pipes to an echo process; the CPU
 * threads compute a fixed number of ticks each, or until the IO thread is
 * done. The echo answers after echo_ns, the latency of the "device" (a LAN
 * round trip, a disk read): long enough that a waiting CPU thread takes the
 * GIL while the IO thread is blocked.
 */
#ifndef PB_GIL_THREADS_H
#define PB_GIL_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gil.h"
#include "topo.h"

/* How a CPU thread computes: Python code polling the drop request every
 * tick, long C calls that hold the GIL without polling, or C code that
 * releases the GIL around each call (lib/models/gil.h). */
enum gx_cpu_mode { GX_CPU_POLL, GX_CPU_NOPOLL, GX_CPU_RELEASED };

struct gil_threads_spec {
	bool with_gil;		   /* false: the same threads, free-threaded */
	unsigned long switch_us;   /* the GIL's switch interval */
	int cpu_threads;	   /* K >= 0 */
	uint64_t cpu_ticks;	   /* ticks per CPU thread; 0: until the IO thread is done */
	enum gx_cpu_mode cpu_mode; /* with cpu_ticks > 0; GX_CPU_POLL otherwise */
	uint64_t call_ticks;	   /* NOPOLL, RELEASED: ticks per C call (0: one call) */
	int round_trips;	   /* N >= 0; 0: no IO thread and no echo process */
	int warmup;		   /* round trips before the N that are recorded */
	uint64_t echo_ns;	   /* the echo process answers after this long */
	size_t slice_cap;	   /* time slices recorded per thread */
	const struct topo *topo;   /* NULL: no pinning */
	const struct placement *placement; /* slot 0: the IO thread if any, then CPU threads */
};

struct gil_threads_result {
	double *latency_us;	    /* round_trips of them */
	int nthreads;		    /* IO thread (if any) first, then the CPU threads */
	struct gil_thread *threads; /* each thread's GIL counters and slices */
	int *ran_on;		    /* nthreads: PU each thread last ran on (-1: unknown) */
	uint64_t cpu_ticks;	    /* done by all CPU threads */
	/* recorded round trips in which the IO thread lost the GIL to another
	 * thread inside sendall, inside recv (it took the GIL back as a switch) */
	int lost_at_send, lost_at_recv;
	double cpu_rate;	/* sum over CPU threads of ticks / time from start to end */
	unsigned long switches; /* the GIL's switch_number at the end */
	double *turn_slice_us;	/* the CPU threads' slices as gil.py sees them */
	size_t nturn_slices;	/* (turn_look in gil_threads.c), first and last cut */
	double wall_s;		/* from the start signal to the last join */
	char error[256];
};

/* Run it. 0, or -1 with r->error; either way every thread is joined, the
 * echo process reaped and every fd closed. Free r with gil_threads_result_free. */
int gil_threads_run(const struct gil_threads_spec *s, struct gil_threads_result *r);
void gil_threads_result_free(struct gil_threads_result *r);

#endif
