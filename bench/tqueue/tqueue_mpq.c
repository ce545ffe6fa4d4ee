/* SPDX-License-Identifier: MIT */
/*
 * tqueue_mpq — tqueue-prodcons's mp-queue-py: multiprocessing.Queue between
 * a producer and a consumer process as tqueue.py's twin uses it
 * (Queue(maxsize=1024), 64 B items), with CPython's own work per call
 * charged: put, the feeder's per message, get (lib/models/channel's
 * opts.call_ns), as CPython measures them in the same repetition (ipc.py
 * model=calibrate, the queue-py model of ipc-latency). Its rate is over
 * the time tqueue.py's run_mp measures: from before the first
 * Process.start() to the last join(). The C model forks without an
 * interpreter, so the start and join of CPython's two Processes, measured
 * by CPython in the same repetition (tqueue.py model=calibrate-process,
 * py_start_us and py_join_us), are added to the stream's time;
 * stream_msgs_per_s is the rate of the stream alone. It is what threads-py
 * is divided by in the fidelity table: each side's thread queue over its
 * own process queue, both with the interpreter's work.
 */
#include "cpython.h"
#include "ipc_common.h"
#include "tqueue_prodcons.h"

/* The process queue's stream with CPython's costs per call, measured now. */
static int stream(struct pb_ctx *ctx, int producers, int consumers, uint64_t send_ms,
		  struct ipc_stream_out *out)
{
	struct cpython_call_costs py;
	struct ipc_stream_job job = { .msg_bytes = 64,
				      .send_ms = send_ms,
				      .producers = producers,
				      .consumers = consumers,
				      .timed = true };
	int rc = cpython_call_costs(ctx, 64, &py);

	if (rc != 0)
		return rc;
	job.opts = (struct channel_opts){ .maxsize = TQ_MP_MAXSIZE,
					  .call_ns = { .send = py.put_ns,
						       .recv = py.get_ns,
						       .feed = py.feed_ns,
						       .feed_more = py.feed_more_ns } };
	return ipc_stream(ctx, IPC_QUEUE, &job, out) < 0 ? -1 : 0;
}

int tqueue_mpq_py_run(struct pb_ctx *ctx, int producers, int consumers, uint64_t send_ms)
{
	struct cpython_process_costs proc;
	struct ipc_stream_out out;
	double s;
	int rc = cpython_process_costs(ctx, &proc);

	if (rc == 0)
		rc = stream(ctx, producers, consumers, send_ms, &out);
	if (rc != 0)
		return rc > 0 ? 0 : -1; /* skipped (no python), or it said why */
	/* run_mp's clock: the Processes' start, the stream, their join */
	s = proc.start_us / 1e6 + out.seconds + proc.join_us / 1e6;
	pb_metric(ctx, "msgs_per_s", (double)out.messages / s, "msg/s");
	pb_metric(ctx, "stream_msgs_per_s", (double)out.messages / out.seconds, "msg/s");
	pb_metric(ctx, "messages", (double)out.messages, "count");
	return 0;
}
