/* SPDX-License-Identifier: MIT */
/*
 * channel — one message-passing interface over six kinds of IPC, so that
 * experiments can put Python's Pipe and Queue next to a socket, a POSIX
 * message queue and a shared-memory ring and compare like with like. It
 * models multiprocessing's Pipe (Lib/multiprocessing/connection.py) and
 * Queue (Lib/multiprocessing/queues.py); each kind's file says what of them
 * it mirrors.
 *
 * A channel carries whole messages of any length (0 bytes to 4 GiB - 1;
 * pipe, duplex, unix and queue, framed as Connection is, to SSIZE_MAX):
 * every message sent is received exactly once, and the messages of one
 * sender arrive in the order it sent them. A peer that dies is reported
 * (EOF, EPIPE, or a timeout) instead of hanging.
 *
 *   pipe    a pipe with length-prefixed messages, as multiprocessing's
 *           Pipe(duplex=False): one sender and one receiver. Read as
 *           Connection.recv_bytes does: the 4-byte length, then the payload
 *           (two reads per message).
 *   duplex  the same framing over a socketpair, like Pipe(duplex=True): two
 *           ends, A and B, each of which sends to and receives from the other.
 *   pipe-batched  pipe with a reader Python does not have: 64 KiB reads,
 *           many messages parsed per read (what two reads per message cost).
 *   queue   multiprocessing.Queue: a pipe, a writer lock shared by all
 *           senders, a reader lock shared by all receivers, a feeder thread
 *           per sending process that writes what put() buffered (so put does
 *           not block on a full pipe), and maxsize (a semaphore: put blocks
 *           when maxsize messages are in flight). Many senders, many receivers.
 *   unix    a Unix-domain stream socket pair used one way, framed and read
 *           as pipe.
 *   mqueue  a POSIX message queue; a message longer than the queue's message
 *           size goes in pieces under a writer lock. Many senders/receivers.
 *   shm     a bounded byte ring in shared memory mapped before fork. With one
 *           sender and one receiver (opts.senders = opts.receivers = 1) it is
 *           lock-free; otherwise (or with opts.mpmc) one sender and one
 *           receiver at a time hold a process-shared lock. Waiting spins
 *           briefly, then sleeps on a futex. Long messages stream in pieces.
 *   manager-queue  Manager().Queue(): a proxy to a queue in a manager's
 *           server process (lib/models/manager.h), every send and recv a
 *           request and its reply over a unix socket. Many senders and
 *           receivers. Made with opts.manager; the server's death is
 *           -ECONNRESET. The manager outlives its channels: end it with
 *           manager_shutdown after the processes that use it are reaped.
 *
 * Use: create before fork(); in every process that uses it, call
 * channel_open() with its role (this closes the ends it does not use, which
 * is what makes a dead peer visible as EOF/EPIPE); channel_close() before the
 * process leaves (for queue it writes out what the feeder still holds, as
 * Python does at exit). A process that keeps both roles of a one-way channel
 * cannot see its peers die and relies on timeouts, as with Python's Queue.
 *
 * Errors are negative errno values:
 *   -EPIPE       send: no receiver left; recv: no sender left and nothing
 *                left to receive (end of stream)
 *   -ECONNRESET  a peer died in the middle of a message: the channel is broken
 *   -ETIMEDOUT   nothing arrived (recv) or no room came free (send) in time
 *   -EAGAIN      timeout 0 and nothing to receive / no room (queue's
 *                get_nowait raising Empty, put_nowait raising Full)
 *   -EMSGSIZE    recv: the message was longer than the buffer (it is
 *                consumed; the buffer holds its first bytes)
 *   -EINVAL      a role or argument that does not fit the kind
 * A process that uses channels ignores SIGPIPE (channel_create sets it when
 * it is at its default): a dead receiver is reported as -EPIPE instead.
 *
 * The interpreter's cost (opts.call_ns, every kind; 0, the default: none):
 * CPython's Connection and Queue run Python code at every call, on top of
 * the system calls these models make. With call_ns set, each call spends
 * that much CPU work (lib/core/workload ticks, never a sleep) in the
 * calling thread: send before it writes (Connection.send_bytes builds the
 * header, Queue.put takes the semaphore and the Condition and appends),
 * recv after it has read (recv_bytes makes the bytes object, Queue.get
 * unpickles), and, for queue only, the feeder thread before each write
 * (the feeder's popleft, dumps, writer lock and send_bytes): feed for a
 * message it waited for or found after its buffer ran empty (_feed's outer
 * loop: the Condition, its wait, the IndexError that ended the last
 * batch), feed_more for one it finds still draining (the inner loop), as a
 * stream's messages mostly are. The costs are
 * measured elsewhere (bench/cpython/ipc.py model=calibrate, by CPython);
 * channel_charges says what was spent.
 *
 * The GIL (opts.gil, queue only; NULL, the default: none): CPython's
 * put/get run in a Python thread and the feeder is one too, so they share
 * the process's GIL (lib/models/gil.h). With opts.gil set, a thread that
 * calls send/recv/flush/close while it holds that GIL (gil_take'n, see
 * gil_current) runs the charged work under it with gil_compute (polling
 * drop requests) and drops it around every blocking call: the reader lock
 * with the 4-byte header's read, the payload's read, a full queue's
 * semaphore, flush's wait and close's join (Condition.wait, os.read,
 * SemLock.acquire, Thread.join). The feeder is a Python thread of the same
 * GIL: it takes it when its wait ends, runs its per-message work under it,
 * drops it around the writer lock and the write, and takes it back after
 * (os.write's Py_END_ALLOW_THREADS) before it looks for the next message;
 * it waits for more with the GIL dropped. So a caller that computes after
 * put delays the message until it blocks or its switch interval ends. A
 * thread that does not hold the GIL calls as without it. The GIL belongs
 * to one process: a forked child that uses the channel takes (or
 * gil_init's afresh) its copy. channel_charges counts the feeder's takes.
 *
 * CPython versions: multiprocessing.Queue (channel_queue.c) follows 3.11's
 * Lib/multiprocessing/queues.py. CPython's BoundedSemaphore(maxsize) exists
 * always (SEM_VALUE_MAX when unbounded) and every put takes it; the model
 * takes it only when bounded, and has no qsize() or full(). 3.14: the default
 * start method on Linux is forkserver (the model forks); 3.12, 3.13: put, get
 * and the feeder not re-read line by line for this note. The framing: see
 * channel_stream.c.
 */
#ifndef PB_CHANNEL_H
#define PB_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum channel_kind {
	CH_PIPE,
	CH_DUPLEX,
	CH_QUEUE,
	CH_UNIX,
	CH_MQUEUE,
	CH_SHM,
	CH_PIPE_BATCHED,
	CH_MANAGER,
	CH_NKINDS
};

const char *channel_kind_name(enum channel_kind k);
/* "pipe", "duplex", ...; false when the name is unknown. */
bool channel_kind_parse(const char *name, enum channel_kind *out);
/* Two-ended kinds (duplex): roles are CH_END_A and CH_END_B. */
bool channel_kind_duplex(enum channel_kind k);

struct channel_opts {
	size_t maxsize;	   /* queue: messages in flight before put blocks; 0: unbounded */
	size_t ring_bytes; /* shm: ring capacity, rounded up to a power of two; 0: 1 MiB */
	int senders;	   /* shm: 1 with receivers == 1 selects the lock-free ring */
	int receivers;
	bool mpmc;	  /* shm: the locked ring even for one sender and one receiver */
	long mq_depth;	  /* mqueue: messages; 0: min(10, fs.mqueue.msg_max) */
	long mq_msgsize;  /* mqueue: bytes per message; 0: min(8192, fs.mqueue.msgsize_max) */
	int spin_us;	  /* shm: the most a waiter polls before it sleeps (none when the
			   * other side last ran on its PU); 0: 50 us (none on one PU); < 0: never */
	bool shm_classic; /* shm: the ring as it was before issue 14 (payloads
			   * 8 bytes off a cache line, quarter-ring pieces), kept
			   * for ipc-throughput's before/after */
	const struct manager_ref *manager; /* manager-queue: the server (qid 0: a new
					    * queue there) or a queue in it (attach) */
	struct channel_call_ns {
		double send, recv; /* ns of CPU work per send / recv call; 0: none */
		double feed;	   /* queue only: per message, in the feeder thread */
		double feed_more;  /* queue only: per message the feeder finds without
				    * waiting, still in _feed's inner loop (popleft,
				    * dumps, the lock, send_bytes); 0: feed */
	} call_ns;
	struct gil *gil; /* queue: the process's GIL, see above; NULL: none */
};

/* What opts.call_ns spent in this process: calls charged and workload ticks
 * spent, per call (CH_CALL_SEND, CH_CALL_RECV, CH_CALL_FEED, and
 * CH_CALL_FEED_MORE for the feeder's messages charged feed_more). */
enum { CH_CALL_SEND, CH_CALL_RECV, CH_CALL_FEED, CH_CALL_FEED_MORE, CH_NCALLS };
struct channel_charges {
	unsigned long long calls[CH_NCALLS], ticks[CH_NCALLS];
	/* opts.gil: the feeder's GIL takes and the time it waited in them */
	unsigned long long feeder_gil_takes, feeder_gil_wait_ns;
};

struct channel;
struct gil;
struct manager_ref;

/* Create a channel of kind (opts may be NULL). NULL with err filled on
 * failure; for mqueue the message says which system limit was hit and how
 * to raise it. */
struct channel *channel_create(enum channel_kind kind, const struct channel_opts *opts, char *err,
			       size_t errlen);

/* Roles: CH_SEND, CH_RECV or both for one-way kinds; CH_END_A or CH_END_B
 * for duplex. */
enum { CH_SEND = 1, CH_RECV = 2, CH_END_A = 4, CH_END_B = 8 };
/* Take a role in this process (after fork). 0 or -EINVAL. */
int channel_open(struct channel *ch, int role);

/* timeout_ms: -1 waits for ever, 0 does not wait, > 0 milliseconds. The
 * timeout covers waiting for the message to start (recv) or for room
 * (send, and queue's maxsize); once a message has started it is finished or
 * the peer's death is reported. */
int channel_send(struct channel *ch, const void *buf, size_t len, int timeout_ms);
/* The message's length (>= 0), or a negative errno (see above). */
ssize_t channel_recv(struct channel *ch, void *buf, size_t cap, int timeout_ms);

/* Is there nothing to receive right now? A hint, as Queue.empty() is: a
 * message still in a sender's feeder buffer is not seen, and another
 * receiver may take the message this one saw before it calls recv. */
bool channel_empty(struct channel *ch);
/* queue: Queue.qsize(), maxsize minus the semaphore's value (messages put
 * and not yet got, buffered ones included); Queue.full(), the semaphore at
 * 0 (an unbounded queue's maxsize is SEM_VALUE_MAX, as CPython's). Other
 * kinds: -EOPNOTSUPP and false. */
long channel_qsize(struct channel *ch);
bool channel_full(struct channel *ch);

/* Connection's length header (Lib/multiprocessing/connection.py,
 * _send_bytes): a 4-byte big-endian length up to 0x7fffffff, else -1 and
 * an 8-byte one. Writes it to out and returns its size (4 or 12). */
#define CHANNEL_HDR_MAX 12
size_t channel_conn_header(uint64_t len, unsigned char out[CHANNEL_HDR_MAX]);
/* _recv_bytes' reading of it: the length in the first 4 bytes, or -1 when
 * the next 8 bytes (channel_conn_long) carry it. */
int64_t channel_conn_short(const unsigned char in[4]);
uint64_t channel_conn_long(const unsigned char in[8]);

/* queue: wait until everything this process put has been written into the
 * pipe (Python's close() + join_thread()). Other kinds: 0 at once. */
int channel_flush(struct channel *ch);

/* Leave the channel in this process: flush (queue), wake waiters, close
 * this process's ends and free the handle. Other processes keep theirs. */
void channel_close(struct channel *ch);

/* The charges opts.call_ns made in this process so far (all zero without). */
void channel_charges(const struct channel *ch, struct channel_charges *out);

/* manager-queue: the queue's reference (its server's address and id), to
 * hand to a process that did not inherit the channel (a pool worker):
 * channel_create(CH_MANAGER, {.manager = &ref}) there attaches to it. */
int channel_manager_ref(const struct channel *ch, struct manager_ref *out);

#endif
