/* SPDX-License-Identifier: MIT */
/* The insides of lib/channel: what every kind's file shares. Not for bench/. */
#ifndef PB_CHANNEL_IMPL_H
#define PB_CHANNEL_IMPL_H

#include <pthread.h>
#include <stdint.h>

#include "channel.h"

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
	int (*flush)(struct channel *ch);
	void (*close)(struct channel *ch);
};

struct channel {
	enum channel_kind kind;
	const struct channel_ops *ops;
	int role; /* the roles this process holds */
	void *priv;
};

/* The message header of the byte-stream kinds (pipe, duplex, unix, queue). */
typedef uint32_t ch_len_t;

/* ---- helpers (channel.c) ---- */
void ch_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint64_t ch_now(void);
/* Nanoseconds from now to deadline, capped at cap (0 when it has passed). */
uint64_t ch_left(uint64_t deadline, uint64_t cap);
/* poll one fd until deadline; the revents, 0 on timeout, -errno on error. */
int ch_poll(int fd, short events, uint64_t deadline);
void ch_close_fd(int *fd);
/* A shared anonymous mapping (visible to children forked afterwards). */
void *ch_shared_alloc(size_t len);

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
int ch_stream_create(struct channel *ch, char *err, size_t errlen);
int ch_queue_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen);
int ch_mqueue_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen);
int ch_shm_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen);

#endif
