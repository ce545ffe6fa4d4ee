/* SPDX-License-Identifier: MIT */
/*
 * channel_util — what the kinds share: deadlines and poll, the lifeline
 * pipe that makes a dead peer visible, process-shared robust mutexes and
 * futexes. The locks play the part of the Lock (a SemLock) that
 * Lib/multiprocessing/queues.py takes around the pipe, made robust so that
 * a holder that dies does not leave the others waiting for ever; the
 * lifeline is how a Connection (Lib/multiprocessing/connection.py) sees a
 * dead peer: the kernel closes its ends. Used by every kind's file; uses
 * none of them and not the interface (channel.c). Also the interpreter's
 * cost a call is charged (opts.call_ns): CPU work from lib/core/workload.
 *
 * CPython versions: see channel.h's opening comment.
 */
#include "channel_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

void ch_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

uint64_t ch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ch_left(uint64_t deadline, uint64_t cap)
{
	uint64_t now;

	if (deadline == CH_FOREVER)
		return cap;
	now = ch_now();
	if (deadline <= now)
		return 0;
	return deadline - now < cap ? deadline - now : cap;
}

int ch_poll(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		uint64_t left = ch_left(deadline, (uint64_t)INT_MAX * 1000000ull);
		int ms = deadline == CH_FOREVER ? -1 : (int)((left + 999999) / 1000000);
		int n = poll(&p, 1, ms);

		if (n > 0)
			return p.revents;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 && ch_left(deadline, 1) == 0)
			return 0;
	}
}

void ch_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void *ch_shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int ch_lifeline_init(struct ch_lifeline *l)
{
	int fd[2];

	if (pipe2(fd, O_CLOEXEC) < 0)
		return -errno;
	l->rd = fd[0];
	l->wr = fd[1];
	return 0;
}

void ch_lifeline_role(struct ch_lifeline *l, int role)
{
	if (!(role & CH_SEND))
		ch_close_fd(&l->wr);
	if (!(role & CH_RECV))
		ch_close_fd(&l->rd);
}

bool ch_lifeline_no_senders(const struct ch_lifeline *l)
{
	struct pollfd p = { .fd = l->rd, .events = POLLIN };

	return l->wr < 0 && l->rd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

bool ch_lifeline_no_receivers(const struct ch_lifeline *l)
{
	struct pollfd p = { .fd = l->wr, .events = POLLOUT };

	return l->rd < 0 && l->wr >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

void ch_lifeline_close(struct ch_lifeline *l)
{
	ch_close_fd(&l->rd);
	ch_close_fd(&l->wr);
}

int ch_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int rc;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	rc = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return -rc;
}

/* The previous holder died: its message may be half written or half read,
 * so the stream cannot be trusted. Make the mutex usable and say so. */
static int owner_died(pthread_mutex_t *m)
{
	pthread_mutex_consistent(m);
	pthread_mutex_unlock(m);
	return -ECONNRESET;
}

/* A timed lock takes a CLOCK_REALTIME deadline (pthread_mutex_timedlock,
 * which ThreadSanitizer knows, unlike pthread_mutex_clocklock). */
int ch_mutex_lock(pthread_mutex_t *m, uint64_t deadline)
{
	struct timespec ts;
	uint64_t left;
	int rc;

	if (deadline == CH_FOREVER) {
		rc = pthread_mutex_lock(m);
	} else if (deadline == CH_NOWAIT) {
		rc = pthread_mutex_trylock(m);
	} else {
		left = ch_left(deadline, UINT64_MAX);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(left / 1000000000ull);
		ts.tv_nsec += (long)(left % 1000000000ull);
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		rc = pthread_mutex_timedlock(m, &ts);
	}
	if (rc == EOWNERDEAD)
		return owner_died(m);
	if (rc == EBUSY || rc == ETIMEDOUT)
		return -ETIMEDOUT;
	return -rc;
}

bool ch_mutex_owner_died(pthread_mutex_t *m)
{
	int rc = pthread_mutex_trylock(m);

	if (rc == EOWNERDEAD) {
		owner_died(m);
		return true;
	}
	if (rc == 0)
		pthread_mutex_unlock(m);
	return false;
}

int ch_futex_wait(uint32_t *word, uint32_t val, uint64_t timeout_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000ull),
			       .tv_nsec = (long)(timeout_ns % 1000000000ull) };

	if (syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0) < 0)
		return -errno;
	return 0;
}

void ch_futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- the interpreter's cost per call (opts.call_ns) ---- */

/* Where the tick chains' results go, so that no call's work is optimised
 * away. */
static uint64_t charge_sink;

struct gil_thread *ch_gil_self(const struct ch_charge *c)
{
	struct gil_thread *t = c->gil ? gil_current() : NULL;

	return t && t->gil == c->gil && t->holding ? t : NULL;
}

void ch_charge_call(struct ch_charge *c, int call)
{
	if (c->per_call[call])
		ch_charge_call_gil(c, call, ch_gil_self(c));
}

void ch_charge_call_gil(struct ch_charge *c, int call, struct gil_thread *t)
{
	uint64_t n = c->per_call[call], x = n + (uint64_t)call;

	if (n == 0)
		return;
	/* gil_compute(t, x | 1, n) == wl_cpu_ticks(x, n): the same work,
	 * polling the GIL's drop request after every tick */
	x = t ? gil_compute(t, x | 1, n) : wl_cpu_ticks(x, n);
	__atomic_store_n(&charge_sink, x, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->calls[call], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&c->ticks[call], n, __ATOMIC_RELAXED);
}

/* ---- Connection's length header (connection.py _send_bytes) ---- */

static void put_be(unsigned char *out, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

static uint64_t get_be(const unsigned char *in, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | in[i];
	return v;
}

size_t channel_conn_header(uint64_t len, unsigned char out[CHANNEL_HDR_MAX])
{
	if (len <= 0x7fffffff) {
		put_be(out, len, 4); /* struct.pack("!i", n) */
		return 4;
	}
	put_be(out, 0xffffffffu, 4); /* struct.pack("!i", -1), then "!Q" */
	put_be(out + 4, len, 8);
	return CHANNEL_HDR_MAX;
}

int64_t channel_conn_short(const unsigned char in[4])
{
	return (int32_t)(uint32_t)get_be(in, 4);
}

uint64_t channel_conn_long(const unsigned char in[8])
{
	return get_be(in, 8);
}

/* ---- a queue's BoundedSemaphore ---- */

/* Take one place, waking every slice to see whether any receiver is left. */
static int sem_take_slices(sem_t *s, int wr, uint64_t deadline)
{
	for (;;) {
		uint64_t ns = ch_left(deadline, CH_SLICE_NS);
		struct timespec ts;
		int rc;

		/* sem_timedwait wants CLOCK_REALTIME; a slice is short enough
		 * that a clock step does no harm */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(ns / 1000000000ull);
		ts.tv_nsec += (long)(ns % 1000000000ull);
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		rc = deadline == CH_NOWAIT ? sem_trywait(s) : sem_timedwait(s, &ts);
		if (rc == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != ETIMEDOUT && errno != EAGAIN)
			return -errno;
		if (ch_poll(wr, POLLOUT, CH_NOWAIT) & POLLERR)
			return -EPIPE;
		if (ch_left(deadline, 1) == 0)
			return -ETIMEDOUT;
	}
}

int ch_sem_take(sem_t *s, int wr, const struct ch_charge *c, uint64_t deadline)
{
	struct gil_thread *t = ch_gil_self(c);
	int rc;

	if (!t || sem_trywait(s) == 0)
		return t ? 0 : sem_take_slices(s, wr, deadline);
	gil_drop(t);
	rc = sem_take_slices(s, wr, deadline);
	gil_take(t);
	return rc;
}
