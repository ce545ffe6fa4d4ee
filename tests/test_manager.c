/* SPDX-License-Identifier: MIT */
/* The manager queue (lib/models/manager*.c, channel kind manager-queue,
 * Manager().Queue() of Lib/multiprocessing/managers.py): order; exactly
 * once with several producers and consumers, ending on end of stream; a
 * proxy attached by reference; the server's death is -ECONNRESET for every
 * waiting client, never a hang; a creator that dies without shutdown takes
 * its server along; and after every test no process, fd or socket is
 * left. No timing is asserted: the bounds below only keep a broken build
 * from hanging the suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "leakcheck.h"
#include "manager.h"

#define T_MS 10000 /* no wait in a test is longer */

static int fds_before;

static int setup(void **state)
{
	(void)state;
	fds_before = count_open_fds();
	return 0;
}

/* Is the server's address still bound? (/proc/net/unix lists abstract
 * sockets as @name.) */
static bool socket_listed(const char *addr)
{
	char line[512];
	FILE *f = fopen("/proc/net/unix", "r");
	bool found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, addr) != NULL;
	fclose(f);
	return found;
}

/* Shut down and check that nothing is left: the server, its socket, fds. */
static void shutdown_clean(struct manager *m, int want)
{
	struct manager_ref ref = manager_ref(m);
	pid_t pid = manager_pid(m);

	assert_int_equal(manager_shutdown(m), want);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_false(socket_listed(ref.addr));
	assert_int_equal(count_open_fds(), fds_before);
	assert_no_children();
}

static struct channel *new_queue(struct manager *m, size_t maxsize)
{
	struct manager_ref ref = manager_ref(m);
	struct channel_opts o = { .maxsize = maxsize, .manager = &ref };
	char err[256];
	struct channel *ch = channel_create(CH_MANAGER, &o, err, sizeof(err));

	if (!ch)
		fail_msg("%s", err);
	return ch;
}

static struct manager *start(void)
{
	char err[256];
	struct manager *m = manager_start(err, sizeof(err));

	if (!m)
		fail_msg("%s", err);
	assert_true(socket_listed(manager_ref(m).addr));
	return m;
}

/* Wait for pid, at most T_MS: its exit status, or -1 after killing it. */
static int reap_bounded(pid_t pid)
{
	struct timespec ms1 = { 0, 1000000 };
	int st;

	for (int i = 0; i < T_MS; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		nanosleep(&ms1, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void test_order_then_end_of_stream(void **state)
{
	struct manager *m = start();
	struct channel *ch = new_queue(m, 0);
	pid_t pid;
	uint32_t v;

	(void)state;
	pid = fork();
	if (pid == 0) {
		int rc = channel_open(ch, CH_SEND);

		for (uint32_t i = 0; i < 1000 && rc == 0; i++)
			rc = channel_send(ch, &i, sizeof(i), T_MS);
		channel_close(ch);
		_exit(rc == 0 ? 0 : 1);
	}
	assert_int_equal(channel_open(ch, CH_RECV), 0);
	for (uint32_t i = 0; i < 1000; i++) {
		assert_int_equal(channel_recv(ch, &v, sizeof(v), T_MS), sizeof(v));
		assert_int_equal(v, i);
	}
	/* the producer has gone: end of stream, and it stays so */
	assert_int_equal(channel_recv(ch, &v, sizeof(v), T_MS), -EPIPE);
	assert_int_equal(channel_recv(ch, &v, sizeof(v), T_MS), -EPIPE);
	assert_int_equal(reap_bounded(pid), 0);
	channel_close(ch);
	shutdown_clean(m, 0);
}

#define NP 3
#define NC 3
#define PER 2000

struct tally {
	uint64_t count[NC], sum[NC], seen[NP * PER];
	int bad;
};

static int consume(struct channel *ch, struct tally *t, int id)
{
	uint32_t v;
	ssize_t r;

	if (channel_open(ch, CH_RECV) < 0)
		return 2;
	while ((r = channel_recv(ch, &v, sizeof(v), T_MS)) == sizeof(v)) {
		if (v >= NP * PER || __atomic_fetch_add(&t->seen[v], 1, __ATOMIC_RELAXED))
			t->bad = 1; /* out of range, or a second delivery */
		t->count[id]++;
		t->sum[id] += v;
	}
	channel_close(ch);
	return r == -EPIPE ? 0 : 3;
}

static int produce(struct channel *ch, int id)
{
	int rc = channel_open(ch, CH_SEND);

	for (uint32_t i = 0; i < PER && rc == 0; i++) {
		uint32_t v = (uint32_t)id * PER + i;

		rc = channel_send(ch, &v, sizeof(v), T_MS);
	}
	channel_close(ch);
	return rc == 0 ? 0 : 1;
}

static void test_exactly_once_many_to_many(void **state)
{
	struct manager *m = start();
	struct channel *ch = new_queue(m, 64); /* bounded: puts wait for room */
	struct tally *t =
		mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pids[NP + NC];
	uint64_t n = 0, sum = 0;

	(void)state;
	assert_ptr_not_equal(t, MAP_FAILED);
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < NP + NC; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(i < NP ? produce(ch, i) : consume(ch, t, i - NP));
	}
	channel_close(ch); /* the creator leaves: only the workers hold roles */
	for (int i = 0; i < NP + NC; i++)
		assert_int_equal(reap_bounded(pids[i]), 0);
	for (int i = 0; i < NC; i++)
		n += t->count[i], sum += t->sum[i];
	assert_int_equal(t->bad, 0);
	assert_int_equal(n, NP * PER);
	assert_int_equal(sum, (uint64_t)NP * PER * (NP * PER - 1) / 2);
	munmap(t, sizeof(*t));
	shutdown_clean(m, 0);
}

/* A pool worker's view: the queue's reference, attached in a process that
 * did not inherit the handle (here: one that closed it first). */
static void test_attach_by_reference(void **state)
{
	struct manager *m = start();
	struct channel *ch = new_queue(m, 0);
	struct manager_ref ref;
	pid_t pid;
	char buf[16];

	(void)state;
	assert_int_equal(channel_manager_ref(ch, &ref), 0);
	assert_int_not_equal(ref.qid, 0);
	pid = fork();
	if (pid == 0) {
		struct channel_opts o = { .manager = &ref };
		struct channel *mine;
		int rc;

		channel_close(ch);
		mine = channel_create(CH_MANAGER, &o, NULL, 0);
		rc = !mine || channel_open(mine, CH_SEND) < 0 ||
		     channel_send(mine, "result", 6, T_MS) < 0;
		channel_close(mine);
		_exit(rc);
	}
	assert_int_equal(reap_bounded(pid), 0);
	assert_int_equal(channel_recv(ch, buf, sizeof(buf), T_MS), 6);
	assert_memory_equal(buf, "result", 6);
	assert_false(channel_empty(ch) == false);
	channel_close(ch);
	shutdown_clean(m, 0);
}

static struct channel *attach(const struct manager_ref *ref)
{
	struct channel_opts o = { .manager = ref };
	struct channel *ch = channel_create(CH_MANAGER, &o, NULL, 0);

	assert_non_null(ch);
	assert_int_equal(channel_open(ch, CH_SEND), 0);
	return ch;
}

/* An unpickled proxy (attached by reference), as BaseProxy: incref on an
 * authenticated connection of its own, its calls over the thread's _tls
 * connection, decref on another of its own when it is closed, and the _tls
 * connection closed once the process holds no proxy. Counted by the
 * server's authenticated connections (manager_connections counts itself). */
static void test_proxy_connections(void **state)
{
	struct manager *m = start();
	struct channel *ch = new_queue(m, 0), *a, *b;
	struct manager_ref ref;
	int c0, c1, c2;
	char buf[8];

	(void)state;
	assert_int_equal(channel_manager_ref(ch, &ref), 0);
	c0 = manager_connections(m);
	a = attach(&ref); /* incref, then _tls at the first call (open) */
	assert_int_equal(channel_send(a, "a", 1, T_MS), 0);
	channel_close(a); /* decref; no proxy left: _tls closed */
	c1 = manager_connections(m);
	assert_int_equal(c1 - c0, 3 + 1);
	a = attach(&ref);
	b = attach(&ref); /* its calls share a's _tls connection */
	assert_int_equal(channel_send(b, "b", 1, T_MS), 0);
	channel_close(a); /* b is left: _tls stays open */
	assert_int_equal(channel_send(b, "c", 1, T_MS), 0);
	channel_close(b);
	c2 = manager_connections(m);
	assert_int_equal(c2 - c1, 2 + 1 + 2 + 1); /* increfs, one _tls, decrefs, this call */
	for (int i = 0; i < 3; i++)
		assert_int_equal(channel_recv(ch, buf, sizeof(buf), T_MS), 1);
	channel_close(ch);
	shutdown_clean(m, 0);
}

/* Clients blocked in get on an empty queue, and one in put on a full one:
 * the server is killed; each must say -ECONNRESET (exit 0), none may hang. */
static void test_server_death_is_an_error_for_every_client(void **state)
{
	struct manager *m = start();
	struct channel *empty = new_queue(m, 0), *full = new_queue(m, 1);
	int ready[2];
	pid_t pids[4];
	char c;

	(void)state;
	assert_int_equal(channel_send(full, "x", 1, T_MS), 0);
	assert_int_equal(pipe(ready), 0);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char buf[8];
			int rc;

			close(ready[0]);
			channel_open(i < 3 ? empty : full, i < 3 ? CH_RECV : CH_SEND);
			rc = write(ready[1], "r", 1) == 1 ? 0 : -EIO;
			if (rc == 0)
				rc = i < 3 ? (int)channel_recv(empty, buf, sizeof(buf), -1) :
					     channel_send(full, "y", 1, -1);
			_exit(rc == -ECONNRESET ? 0 : 1);
		}
	}
	close(ready[1]);
	for (int i = 0; i < 4; i++)
		assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	usleep(50000); /* let them reach their wait (the test holds either way) */
	kill(manager_pid(m), SIGKILL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(reap_bounded(pids[i]), 0);
	assert_int_equal(channel_send(empty, "z", 1, T_MS), -ECONNRESET);
	channel_close(empty);
	channel_close(full);
	shutdown_clean(m, -ECONNRESET); /* shutdown reaps it and says it had died */
}

/* A creator that leaves without shutdown: the server notices and ends. We
 * are a subreaper here, so the orphaned server comes back to us. */
static void test_creator_death_ends_the_server(void **state)
{
	int p[2];
	pid_t creator, server = 0;

	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(p), 0);
	creator = fork();
	if (creator == 0) {
		struct manager *m = manager_start(NULL, 0);
		pid_t s = m ? manager_pid(m) : -1;

		write(p[1], &s, sizeof(s));
		_exit(0); /* no shutdown */
	}
	close(p[1]);
	assert_int_equal(read(p[0], &server, sizeof(server)), sizeof(server));
	close(p[0]);
	assert_true(server > 0);
	assert_int_equal(reap_bounded(creator), 0);
	assert_int_equal(reap_bounded(server), 0); /* ended by itself, status 0 */
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	assert_int_equal(count_open_fds(), fds_before);
	assert_no_children();
}

static void test_bad_input(void **state)
{
	struct channel_opts none = { 0 };
	struct manager_ref nowhere = { .addr = "parbench.no.such.manager", .qid = 0 };
	struct channel_opts gone = { .manager = &nowhere };
	char err[256] = "";

	(void)state;
	assert_null(channel_create(CH_MANAGER, &none, err, sizeof(err)));
	assert_non_null(strstr(err, "opts.manager"));
	assert_null(channel_create(CH_MANAGER, &gone, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot reach"));
	assert_string_equal(channel_kind_name(CH_MANAGER), "manager-queue");
	assert_int_equal(count_open_fds(), fds_before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_order_then_end_of_stream, setup),
		cmocka_unit_test_setup(test_exactly_once_many_to_many, setup),
		cmocka_unit_test_setup(test_attach_by_reference, setup),
		cmocka_unit_test_setup(test_proxy_connections, setup),
		cmocka_unit_test_setup(test_server_death_is_an_error_for_every_client, setup),
		cmocka_unit_test_setup(test_creator_death_ends_the_server, setup),
		cmocka_unit_test_setup(test_bad_input, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
