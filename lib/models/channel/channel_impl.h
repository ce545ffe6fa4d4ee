/* SPDX-License-Identifier: MIT */
/*
 * channel_impl — the insides of lib/models/channel, not for bench/: the
 * struct behind a channel, the ops a kind implements, the table of kinds
 * (channel_kinds.c) and the helpers the kinds share (channel_util.c). The
 * layering: channel.c (the interface) -> ch_kinds -> the kinds' files ->
 * channel_util.c; no kind calls back into channel.c. What is modelled and
 * which CPython source each kind mirrors is said at the top of its file.
 *
 * CPython versions: see channel.h's opening comment.
 */
#ifndef PB_CHANNEL_IMPL_H
#define PB_CHANNEL_IMPL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "channel.h"
#include "gil.h"

/* Deadlines are CLOCK_MONOTONIC nanoseconds; CH_NOWAIT: do not wait at all. */
#define CH_NOWAIT 0ull
#define CH_FOREVER UINT64_MAX
/* How often a waiter wakes to check whether its peers are still alive. */
#define CH_SLICE_NS 20000000ull

struct channel;

struct channel_ops {
	int (*open)(struct channel *ch, int role);
	int (*send)(struct channel *ch, const void *buf, size_t len, uint64_t deadline);
	ssize_t (*recv)(struct channel *ch, void *buf, size_t cap, uint64_t deadline);
	bool (*empty)(struct channel *ch);
	long (*qsize)(struct channel *ch); /* NULL: -EOPNOTSUPP */
	bool (*full)(struct channel *ch);  /* NULL: false */
	int (*flush)(struct channel *ch);
	void (*close)(struct channel *ch);
};

/* opts.call_ns as workload ticks per call, and what was spent (the feeder
 * thread adds to it too: the counters are atomic). */
struct ch_charge {
	uint64_t per_call[CH_NCALLS];
	uint64_t calls[CH_NCALLS], ticks[CH_NCALLS];
	struct gil *gil;		 /* opts.gil (queue), or NULL */
	uint64_t gil_takes, gil_wait_ns; /* the feeder's, under opts.gil */
};

struct channel {
	enum channel_kind kind;
	const struct channel_ops *ops;
	int role; /* the roles this process holds */
	void *priv;
	struct ch_charge charge;
};

/* Spend the cost of one call of kind `call` (CH_CALL_*) in this thread, if
 * any was set (channel_util.c): under the GIL (gil_compute) when this
 * thread holds c->gil (ch_gil_self), as plain CPU work otherwise. */
void ch_charge_call(struct ch_charge *c, int call);
/* The same with the thread's GIL state given (the feeder's; NULL: none). */
void ch_charge_call_gil(struct ch_charge *c, int call, struct gil_thread *t);
/* The calling thread's state when it holds c->gil now, else NULL. */
struct gil_thread *ch_gil_self(const struct ch_charge *c);

/* The message header of the kinds not framed as Connection (pipe-batched,
 * mqueue); pipe, duplex, unix and queue use channel_conn_header. */
typedef uint32_t ch_len_t;

/* ---- helpers (channel_util.c) ---- */
void ch_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint64_t ch_now(void);
/* Nanoseconds from now to deadline, capped at cap (0 when it has passed). */
uint64_t ch_left(uint64_t deadline, uint64_t cap);
/* poll one fd until deadline; the revents, 0 on timeout, -errno on error. */
int ch_poll(int fd, short events, uint64_t deadline);
void ch_close_fd(int *fd);
/* A shared anonymous mapping (visible to children forked afterwards). */
void *ch_shared_alloc(size_t len);
/* BoundedSemaphore.acquire of a queue's places (s, process-shared): under
 * the GIL (c's) try, then block with it released; every slice, see
 * whether any receiver is left (wr polls POLLERR: -EPIPE). 0, -ETIMEDOUT,
 * -EPIPE or a negative errno. */
int ch_sem_take(sem_t *s, int wr, const struct ch_charge *c, uint64_t deadline);

/* Lifeline: a pipe nobody writes to. Senders hold its write end, receivers
 * its read end; when the last sender is gone (closed or dead) the read end
 * reports POLLHUP, when the last receiver is gone the write end POLLERR. */
struct ch_lifeline {
	int rd, wr;
};
int ch_lifeline_init(struct ch_lifeline *l);
void ch_lifeline_role(struct ch_lifeline *l, int role);
bool ch_lifeline_no_senders(const struct ch_lifeline *l);
bool ch_lifeline_no_receivers(const struct ch_lifeline *l);
void ch_lifeline_close(struct ch_lifeline *l);

/* Process-shared robust mutexes: a holder that dies does not leave the
 * others waiting for ever. lock returns 0, -ETIMEDOUT, or -ECONNRESET when
 * the previous holder died (the caller marks the channel broken). */
int ch_mutex_init(pthread_mutex_t *m);
int ch_mutex_lock(pthread_mutex_t *m, uint64_t deadline);
/* A receiver in the middle of a message whose sender holds m: did the
 * sender die? (trylock: EOWNERDEAD says so.) */
bool ch_mutex_owner_died(pthread_mutex_t *m);

/* Futex wait/wake on a shared word (not FUTEX_PRIVATE: across processes). */
int ch_futex_wait(uint32_t *word, uint32_t val, uint64_t timeout_ns);
void ch_futex_wake(uint32_t *word);

/* ---- the kinds ---- */

/* A kind: its name ("pipe"), whether its roles are the two ends A and B
 * (duplex) rather than send and receive, and how a channel of it is made:
 * create fills ch->priv and ch->ops (ch->kind and ch->role are set), or
 * returns a negative errno with err filled. */
struct ch_kind {
	const char *name;
	bool duplex;
	bool conn_framed; /* Connection's header: messages to SSIZE_MAX, not 4 GiB - 1 */
	int (*create)(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen);
};

/* Each kind's file exports its entry; channel_kinds.c puts them in order. */
extern const struct ch_kind ch_kind_pipe, ch_kind_duplex, ch_kind_unix,
	ch_kind_pipe_batched;		     /* channel_stream.c */
extern const struct ch_kind ch_kind_queue;   /* channel_queue.c */
extern const struct ch_kind ch_kind_mqueue;  /* channel_mqueue.c */
extern const struct ch_kind ch_kind_shm;     /* channel_shm.c */
extern const struct ch_kind ch_kind_manager; /* channel_manager.c */
/* The table, indexed by enum channel_kind. */
extern const struct ch_kind *const ch_kinds[CH_NKINDS];

#endif
