/* SPDX-License-Identifier: MIT */
/*
 * price, like the peer: stress-ng --pthread's bogo op (stress-ng 0.15,
 * stress-pthread.c, one thread at a time: --pthread-max 1). The stressor
 * callocs a stack it does not use, creates the thread while holding a
 * mutex, spins until the thread has counted itself (1000 tries at most),
 * queues it a SIGUSR1 (which stress-ng ignores: SIG_IGN, not blocked, so
 * the signal is dropped), clears the running flag, broadcasts a condition
 * variable and joins. The thread sets its robust list to a copy of its
 * head (see robust_and_area; and twice with bad lengths), calls tgkill six times and tkill four (signal 0
 * or invalid arguments, three of them at an unused pid found by reading
 * /proc/sys/kernel/pid_max and probing with kill), get_thread_area, counts
 * itself under a spinlock and, if the flag is already clear, leaves (nulls
 * and restores its tid address). Otherwise it takes the mutex and waits on
 * the condition while the flag is set (see wait_until_stopped), opens
 * /proc/self/ns/uts and setns()es into it, waits 1 ms for a SIGUSR1 that
 * was dropped, and leaves. Each check of a flag asks sigpending for
 * SIGALRM, as stress-ng's keep_running does. Every call here is harmless:
 * signal 0, the process's own namespace, robust list and tid address.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "price_like.h"

struct pl {
	pthread_mutex_t m;
	pthread_cond_t cv;
	pthread_spinlock_t spin;
	int count;
	bool running;
	unsigned seed;
};

static pid_t unused_pid(unsigned *seed)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/pid_max", O_RDONLY);
	long max = 32768;
	pid_t pid = 0;

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			max = atol(buf);
		close(fd);
	}
	if (max < 1024)
		max = 1024;
	for (int i = 0; i < 20; i++) {
		pid = (pid_t)(rand_r(seed) % (unsigned)(max - 1023)) + 1023;
		if (kill(pid, 0) < 0 && errno == ESRCH)
			break;
	}
	return pid;
}

static void signal_calls(struct pl *p, pid_t tgid, pid_t tid)
{
	unsigned seed = p->seed + (unsigned)tid;

	syscall(SYS_tgkill, tgid, tid, 0);
	syscall(SYS_tgkill, -1, tid, 0);
	syscall(SYS_tgkill, tgid, -1, 0);
	syscall(SYS_tgkill, tgid, tid, -1);
	syscall(SYS_tgkill, unused_pid(&seed), tid, 0);
	syscall(SYS_tgkill, tgid, unused_pid(&seed), 0);
	syscall(SYS_tkill, tid, 0);
	syscall(SYS_tkill, -1, 0);
	syscall(SYS_tkill, tid, -1);
	syscall(SYS_tkill, unused_pid(&seed), 0);
}

/* As stress-ng: the thread's robust list set to a copy of its head in the
 * thread function's frame. The copy's next still points at the real head,
 * which points at itself, so at the thread's exit the kernel walks that
 * circle until its limit (2048 entries) without meeting the copy: this
 * walk is most of what a stress-ng --pthread op costs the kernel. */
static void robust_and_area(struct robust_list_head *copy)
{
	struct robust_list_head *head;
	size_t len;

	if (syscall(SYS_get_robust_list, 0, &head, &len) == 0 && len > 0 && len <= sizeof(*copy)) {
		memcpy(copy, head, len);
		syscall(SYS_set_robust_list, copy, len);
		syscall(SYS_set_robust_list, copy, (size_t)0);
		syscall(SYS_set_robust_list, copy, (size_t)-1);
	}
	syscall(SYS_get_robust_list, -1, &head, &len);
#ifdef SYS_get_thread_area
	{
		char desc[16] = { 0 }; /* struct user_desc, entry 0: EINVAL or ok */

		if (syscall(SYS_get_thread_area, desc) == 0)
			syscall(SYS_set_thread_area, desc);
	}
#endif
}

/* stress-ng's keep_running: is a SIGALRM pending? then the flag. */
static bool still_running(struct pl *p)
{
	sigset_t pending;

	sigpending(&pending);
	return __atomic_load_n(&p->running, __ATOMIC_ACQUIRE);
}

static void wait_until_stopped(struct pl *p)
{
	pthread_mutex_lock(&p->m);
	while (still_running(p)) {
		struct timespec t;

		/* as stress-ng: a CLOCK_MONOTONIC deadline for a condition
		 * variable on CLOCK_REALTIME is long past, so the wait
		 * returns at once and the thread yields until told to stop */
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += 10000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_nsec -= 1000000000;
			t.tv_sec++;
		}
		pthread_cond_timedwait(&p->cv, &p->m, &t);
		sched_yield();
	}
	pthread_mutex_unlock(&p->m);
}

static void waited_calls(void)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY);
	struct timespec ms = { 0, 1000000 };
	sigset_t usr1;

	if (fd >= 0) {
		setns(fd, CLONE_NEWUTS); /* the process's own namespace */
		close(fd);
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigtimedwait(&usr1, NULL, &ms);
}

static void leaving_calls(struct pl *p)
{
	unsigned long addr = 0;

	(void)still_running(p);
	if (prctl(PR_GET_TID_ADDRESS, &addr, 0, 0, 0) == 0 && addr) {
		syscall(SYS_set_tid_address, NULL);
		syscall(SYS_set_tid_address, addr);
	}
}

static void *like_thread(void *arg)
{
	struct pl *p = arg;
	pid_t tgid = getpid(), tid = (pid_t)syscall(SYS_gettid);
	struct robust_list_head copy;

	(void)clock_now_ns();
	robust_and_area(&copy);
	signal_calls(p, tgid, tid);
	pthread_spin_lock(&p->spin);
	p->count++;
	pthread_spin_unlock(&p->spin);
	if (still_running(p)) {
		wait_until_stopped(p);
		waited_calls();
	}
	leaving_calls(p);
	return NULL;
}

static int one_op(struct pb_ctx *ctx, struct pl *p, size_t stack_size)
{
	void *stack = calloc(1, stack_size);
	pthread_attr_t attr;
	pthread_t t;
	int rc, seen = 0;

	if (!stack)
		return pb_fail(ctx, "out of memory");
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack, stack_size); /* as stress-ng: unused */
	pthread_attr_destroy(&attr);
	p->count = 0;
	__atomic_store_n(&p->running, true, __ATOMIC_RELEASE);
	pthread_mutex_lock(&p->m);
	rc = pthread_create(&t, NULL, like_thread, p);
	pthread_mutex_unlock(&p->m);
	(void)still_running(p);
	for (int j = 0; rc == 0 && j < 1000 && !seen; j++) {
		pthread_spin_lock(&p->spin);
		seen = p->count == 1;
		pthread_spin_unlock(&p->spin);
	}
	if (rc == 0) {
		pthread_sigqueue(t, SIGUSR1, (union sigval){ 0 });
		__atomic_store_n(&p->running, false, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&p->cv);
		pthread_join(t, NULL);
	}
	free(stack);
	return rc == 0 ? 0 : pb_fail(ctx, "pthread_create: %s", strerror(rc));
}

int price_pthread_like_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n)
{
	long min = sysconf(_SC_THREAD_STACK_MIN);
	size_t stack_size = min > 8192 ? (size_t)min : 8192;
	struct pl p = { .seed = (unsigned)clock_now_ns() };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int rc = 0;

	(void)c;
	pthread_mutex_init(&p.m, NULL);
	pthread_cond_init(&p.cv, NULL);
	pthread_spin_init(&p.spin, PTHREAD_PROCESS_SHARED);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGUSR1, &ign, &old); /* as stress-ng: ignored, not blocked */
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint64_t t0 = clock_now_ns();

		rc = one_op(ctx, &p, stack_size);
		ns[i] = (double)(clock_now_ns() - t0);
	}
	sigaction(SIGUSR1, &old, NULL);
	pthread_spin_destroy(&p.spin);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.m);
	return rc;
}
