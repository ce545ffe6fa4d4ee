/* SPDX-License-Identifier: MIT */
/*
 * ipc_common — what the ipc-* experiments share: the channel models, the
 * shared page a case's processes report into, spawning and reaping workers,
 * and the stream of ipc-throughput and ipc-scaling (producers send for a
 * while, consumers count and check).
 */
#ifndef PB_IPC_COMMON_H
#define PB_IPC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "channel.h"
#include "harness.h"

/* The models: a channel kind and how it is made. A case names its model
 * by the parameter "channel", an index into ipc_models. manager-queue's
 * channels live in a manager's server: ipc_make starts one per case (its
 * queues share it, as two m.Queue() of one Manager() do) and ipc_end
 * shuts it down after the workers are reaped. */
struct ipc_model {
	const char *name;
	enum channel_kind kind;
	bool mpmc;
};

enum {
	IPC_PIPE,
	IPC_DUPLEX,
	IPC_UNIX,
	IPC_QUEUE,
	IPC_MQUEUE,
	IPC_SHM,
	IPC_SHM_MPMC,
	IPC_PIPE_BATCHED,
	IPC_MANAGER, /* last: a new model adds cases, renames none */
	IPC_NMODELS
};
extern const struct ipc_model ipc_models[IPC_NMODELS];

#define IPC_T_MS 10000 /* no wait in a case is longer: a dead peer is a failed case */

/* One shared page per case: the first error any process met, and results. */
struct ipc_shared {
	int failed;
	char err[200];
	uint64_t t_end_ns;
	uint64_t count[16], bytes[16], sum[16]; /* per worker */
};

struct ipc_shared *ipc_shared_new(void);
void ipc_shared_free(struct ipc_shared *sh);
/* In a worker: record the first failure of the case; returns 1 (an exit status). */
int ipc_worker_fail(struct ipc_shared *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Worker `slot` is born on its PU (the spawner binds itself, forks, and
 * goes back), runs fn and leaves with _exit. */
pid_t ipc_spawn(struct pb_ctx *ctx, int slot, int (*fn)(void *), void *arg);
/* Reap every worker (pids <= 0 are skipped); the first failure becomes the
 * case's reason. */
int ipc_reap(struct pb_ctx *ctx, const pid_t *pids, int n, struct ipc_shared *sh);
/* Bind the case process itself to worker slot's PU (if the placement has one). */
int ipc_bind_self(struct pb_ctx *ctx, int slot);
/* A channel of model m (its kind, and mpmc); NULL after pb_fail. For
 * manager-queue, the case's manager is started first (its server born on
 * worker slot 0's PU). */
struct channel *ipc_make(struct pb_ctx *ctx, int m, struct channel_opts o);
/* After the workers are reaped: shut down the case's manager, if it has
 * one (a server that had died fails the case). 0 or -1 after pb_fail. */
int ipc_end(struct pb_ctx *ctx);

/* P producers stream msg_bytes messages for send_ms to C consumers over
 * the case's channel: msgs_per_s, bytes_per_s and messages, after checking
 * that every message arrived exactly once and in each producer's order. */
int ipc_run_stream(struct pb_ctx *ctx, int m, size_t msg_bytes, uint64_t send_ms, int p, int nc);

/* The round trips ipc-latency times in a case (latency_gil.c), the C
 * channels', the interpreter's and their cpython twins' alike. */
int64_t latency_trips(const struct pb_config *cfg);
/* What measuring CPython's cost per call takes (ipc.py model=calibrate, in
 * every repetition of a case that charges it): 0.4 s on a 2-vCPU AMD EPYC
 * VM (quick run 20261207T161142Z: duplex-py 0.45 s a repetition for 400
 * round trips), for the estimates. */
#define IPC_PY_CALIBRATE_EST_S 0.4
/* ipc-latency's Queue-under-the-GIL cases (latency_gil.c). */
/* The busy_us sweep of the queue-py-busy cases and their cpython twin
 * (into *busy, returns how many), their round trips and estimate. */
int queue_busy_sweep(const struct pb_config *cfg, const double **busy);
int64_t queue_busy_trips(const struct pb_config *cfg);
double queue_busy_estimate(const struct pb_config *cfg, double busy_us);
void latency_gil_plan(struct pb_plan *plan, const struct pb_config *cfg);
/* The same stream without metrics, for a case that runs several (a
 * pairing): opts adds channel options (senders and receivers are set from
 * producers and consumers; maxsize, when 0, keeps ~1 MiB in flight); timed starts and stops the case's timer around
 * it. What the consumers received, and the seconds from the start line to
 * the last consumer's end, into out; 0, or -1 after pb_fail. */
struct ipc_stream_job {
	struct channel_opts opts;
	size_t msg_bytes;
	uint64_t send_ms;
	int producers, consumers;
	bool timed;
};
struct ipc_stream_out {
	double seconds;
	uint64_t messages, bytes;
};
int ipc_stream(struct pb_ctx *ctx, int m, const struct ipc_stream_job *job,
	       struct ipc_stream_out *out);

/* Is reply (got bytes, as channel_recv returned) the ping of msg_bytes that
 * carried seq? A ping carries the first min(msg_bytes, 8) bytes of seq;
 * only those are compared, never the buffer past the reply. */
bool ipc_reply_ok(const void *reply, ssize_t got, size_t msg_bytes, uint64_t seq);

#endif
