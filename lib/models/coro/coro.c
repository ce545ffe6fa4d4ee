/* SPDX-License-Identifier: MIT */
/*
 * coro — the stack switch: a task is a ucontext with a stack of its own
 * (an mmap with a guard page below it, so an overflow is a SIGSEGV, not a
 * silent overwrite). This is greenlet's idea (greenlet/TStackState: save the
 * C stack, switch); gevent runs its hub on top of it. See coro.h for why
 * stack switching and not state machines.
 *
 * Under sanitizers every switch tells ASan (__sanitizer_start/finish_switch
 * _fiber) and TSan (__tsan_switch_to_fiber) that the stack changed, as they
 * require; a release build has none of it.
 *
 * CPython versions: see coro_loop.c's opening comment.
 */
#include "coro_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define CORO_TSAN 1
#endif

#if defined(CORO_ASAN) || defined(CORO_TSAN)
#define CORO_STACK_DEFAULT (256u * 1024u)
#else
#define CORO_STACK_DEFAULT (64u * 1024u)
#endif

/* The task the trampoline starts: makecontext passes ints only, and the
 * loop runs in one thread, so the new task is handed over here. */
static __thread struct coro_loop *tl_loop;

static void san_before(void **fake, const void *bottom, size_t size, void *fiber)
{
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
#ifdef CORO_TSAN
	__tsan_switch_to_fiber(fiber, 0);
#else
	(void)fiber;
#endif
}

static void san_after(void *fake, const void **bottom_old, size_t *size_old)
{
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(fake, bottom_old, size_old);
#else
	(void)fake, (void)bottom_old, (void)size_old;
#endif
}

static void trampoline(void)
{
	struct coro_loop *l = tl_loop;
	struct coro_task *t = l->cur;

	san_after(NULL, &l->san_main_bottom, &l->san_main_size);
	t->fn(l, t->arg);
	t->state = CT_DONE;
	/* NULL fake stack: this stack is finished, ASan may drop it */
	san_before(NULL, l->san_main_bottom, l->san_main_size, l->san_main_fiber);
	setcontext(&l->main);
	abort(); /* setcontext does not return */
}

int coro_task_new(struct coro_loop *l, coro_fn fn, void *arg, struct coro_task **out)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t stack = l->o.stack_bytes ? l->o.stack_bytes : CORO_STACK_DEFAULT;
	struct coro_task *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	stack = (stack + page - 1) / page * page;
	t->map_len = stack + page;
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (t->map == MAP_FAILED) {
		free(t);
		return -ENOMEM;
	}
	if (mprotect(t->map, page, PROT_NONE) < 0 || getcontext(&t->ctx) < 0) {
		munmap(t->map, t->map_len);
		free(t);
		return -errno;
	}
	t->ctx.uc_stack.ss_sp = (char *)t->map + page;
	t->ctx.uc_stack.ss_size = stack;
	t->ctx.uc_link = NULL; /* the trampoline never returns */
	makecontext(&t->ctx, trampoline, 0);
	t->fn = fn, t->arg = arg, t->heap_idx = -1, t->wait_fd = -1;
#ifdef CORO_TSAN
	t->san_fiber = __tsan_create_fiber(0);
#endif
	*out = t;
	return 0;
}

void coro_task_free(struct coro_task *t)
{
#ifdef CORO_TSAN
	if (t->san_fiber)
		__tsan_destroy_fiber(t->san_fiber);
#endif
	munmap(t->map, t->map_len);
	free(t);
}

void coro_resume(struct coro_loop *l, struct coro_task *t)
{
#ifdef CORO_TSAN
	if (!l->san_main_fiber)
		l->san_main_fiber = __tsan_get_current_fiber();
#endif
	l->cur = t;
	t->state = CT_RUNNING;
	tl_loop = l;
	l->st.switches += 2;
	l->st.steps++;
	san_before(&l->san_main_fake, t->ctx.uc_stack.ss_sp, t->ctx.uc_stack.ss_size, t->san_fiber);
	swapcontext(&l->main, &t->ctx);
	san_after(l->san_main_fake, NULL, NULL);
	l->cur = NULL;
}

void coro_suspend(struct coro_loop *l)
{
	struct coro_task *t = l->cur;

	san_before(&t->san_fake, l->san_main_bottom, l->san_main_size, l->san_main_fiber);
	swapcontext(&t->ctx, &l->main);
	san_after(t->san_fake, &l->san_main_bottom, &l->san_main_size);
}
