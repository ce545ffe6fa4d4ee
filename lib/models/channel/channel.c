/* SPDX-License-Identifier: MIT */
/*
 * channel — the interface and the helpers every kind shares. The kinds
 * live in channel_stream.c (pipe, duplex, unix), channel_queue.c,
 * channel_mqueue.c and channel_shm.c.
 */
#include "channel_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *const kind_names[CH_NKINDS] = { "pipe", "duplex", "queue",
						   "unix", "mqueue", "shm" };

const char *channel_kind_name(enum channel_kind k)
{
	return (unsigned)k < CH_NKINDS ? kind_names[k] : "?";
}

bool channel_kind_parse(const char *name, enum channel_kind *out)
{
	for (int k = 0; k < CH_NKINDS; k++) {
		if (strcmp(name, kind_names[k]) == 0) {
			*out = (enum channel_kind)k;
			return true;
		}
	}
	return false;
}

bool channel_kind_duplex(enum channel_kind k)
{
	return k == CH_DUPLEX;
}

/* ---- helpers ---- */

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

/* ---- the interface ---- */

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
	ch->role = kind == CH_DUPLEX ? CH_END_A | CH_END_B : CH_SEND | CH_RECV;
	if (kind == CH_QUEUE)
		rc = ch_queue_create(ch, opts, err, errlen);
	else if (kind == CH_MQUEUE)
		rc = ch_mqueue_create(ch, opts, err, errlen);
	else if (kind == CH_SHM)
		rc = ch_shm_create(ch, opts, err, errlen);
	else
		rc = ch_stream_create(ch, err, errlen);
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

	if (!ch || (!buf && len) || len > (size_t)UINT32_MAX - 1)
		return !ch || (!buf && len) ? -EINVAL : -EMSGSIZE;
	rc = ch->ops->send(ch, buf, len, deadline_of(timeout_ms));
	return rc == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : rc;
}

ssize_t channel_recv(struct channel *ch, void *buf, size_t cap, int timeout_ms)
{
	ssize_t rc;

	if (!ch || (!buf && cap))
		return -EINVAL;
	rc = ch->ops->recv(ch, buf, cap, deadline_of(timeout_ms));
	return rc == -ETIMEDOUT && timeout_ms == 0 ? -EAGAIN : rc;
}

bool channel_empty(struct channel *ch)
{
	return ch->ops->empty(ch);
}

int channel_flush(struct channel *ch)
{
	return ch->ops->flush(ch);
}

void channel_close(struct channel *ch)
{
	if (!ch)
		return;
	ch->ops->close(ch);
	free(ch);
}
