/* SPDX-License-Identifier: MIT */
/*
 * shm, the waiting side: how a side of the ring (channel_shm.c) waits when
 * there is no data to take or no room to write. Kept apart from the ring
 * protocol because it is a policy of its own that ipc-throughput measures:
 * poll for a budget (none when the other side last ran on our PU, since it
 * cannot run while we poll; learnt from failed polls in the classic ring),
 * then say so in the "waiting" flag and sleep on a futex, waking every
 * slice to see whether the peers are still there. The ring's publish()
 * wakes a sleeper only when that flag is set, so a send or receive that
 * does not wait makes no system call.
 */
#include "channel_shm_impl.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>

#define DEFAULT_SPIN_NS 50000u

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

int shm_mark_broken(struct shm *s)
{
	STORE(&s->r->broken, 1);
	__atomic_add_fetch(&s->r->data_seq, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->r->space_seq, 1, __ATOMIC_SEQ_CST);
	ch_futex_wake(&s->r->data_seq);
	ch_futex_wake(&s->r->space_seq);
	return -ECONNRESET;
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
		return started ? shm_mark_broken(s) : -EPIPE;
	if (!sender && started && s->mpmc && ch_mutex_owner_died(&s->r->slock))
		return shm_mark_broken(s);
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
int shm_note_cpu(struct shm *s, bool sender)
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
	cpu = shm_note_cpu(s, sender);
	return cpu > 0 && __atomic_load_n(peer, __ATOMIC_RELAXED) == cpu ? 0 : s->spin_max;
}

/* Wait until *counter != from (data for a receiver, room for a sender:
 * the caller passes the value meaning "nothing yet"). */
int shm_wait_for(struct shm *s, bool sender, uint64_t from, bool started, uint64_t deadline)
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

/* Polling only helps when the other side can run meanwhile: never on a
 * machine with one PU. */
uint64_t shm_spin_of(const struct channel_opts *o)
{
	if (o->spin_us < 0 || sysconf(_SC_NPROCESSORS_ONLN) <= 1)
		return 0;
	if (o->spin_us > 0)
		return (uint64_t)o->spin_us * 1000u;
	return DEFAULT_SPIN_NS;
}
