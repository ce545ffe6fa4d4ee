/* SPDX-License-Identifier: MIT */
/*
 * channel_shm_impl — what the shm kind's two files share: the ring in
 * shared memory, the per-handle state, and the calls the ring protocol
 * (channel_shm.c) makes into the waiting side (channel_shm_wait.c). Not
 * for any other file; channel_shm.c's opening comment says what the kind
 * models.
 */
#ifndef PB_CHANNEL_SHM_IMPL_H
#define PB_CHANNEL_SHM_IMPL_H

#include "channel_impl.h"

/* Counters and sleep flags each on a line of their own: a publish stores
 * its counter and loads a flag that stays cached while nobody sleeps. */
struct ring {
	uint64_t head __attribute__((aligned(64))); /* the sender's */
	uint64_t tail __attribute__((aligned(64))); /* the receiver's */
	/* a sender waits for room */
	uint32_t space_seq __attribute__((aligned(64))); /* bumped to wake it */
	uint32_t sender_wait;				 /* it sleeps (or is about to) */
	int sender_cpu;					 /* its PU + 1 (shm_note_cpu) */
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

/* ---- the waiting side (channel_shm_wait.c) ---- */

/* Say the ring is broken (a peer died in the middle of a message) and wake
 * every sleeper; returns -ECONNRESET. */
int shm_mark_broken(struct shm *s);
/* Each said where it is defined. */
int shm_note_cpu(struct shm *s, bool sender);
int shm_wait_for(struct shm *s, bool sender, uint64_t from, bool started, uint64_t deadline);
/* The polling budget opts.spin_us asks for on this machine, in ns. */
uint64_t shm_spin_of(const struct channel_opts *o);

#endif
