/* SPDX-License-Identifier: MIT */
/*
 * price — what the operating system charges for each primitive the seeds'
 * programs stand on, one family per file (process.c, thread.c, syscall.c,
 * sync.c, memory.c), each set beside its established peer where it has one
 * (price.c runs them; peer.c runs the peers).
 */
#ifndef PB_PRICE_H
#define PB_PRICE_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

#include "harness.h"
#include "peer.h"

/* Our side: n operations, ns[i] the time of operation i in ns (a sampler
 * that times a batch gives each of its operations the batch's mean). 0, or
 * -1 after pb_fail. */
typedef int (*price_ours_fn)(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n);
/* The peer's side: one run of n operations, its ns per operation. 0; 1 when
 * the peer is missing or does not run here (pb_skip said why); -1 after
 * pb_fail. */
typedef int (*price_peer_fn)(struct pb_ctx *ctx, const struct pb_case *c, long n,
			     double *ns_per_op);

enum { PRICE_ONE = 1, PRICE_CROSS = 2 }; /* pin:single, pin:scatter */

struct price_prim {
	const char *model; /* the case's model: "fork" */
	const char *what;  /* what one operation is: "fork + _exit + waitpid" */
	price_ours_fn ours;
	unsigned pins; /* PRICE_ONE and/or PRICE_CROSS */
	int workers;   /* PUs the primitive uses: 1, or 2 */
	long ops[3];   /* operations per repetition: quick, default, full */
	double op_ns;  /* the plan's guess of one operation, for est_s: the
			* slowest machine met where it was measured (the process,
			* thread and system-call primitives: a 2-vCPU AMD EPYC VM,
			* run 20261207T154950Z), so that estimates err long */
	/* the peer, if any: */
	const char *peer;	 /* what it runs: "stress-ng --fork" */
	const char *pair_model;	 /* the pairing case's model: "fork-vs-stress-ng" */
	price_peer_fn peer_run;	 /* one run of the peer */
	price_ours_fn pair_ours; /* our side of the pairing; NULL: ours */
	long pair_ops[3];	 /* operations per round, both sides */
	double peer_fixed_s;	 /* the peer's own cost per run (start-up, sleeps), for est_s:
				  * stress-ng about 0.2 s, hyperfine 0.15 s on a 2-vCPU AMD
				  * EPYC VM (run 20261207T161308Z's pairings) */
	double peer_op_ns;	 /* the peer's cost of one operation, for est_s; 0: op_ns */
	unsigned pair_pins;	 /* where the pairing runs; 0: pins */
	const char *stressor;	 /* price_stress_ng's stressor */
	bool pair_only;		 /* no plain case: a like-for-like loop paired with its peer */
	const char *explains;	 /* the like-for-like loop's primitive: "fork" */
};

/* The tiny program fork + exec runs: bench/pb-true next to this binary
 * (*is_static), else /bin/true. */
const char *price_tiny_program(bool *is_static);

/* Each family's primitives, ended by a NULL model. */
extern const struct price_prim price_process[], price_thread[], price_syscall[], price_sync[],
	price_memory[], price_like[], price_like_tools[];

/* The primitive a price case measures. */
const struct price_prim *price_prim_of(const struct pb_case *c);
/* Bind the calling thread to worker slot's PU; 0, or -1 after pb_fail. */
int price_bind(struct pb_ctx *ctx, int slot);
/* Peer: `stress-ng --S 1 --S-ops n --metrics-brief` (S = prim->stressor),
 * bound to the case's PUs: its real time over its bogo ops, in ns. */
int price_stress_ng(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op);
/* The same, with during(ctx, pid, arg) run while stress-ng runs. */
int price_stress_ng_during(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op,
			   peer_during_fn during, void *arg);
/* Peer: hyperfine -N running the tiny program n times: its mean (process.c). */
int price_hyperfine_exec(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op);
/* Peer: perf bench futex wake -t 1 -w 1, n wakes (sync.c). */
int price_perf_wake(struct pb_ctx *ctx, const struct pb_case *c, long n, double *ns_per_op);
/* A thread on worker slot's PU running fn(arg); 0, or -1 after pb_fail. */
int price_thread_on(struct pb_ctx *ctx, int slot, pthread_t *t, void *(*fn)(void *), void *arg);

#endif
