/* SPDX-License-Identifier: MIT */
/*
 * tqueue_mpq — tqueue-prodcons's mp-queue-py: multiprocessing.Queue between
 * a producer and a consumer process as tqueue.py's twin uses it
 * (Queue(maxsize=1024), 64 B items), with CPython's own work per call
 * charged: put, the feeder's per message, get (lib/models/channel's
 * opts.call_ns), as CPython measures them in the same repetition (ipc.py
 * model=calibrate, the queue-py model of ipc-latency). It is what threads-py
 * is divided by in the fidelity table: each side's thread queue over its
 * own process queue, both with the interpreter's work per call.
 */
#include "cpython.h"
#include "ipc_common.h"
#include "tqueue_prodcons.h"

int tqueue_mpq_py_run(struct pb_ctx *ctx, int producers, int consumers, uint64_t send_ms)
{
	struct cpython_call_costs py;
	struct ipc_stream_out out;
	int rc = cpython_call_costs(ctx, 64, &py);
	struct ipc_stream_job job = {
		.opts = { .maxsize = TQ_MP_MAXSIZE,
			  .call_ns = { .send = py.put_ns, .recv = py.get_ns, .feed = py.feed_ns } },
		.msg_bytes = 64,
		.send_ms = send_ms,
		.producers = producers,
		.consumers = consumers,
		.timed = true,
	};

	if (rc != 0)
		return rc > 0 ? 0 : -1; /* skipped (no python), or it said why */
	if (ipc_stream(ctx, IPC_QUEUE, &job, &out) < 0)
		return -1;
	pb_metric(ctx, "msgs_per_s", (double)out.messages / out.seconds, "msg/s");
	pb_metric(ctx, "messages", (double)out.messages, "count");
	return 0;
}
