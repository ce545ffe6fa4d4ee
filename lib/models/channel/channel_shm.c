/* SPDX-License-Identifier: MIT */
/*
 * shm — a bounded byte ring in memory shared by fork. It mirrors no CPython
 * channel: Lib/multiprocessing/shared_memory.py gives Python the shared
 * block but no queue over it; this ring is the comparison point with no
 * pickling, no pipe and no system call per message. The sender copies a
 * message in, the receiver copies it out, and no system call is made while
 * neither has to wait. head (bytes ever written) is stored only by the
 * sender, tail (bytes ever read) only by the receiver; a release store of
 * one and an acquire load by the other are the whole protocol. A message is
 * an 8-byte length and its payload (from 1 KiB on, starting on the next
 * cache line), streamed through in pieces of at most 64 KiB and a quarter
 * of the ring, so a message longer than the ring flows while both copy.
 *
 * The multi-sender/multi-receiver variant is the same ring behind two
 * process-shared locks: one sender and one receiver at a time, each for a
 * whole message. A waiter polls for up to 50 us (none when the other side
 * last ran on its PU), then sleeps on a futex; the other side wakes it
 * only when it has said it sleeps (the "waiting" flag), so the fast path
 * has no system call at all.
 *
 * channel_opts.shm_classic keeps the ring of before issue 14 (payloads
 * right after the length, quarter-ring pieces, a polling budget learnt per
 * handle) for ipc-throughput's before/after; both share the rest.
 */
#include "channel_impl.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEFAULT_RING (1024u * 1024u)
#define DEFAULT_SPIN_NS 50000u
#define ALIGN_MIN 1024u	 /* payloads this long start on a cache line */
#define PIECE_MAX 65536u /* published every 64 KiB: the receiver starts sooner */

/* Counters and sleep flags each on a line of their own: a publish stores
 * its counter and loads a flag that stays cached while nobody sleeps. */
struct ring {
	uint64_t head __attribute__((aligned(64))); /* the sender's */
	uint64_t tail __attribute__((aligned(64))); /* the receiver's */
	/* a sender waits for room */
	uint32_t space_seq __attribute__((aligned(64))); /* bumped to wake it */
	uint32_t sender_wait;				 /* it sleeps (or is about to) */
	int sender_cpu;					 /* its PU + 1 (note_cpu) */
	/* a receiver waits for data */
	uint32_t data_seq __attribute__((aligned(64)));
	uint32_t receiver_wait;
	int receiver_cpu;
	/* the locked variant */
	pthread_mutex_t slock __attribute__((aligned(64)));
	pthread_mutex_t rlock;
	int broken;	    /* a peer died in the middle of a message */
	int senders_opened; /* the lock-free ring allows one of each */
	int receivers_opened;
	unsigned char data[] __attribute__((aligned(64)));
};

struct shm {
	struct ring *r;
	size_t map_len;
	uint64_t cap, chunk;
	uint64_t align_min;	       /* payloads this long start on a cache line; 0: none */
	uint64_t tail_seen, head_seen; /* the other side's counter, last seen */
	uint64_t spin_ns;	       /* the current polling budget (adapt_spin) */
	uint64_t spin_max;	       /* what it may grow to */
	unsigned probe;
	int spin_us; /* as asked at create */
	bool mpmc;
	bool classic; /* the ring before issue 14 (channel_opts.shm_classic) */
	struct ch_lifeline life;
};

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static int mark_broken(struct shm *s)
{
	STORE(&s->r->broken, 1);
	__atomic_add_fetch(&s->r->data_seq, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->r->space_seq, 1, __ATOMIC_SEQ_CST);
	ch_futex_wake(&s->r->data_seq);
	ch_futex_wake(&s->r->space_seq);
	return -ECONNRESET;
}

/* Make [.., pos) visible to the other side and wake it if it sleeps. Store
 * the counter, then load the flag; the sleeper stores the flag, then loads
 * the counter: all four seq_cst, so one of us sees the other's store
 * (Dekker), and no wake-up is lost. */
static void publish(uint64_t *counter, uint64_t pos, uint32_t *seq, uint32_t *wait_flag)
{
	__atomic_store_n(counter, pos, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(wait_flag, __ATOMIC_SEQ_CST)) {
		__atomic_add_fetch(seq, 1, __ATOMIC_SEQ_CST);
		ch_futex_wake(seq);
	}
}

/* Why a wait gives up, checked before each sleep: broken, the other side
 * gone, the sender of a half-read message dead, or the deadline. */
static int check_peers(struct shm *s, bool sender, bool started, uint64_t deadline)
{
	if (LOAD(&s->r->broken))
		return -ECONNRESET;
	if (sender && ch_lifeline_no_receivers(&s->life))
		return -EPIPE;
	if (!sender && ch_lifeline_no_senders(&s->life))
		return started ? mark_broken(s) : -EPIPE;
	if (!sender && started && s->mpmc && ch_mutex_owner_died(&s->r->slock))
		return mark_broken(s);
	if (!started && ch_left(deadline, 1) == 0)
		return -ETIMEDOUT;
	return 0;
}

/* How long to poll before sleeping, learnt per handle: polling pays when
 * the other side runs on another PU and answers within microseconds; when
 * it shares our PU it cannot run while we poll, every poll fails, and the
 * budget halves down to nothing (with a short probe every 32nd wait, should
 * things change). outcome: 0 asks, 1 the poll saw progress, -1 it did not. */
static uint64_t adapt_spin(struct shm *s, int outcome)
{
	uint64_t b = __atomic_load_n(&s->spin_ns, __ATOMIC_RELAXED);

	if (outcome == 0)
		return b ? b :
			   (__atomic_add_fetch(&s->probe, 1, __ATOMIC_RELAXED) % 32 == 0 &&
					    s->spin_max ?
				    2000 :
				    0);
	if (outcome > 0)
		b = b * 2 + 1000 < s->spin_max ? b * 2 + 1000 : s->spin_max;
	else
		b /= 2;
	__atomic_store_n(&s->spin_ns, b, __ATOMIC_RELAXED);
	return b;
}

/* Where this side runs (PU + 1; 0: unknown), stored only when it changed. */
static int note_cpu(struct shm *s, bool sender)
{
	int *mine = sender ? &s->r->sender_cpu : &s->r->receiver_cpu;
	int cpu = sched_getcpu() + 1;

	if (cpu > 0 && __atomic_load_n(mine, __ATOMIC_RELAXED) != cpu)
		__atomic_store_n(mine, cpu, __ATOMIC_RELAXED);
	return cpu;
}

/* How long to poll: the whole budget, unless the other side last ran on
 * our PU (it cannot run while we poll). The classic ring learns it from
 * failed polls, which a loaded stretch can drive to nothing for good. */
static uint64_t spin_budget(struct shm *s, bool sender)
{
	const int *peer = sender ? &s->r->receiver_cpu : &s->r->sender_cpu;
	int cpu;

	if (s->classic)
		return adapt_spin(s, 0);
	if (!s->spin_max)
		return 0;
	cpu = note_cpu(s, sender);
	return cpu > 0 && __atomic_load_n(peer, __ATOMIC_RELAXED) == cpu ? 0 : s->spin_max;
}

/* Wait until *counter != from (data for a receiver, room for a sender:
 * the caller passes the value meaning "nothing yet"). */
static int wait_for(struct shm *s, bool sender, uint64_t from, bool started, uint64_t deadline)
{
	uint64_t *counter = sender ? &s->r->tail : &s->r->head;
	uint32_t *seq = sender ? &s->r->space_seq : &s->r->data_seq;
	uint32_t *flag = sender ? &s->r->sender_wait : &s->r->receiver_wait;
	uint64_t budget = spin_budget(s, sender), spin_until = budget ? ch_now() + budget : 0;

	for (unsigned i = 1; spin_until; i++) {
		if (LOAD(counter) != from) {
			adapt_spin(s, 1); /* (only the classic ring reads what it learns) */
			return 0;
		}
		cpu_relax();
		if (i % 64 == 0 && ch_now() > spin_until)
			break;
	}
	adapt_spin(s, -1);
	/* A side that leaves closes its lifeline end, then bumps seq: checked
	 * after the sleep only, a leaving between our read of seq and the sleep
	 * was seen a slice (20 ms) late, and every stream ended 20 ms late. */
	for (;;) {
		uint32_t v = LOAD(seq);
		int rc = check_peers(s, sender, started, deadline);

		if (rc < 0)
			return LOAD(counter) != from ? 0 : rc;
		__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(counter, __ATOMIC_SEQ_CST) == from)
			ch_futex_wait(seq, v, ch_left(deadline, CH_SLICE_NS));
		__atomic_store_n(flag, 0, __ATOMIC_RELAXED);
		if (LOAD(counter) != from)
			return 0;
	}
}

/* ---- sending ---- */

/* The bytes skipped after a message's header at pos so that a payload of
 * len bytes starts on a cache line: copies in and out of the ring then run
 * at the speed of aligned ones (the classic ring put every payload 8 bytes
 * past where the last one ended). Sender and receiver compute it alike. */
static uint64_t pad_of(const struct shm *s, uint64_t pos, uint64_t len)
{
	return s->align_min && len >= s->align_min ? (64 - (pos & 63)) & 63 : 0;
}

static void copy_in(struct shm *s, uint64_t pos, const unsigned char *src, uint64_t n)
{
	uint64_t off = pos & (s->cap - 1), first = n < s->cap - off ? n : s->cap - off;

	memcpy(s->r->data + off, src, first);
	if (n > first)
		memcpy(s->r->data, src + first, n - first);
}

static int push(struct shm *s, uint64_t *head, const unsigned char *src, uint64_t n,
		uint64_t *deadline)
{
	struct ring *r = s->r;

	while (n > 0) {
		uint64_t room = s->cap - (*head - s->tail_seen), k;
		int rc;

		if (room == 0) {
			s->tail_seen = LOAD(&r->tail);
			room = s->cap - (*head - s->tail_seen);
		}
		if (room == 0) {
			publish(&r->head, *head, &r->data_seq, &r->receiver_wait);
			rc = wait_for(s, true, *head - s->cap, *deadline == CH_FOREVER, *deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		k = n < room ? n : room;
		k = k < s->chunk ? k : s->chunk;
		if (src) {
			copy_in(s, *head, src, k);
			src += k;
		}
		*head += k;
		n -= k;
		*deadline = CH_FOREVER; /* begun: the message will be finished */
		if (n > 0)
			publish(&r->head, *head, &r->data_seq, &r->receiver_wait);
	}
	return 0;
}

static int shm_send(struct channel *ch, const void *buf, size_t len, uint64_t deadline)
{
	struct shm *s = ch->priv;
	uint64_t hdr = len, head;
	int rc;

	if (!(ch->role & CH_SEND))
		return -EINVAL;
	if (LOAD(&s->r->broken))
		return -ECONNRESET;
	if (!s->classic && s->spin_max)
		note_cpu(s, true);
	if (s->mpmc && (rc = ch_mutex_lock(&s->r->slock, deadline)) < 0)
		return rc == -ECONNRESET ? mark_broken(s) : rc;
	head = __atomic_load_n(&s->r->head, __ATOMIC_RELAXED);
	if (s->mpmc) /* other senders moved head: our view of tail may lag it */
		s->tail_seen = LOAD(&s->r->tail);
	rc = push(s, &head, (const unsigned char *)&hdr, sizeof(hdr), &deadline);
	if (rc == 0 && pad_of(s, head, len))
		rc = push(s, &head, NULL, pad_of(s, head, len), &deadline);
	if (rc == 0)
		rc = push(s, &head, buf, len, &deadline);
	if (rc == 0)
		publish(&s->r->head, head, &s->r->data_seq, &s->r->receiver_wait);
	if (s->mpmc)
		pthread_mutex_unlock(&s->r->slock);
	return rc;
}

/* ---- receiving ---- */

static void copy_out(struct shm *s, uint64_t pos, unsigned char *dst, uint64_t n)
{
	uint64_t off = pos & (s->cap - 1), first = n < s->cap - off ? n : s->cap - off;

	memcpy(dst, s->r->data + off, first);
	if (n > first)
		memcpy(dst + first, s->r->data, n - first);
}

/* Take n bytes (dst NULL: skip them). */
static int pull(struct shm *s, uint64_t *tail, unsigned char *dst, uint64_t n, bool *started,
		uint64_t deadline)
{
	struct ring *r = s->r;

	while (n > 0) {
		uint64_t have = s->head_seen - *tail, k;
		int rc;

		if (have == 0) {
			s->head_seen = LOAD(&r->head);
			have = s->head_seen - *tail;
		}
		if (have == 0) {
			publish(&r->tail, *tail, &r->space_seq, &r->sender_wait);
			rc = wait_for(s, false, *tail, *started, *started ? CH_FOREVER : deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		k = n < have ? n : have;
		k = k < s->chunk ? k : s->chunk;
		if (dst) {
			copy_out(s, *tail, dst, k);
			dst += k;
		}
		*tail += k;
		n -= k;
		*started = true;
		if (n > 0)
			publish(&r->tail, *tail, &r->space_seq, &r->sender_wait);
	}
	return 0;
}

static ssize_t recv_message(struct shm *s, unsigned char *buf, size_t cap, uint64_t deadline)
{
	uint64_t tail = __atomic_load_n(&s->r->tail, __ATOMIC_RELAXED), len;
	bool started = false;
	int rc;

	if (s->mpmc) /* other receivers moved tail past our view of head */
		s->head_seen = LOAD(&s->r->head);
	rc = pull(s, &tail, (unsigned char *)&len, sizeof(len), &started, deadline);
	if (rc == 0 && pad_of(s, tail, len))
		rc = pull(s, &tail, NULL, pad_of(s, tail, len), &started, deadline);
	if (rc == 0)
		rc = pull(s, &tail, cap ? buf : NULL, len < cap ? len : cap, &started, deadline);
	if (rc == 0 && len > cap)
		rc = pull(s, &tail, NULL, len - cap, &started, deadline);
	if (rc < 0)
		return rc;
	publish(&s->r->tail, tail, &s->r->space_seq, &s->r->sender_wait);
	return len > cap ? -EMSGSIZE : (ssize_t)len;
}

static ssize_t shm_recv(struct channel *ch, void *buf, size_t cap, uint64_t deadline)
{
	struct shm *s = ch->priv;
	ssize_t r;
	int rc;

	if (!(ch->role & CH_RECV))
		return -EINVAL;
	if (LOAD(&s->r->broken))
		return -ECONNRESET;
	if (!s->classic && s->spin_max)
		note_cpu(s, false);
	if (s->mpmc && (rc = ch_mutex_lock(&s->r->rlock, deadline)) < 0)
		return rc == -ECONNRESET ? mark_broken(s) : rc;
	r = recv_message(s, buf, cap, deadline);
	if (s->mpmc)
		pthread_mutex_unlock(&s->r->rlock);
	return r;
}

/* ---- the rest ---- */

/* Polling only helps when the other side can run meanwhile: never on a
 * machine with one PU. */
static uint64_t spin_of(const struct channel_opts *o)
{
	if (o->spin_us < 0 || sysconf(_SC_NPROCESSORS_ONLN) <= 1)
		return 0;
	if (o->spin_us > 0)
		return (uint64_t)o->spin_us * 1000u;
	return DEFAULT_SPIN_NS;
}

static int shm_open_role(struct channel *ch, int role)
{
	struct shm *s = ch->priv;

	if (role < CH_SEND || role > (CH_SEND | CH_RECV))
		return -EINVAL;
	if (!s->mpmc && (((role & CH_SEND) &&
			  __atomic_fetch_add(&s->r->senders_opened, 1, __ATOMIC_SEQ_CST) > 0) ||
			 ((role & CH_RECV) &&
			  __atomic_fetch_add(&s->r->receivers_opened, 1, __ATOMIC_SEQ_CST) > 0)))
		return -EINVAL; /* the lock-free ring has one sender and one receiver */
	ch_lifeline_role(&s->life, role);
	/* a child may have been born elsewhere: decide again whether to spin,
	 * and start from the counters as they are */
	s->spin_ns = s->spin_max = spin_of(&(struct channel_opts){ .spin_us = s->spin_us });
	s->tail_seen = LOAD(&s->r->tail);
	s->head_seen = LOAD(&s->r->head);
	return 0;
}

static bool shm_empty(struct channel *ch)
{
	struct shm *s = ch->priv;

	return LOAD(&s->r->head) == LOAD(&s->r->tail);
}

static int shm_no_flush(struct channel *ch)
{
	(void)ch;
	return 0;
}

/* Leaving: drop the lifeline ends first, then wake every sleeper so that it
 * looks again and sees who is left. */
static void shm_close(struct channel *ch)
{
	struct shm *s = ch->priv;

	ch_lifeline_close(&s->life);
	__atomic_add_fetch(&s->r->data_seq, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->r->space_seq, 1, __ATOMIC_SEQ_CST);
	ch_futex_wake(&s->r->data_seq);
	ch_futex_wake(&s->r->space_seq);
	munmap(s->r, s->map_len);
	free(s);
}

static const struct channel_ops shm_ops = {
	.open = shm_open_role,
	.send = shm_send,
	.recv = shm_recv,
	.empty = shm_empty,
	.flush = shm_no_flush,
	.close = shm_close,
};

static int shm_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen)
{
	struct shm *s = calloc(1, sizeof(*s));
	uint64_t cap = 64;
	int rc;

	if (!s) {
		ch_err(err, errlen, "shm: out of memory");
		return -ENOMEM;
	}
	while (cap < (o->ring_bytes ? o->ring_bytes : DEFAULT_RING) && cap < (1ull << 40))
		cap <<= 1;
	s->cap = cap;
	s->classic = o->shm_classic;
	s->chunk = s->classic || cap / 4 < PIECE_MAX ? cap / 4 : PIECE_MAX;
	s->align_min = s->classic ? 0 : ALIGN_MIN;
	s->mpmc = o->mpmc || o->senders != 1 || o->receivers != 1;
	s->spin_us = o->spin_us;
	s->spin_ns = s->spin_max = spin_of(o);
	s->map_len = sizeof(struct ring) + cap;
	s->r = ch_shared_alloc(s->map_len);
	if (!s->r) {
		ch_err(err, errlen, "shm: mmap of %zu bytes: %s", s->map_len, strerror(errno));
		free(s);
		return -ENOMEM;
	}
	rc = ch_lifeline_init(&s->life);
	if (rc < 0) {
		ch_err(err, errlen, "shm: pipe2: %s", strerror(-rc));
		munmap(s->r, s->map_len);
		free(s);
		return rc;
	}
	memset(s->r->data, 0, cap); /* its pages now, not in the first lap of a run */
	ch_mutex_init(&s->r->slock);
	ch_mutex_init(&s->r->rlock);
	ch->priv = s;
	ch->ops = &shm_ops;
	return 0;
}

const struct ch_kind ch_kind_shm = { .name = "shm", .create = shm_create };
