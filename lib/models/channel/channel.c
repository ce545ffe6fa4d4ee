/* SPDX-License-Identifier: MIT */
/*
 * channel — the interface (channel.h): the checks and the timeout
 * arithmetic every kind shares, then a call through the channel's ops. It
 * mirrors the user-facing side of Lib/multiprocessing/connection.py
 * (Connection.send_bytes / recv_bytes / poll / close) and
 * Lib/multiprocessing/queues.py (Queue.put / get / empty / close +
 * join_thread). It knows the kinds only through the table ch_kinds
 * (channel_kinds.c); the kinds live in channel_stream.c (pipe, duplex,
 * unix), channel_queue.c (its feeder thread in channel_queue_feed.c),
 * channel_mqueue.c and channel_shm.c (how a side of the ring waits in
 * channel_shm_wait.c), their shared helpers in channel_util.c.
 *
 * CPython versions: see channel.h's opening comment.
 */
#include "channel_impl.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

const char *channel_kind_name(enum channel_kind k)
{
	return (unsigned)k < CH_NKINDS ? ch_kinds[k]->name : "?";
}

bool channel_kind_parse(const char *name, enum channel_kind *out)
{
	for (int k = 0; k < CH_NKINDS; k++) {
		if (strcmp(name, ch_kinds[k]->name) == 0) {
			*out = (enum channel_kind)k;
			return true;
		}
	}
	return false;
}

bool channel_kind_duplex(enum channel_kind k)
{
	return (unsigned)k < CH_NKINDS && ch_kinds[k]->duplex;
}

/* ---- the interface ---- */

/* opts.call_ns as ticks per call: finite, >= 0, at most a second; feed only
 * where there is a feeder (queue). */
static int charge_init(struct ch_charge *c, enum channel_kind kind,
		       const struct channel_call_ns *ns, char *err, size_t errlen)
{
	const double v[CH_NCALLS] = {
		[CH_CALL_SEND] = ns->send,
		[CH_CALL_RECV] = ns->recv,
		[CH_CALL_FEED] = ns->feed,
		[CH_CALL_FEED_MORE] = ns->feed_more,
	};

	for (int i = 0; i < CH_NCALLS; i++) {
		if (!(v[i] >= 0 && v[i] <= 1e9)) {
			ch_err(err, errlen, "channel: call_ns must be 0 .. 1e9 ns, not %g", v[i]);
			return -EINVAL;
		}
		c->per_call[i] = v[i] > 0 ? wl_ticks_for_ms(v[i] / 1e6) : 0;
		if (v[i] > 0 && c->per_call[i] == 0)
			c->per_call[i] = 1; /* less than a tick is still a cost */
	}
	if ((ns->feed > 0 || ns->feed_more > 0) && kind != CH_QUEUE) {
		ch_err(err, errlen, "channel: call_ns.feed needs a feeder thread (queue), not %s",
		       ch_kinds[kind]->name);
		return -EINVAL;
	}
	return 0;
}

struct channel *channel_create(enum channel_kind kind, const struct channel_opts *opts, char *err,
			       size_t errlen)
{
	static const struct channel_opts none;
	struct channel *ch;
	struct sigaction sa;
	int rc;

	if ((unsigned)kind >= CH_NKINDS) {
		ch_err(err, errlen, "channel: unknown kind %d", (int)kind);
		return NULL;
	}
	if (!opts)
		opts = &none;
	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		ch_err(err, errlen, "channel: out of memory");
		return NULL;
	}
	/* A dead receiver must be an error code, not the end of the process. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	ch->kind = kind;
	ch->role = ch_kinds[kind]->duplex ? CH_END_A | CH_END_B : CH_SEND | CH_RECV;
	rc = charge_init(&ch->charge, kind, &opts->call_ns, err, errlen);
	if (rc == 0 && opts->gil && kind != CH_QUEUE) {
		ch_err(err, errlen, "channel: gil is modelled for queue only, not %s",
		       ch_kinds[kind]->name);
		rc = -EINVAL;
	}
	ch->charge.gil = opts->gil;
	if (rc == 0)
		rc = ch_kinds[kind]->create(ch, opts, err, errlen);
	if (rc < 0) {
		free(ch);
		return NULL;
	}
	return ch;
}

int channel_open(struct channel *ch, int role)
{
	int rc;

	if (!ch)
		return -EINVAL;
	if ((role & ~ch->role) || !role)
		return -EINVAL; /* a role given up earlier cannot come back */
	rc = ch->ops->open(ch, role);
	if (rc == 0)
		ch->role = role;
	return rc;
}

static uint64_t deadline_of(int timeout_ms)
{
	if (timeout_ms < 0)
		return CH_FOREVER;
	if (timeout_ms == 0)
		return CH_NOWAIT;
	return ch_now() + (uint64_t)timeout_ms * 1000000ull;
}

int channel_send(struct channel *ch, const void *buf, size_t len, int timeout_ms)
{
	int rc;

	if (!ch || (!buf && len))
		return -EINVAL;
	if (len > (ch_kinds[ch->kind]->conn_framed ? (size_t)SSIZE_MAX : (size_t)UINT32_MAX - 1))
		return -EMSGSIZE;
	ch_charge_call(&ch->charge, CH_CALL_SEND); /* the Python code before the write */
	rc = ch->ops->send(ch, buf, len, deadline_of(timeout_ms));
	return rc == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : rc;
}

ssize_t channel_recv(struct channel *ch, void *buf, size_t cap, int timeout_ms)
{
	ssize_t rc;

	if (!ch || (!buf && cap))
		return -EINVAL;
	rc = ch->ops->recv(ch, buf, cap, deadline_of(timeout_ms));
	ch_charge_call(&ch->charge, CH_CALL_RECV); /* the Python code after the read */
	return rc == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : rc;
}

bool channel_empty(struct channel *ch)
{
	return ch->ops->empty(ch);
}

long channel_qsize(struct channel *ch)
{
	return ch->ops->qsize ? ch->ops->qsize(ch) : -EOPNOTSUPP;
}

bool channel_full(struct channel *ch)
{
	return ch->ops->full && ch->ops->full(ch);
}

int channel_flush(struct channel *ch)
{
	return ch->ops->flush(ch);
}

void channel_charges(const struct channel *ch, struct channel_charges *out)
{
	for (int i = 0; i < CH_NCALLS; i++) {
		out->calls[i] = __atomic_load_n(&ch->charge.calls[i], __ATOMIC_RELAXED);
		out->ticks[i] = __atomic_load_n(&ch->charge.ticks[i], __ATOMIC_RELAXED);
	}
	out->feeder_gil_takes = __atomic_load_n(&ch->charge.gil_takes, __ATOMIC_RELAXED);
	out->feeder_gil_wait_ns = __atomic_load_n(&ch->charge.gil_wait_ns, __ATOMIC_RELAXED);
}

void channel_close(struct channel *ch)
{
	if (!ch)
		return;
	ch->ops->close(ch);
	free(ch);
}
