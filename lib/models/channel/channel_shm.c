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
 * has no system call at all. How a side waits is channel_shm_wait.c; this
 * file is the ring itself: copying in and out, publishing, the ends.
 *
 * channel_opts.shm_classic keeps the ring of before issue 14 (payloads
 * right after the length, quarter-ring pieces, a polling budget learnt per
 * handle) for ipc-throughput's before/after; both share the rest.
 */
#include "channel_shm_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define DEFAULT_RING (1024u * 1024u)
#define ALIGN_MIN 1024u	 /* payloads this long start on a cache line */
#define PIECE_MAX 65536u /* published every 64 KiB: the receiver starts sooner */

/* Make [.., pos) visible to the other side and wake it if it sleeps. Store
 * the counter, then load the flag; the sleeper (shm_wait_for) stores the
 * flag, then loads the counter: all four seq_cst, so one of us sees the
 * other's store (Dekker), and no wake-up is lost. */
static void publish(uint64_t *counter, uint64_t pos, uint32_t *seq, uint32_t *wait_flag)
{
	__atomic_store_n(counter, pos, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(wait_flag, __ATOMIC_SEQ_CST)) {
		__atomic_add_fetch(seq, 1, __ATOMIC_SEQ_CST);
		ch_futex_wake(seq);
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
			rc = shm_wait_for(s, true, *head - s->cap, *deadline == CH_FOREVER,
					  *deadline);
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
		shm_note_cpu(s, true);
	if (s->mpmc && (rc = ch_mutex_lock(&s->r->slock, deadline)) < 0)
		return rc == -ECONNRESET ? shm_mark_broken(s) : rc;
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
			rc = shm_wait_for(s, false, *tail, *started,
					  *started ? CH_FOREVER : deadline);
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
		shm_note_cpu(s, false);
	if (s->mpmc && (rc = ch_mutex_lock(&s->r->rlock, deadline)) < 0)
		return rc == -ECONNRESET ? shm_mark_broken(s) : rc;
	r = recv_message(s, buf, cap, deadline);
	if (s->mpmc)
		pthread_mutex_unlock(&s->r->rlock);
	return r;
}

/* ---- the rest ---- */

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
	s->spin_ns = s->spin_max = shm_spin_of(&(struct channel_opts){ .spin_us = s->spin_us });
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
	s->spin_ns = s->spin_max = shm_spin_of(o);
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
