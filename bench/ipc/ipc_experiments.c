/* SPDX-License-Identifier: MIT */
/*
 * ipc — Queue vs Pipe, measured: the channel kinds of lib/channel side by
 * side (throughput over message sizes against memcpy, ping-pong latency on
 * one core and across cores against `perf bench sched pipe`, producers x
 * consumers), and the seeds' two Queue programs replayed and checked.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "harness.h"
#include "ipc_common.h"

/* The models: a channel kind and how it is made. */
struct ipc_model {
	const char *name;
	enum channel_kind kind;
	bool mpmc;
};

static const struct ipc_model models[] = {
	{ "pipe", CH_PIPE, false },   { "duplex", CH_DUPLEX, false }, { "unix", CH_UNIX, false },
	{ "queue", CH_QUEUE, false }, { "mqueue", CH_MQUEUE, false }, { "shm", CH_SHM, false },
	{ "shm-mpmc", CH_SHM, true },
};
#define NMODELS (int)(sizeof(models) / sizeof(models[0]))
enum { M_PIPE, M_DUPLEX, M_UNIX, M_QUEUE, M_MQUEUE, M_SHM, M_SHM_MPMC };

#define T_MS 10000 /* no wait in a case is longer: a dead peer is a failed case */

/* ---- what every experiment's processes share ---- */

/* One shared page per case: the first error any process met, and results. */
struct shared {
	int failed;
	char err[200];
	uint64_t t_end_ns;
	uint64_t count[16], bytes[16], sum[16]; /* per worker */
};

static struct shared *shared_new(void)
{
	void *p = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int worker_fail(struct shared *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int worker_fail(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&sh->failed, 1, __ATOMIC_ACQ_REL) == 0) {
		va_start(ap, fmt);
		vsnprintf(sh->err, sizeof(sh->err), fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* Worker `slot` is born on its PU (the spawner binds itself, forks, and
 * goes back), runs fn and leaves with _exit. */
static pid_t spawn(struct pb_ctx *ctx, int slot, int (*fn)(void *), void *arg)
{
	const struct pb_config *cfg = pb_cfg(ctx);
	const struct placement *pl = pb_placement(ctx);
	struct topo_saved *saved = NULL;
	pid_t pid;

	if (cfg->topo && slot < pl->n)
		topo_spawn_begin(cfg->topo, pl, slot, &saved);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	if (saved)
		topo_spawn_end(cfg->topo, saved);
	return pid;
}

/* Reap every worker; the first failure becomes the case's reason. */
static int reap(struct pb_ctx *ctx, const pid_t *pids, int n, struct shared *sh)
{
	char why[160] = "";

	for (int i = 0; i < n; i++) {
		int st;

		if (pids[i] <= 0)
			continue;
		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!why[0] && WIFSIGNALED(st))
			snprintf(why, sizeof(why), "worker %d killed by signal %d", i,
				 WTERMSIG(st));
		else if (!why[0] && WEXITSTATUS(st) != 0)
			snprintf(why, sizeof(why), "worker %d exited with status %d", i,
				 WEXITSTATUS(st));
	}
	if (sh->failed)
		return pb_fail(ctx, "%s", sh->err);
	return why[0] ? pb_fail(ctx, "%s", why) : 0;
}

/* The start line: workers read until parbench's case closes the write end. */
static void wait_go(int go[2])
{
	char c;

	close(go[1]);
	while (read(go[0], &c, 1) < 0 && errno == EINTR)
		;
	close(go[0]);
}

static struct channel *make(struct pb_ctx *ctx, int m, struct channel_opts o)
{
	char err[300];
	struct channel *ch;

	o.mpmc = models[m].mpmc;
	ch = channel_create(models[m].kind, &o, err, sizeof(err));
	if (!ch)
		pb_fail(ctx, "%s", err);
	return ch;
}

/* ---- ipc-throughput and ipc-scaling: producers stream, consumers count ---- */

/* A producer sends for duration_ns (its own clock, from the start line),
 * each message carrying (producer, seq) in its first 8 bytes when it has
 * room; then it closes, which the consumers read as end of stream. */
struct stream_job {
	struct channel *ch;
	struct shared *sh;
	int go[2];
	size_t msg_bytes;
	uint64_t duration_ns;
	int id, producers;
};

static int producer(void *arg)
{
	struct stream_job *j = arg;
	unsigned char *buf = calloc(1, j->msg_bytes + 8);
	uint64_t end, n = 0;
	int rc = 0;

	if (!buf || channel_open(j->ch, CH_SEND) < 0)
		return worker_fail(j->sh, "producer %d: setup failed", j->id);
	wait_go(j->go);
	end = clock_now_ns() + j->duration_ns;
	do {
		for (int k = 0; k < 16 && rc == 0; k++, n++) {
			uint32_t tag[2] = { (uint32_t)j->id, (uint32_t)n };

			memcpy(buf, tag, j->msg_bytes < 8 ? j->msg_bytes : 8);
			rc = channel_send(j->ch, buf, j->msg_bytes, T_MS);
		}
	} while (rc == 0 && clock_now_ns() < end);
	if (rc < 0)
		return worker_fail(j->sh, "producer %d: send: %s", j->id, strerror(-rc));
	j->sh->count[j->id] = n;
	j->sh->sum[j->id] = n * (n - 1) / 2;
	channel_close(j->ch);
	free(buf);
	return 0;
}

/* Counts messages and bytes until every producer has gone; checks that each
 * producer's sequence numbers only go up, and adds them up so that the
 * parent can check that every message arrived exactly once. */
static int consumer(void *arg)
{
	struct stream_job *j = arg;
	unsigned char *buf = malloc(j->msg_bytes + 8);
	int64_t last[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	uint64_t n = 0, bytes = 0, sum = 0;
	ssize_t r;

	if (!buf || channel_open(j->ch, CH_RECV) < 0)
		return worker_fail(j->sh, "consumer %d: setup failed", j->id);
	wait_go(j->go);
	while ((r = channel_recv(j->ch, buf, j->msg_bytes + 8, T_MS)) >= 0) {
		uint32_t tag[2] = { 0, 0 };

		if ((size_t)r != j->msg_bytes)
			return worker_fail(j->sh, "consumer: %zd bytes, sent %zu", r, j->msg_bytes);
		if (j->msg_bytes >= 8) {
			memcpy(tag, buf, 8);
			if (tag[0] >= (uint32_t)j->producers || (int64_t)tag[1] <= last[tag[0]])
				return worker_fail(j->sh,
						   "consumer: producer %u's message %u "
						   "out of order",
						   tag[0], tag[1]);
			last[tag[0]] = tag[1];
			sum += tag[1];
		}
		n++;
		bytes += (uint64_t)r;
	}
	if (r != -EPIPE)
		return worker_fail(j->sh, "consumer: recv: %s", strerror((int)-r));
	__atomic_fetch_add(&j->sh->count[8 + j->id], n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&j->sh->bytes[8 + j->id], bytes, __ATOMIC_RELAXED);
	__atomic_fetch_add(&j->sh->sum[8 + j->id], sum, __ATOMIC_RELAXED);
	__atomic_store_n(&j->sh->t_end_ns, clock_now_ns(), __ATOMIC_RELAXED);
	free(buf);
	channel_close(j->ch);
	return 0;
}

/* Every message sent was received once: counts and sequence sums agree. */
static int check_exactly_once(struct pb_ctx *ctx, struct shared *sh, int p, int c, bool tagged)
{
	uint64_t sent = 0, got = 0, sent_sum = 0, got_sum = 0;

	for (int i = 0; i < p; i++)
		sent += sh->count[i], sent_sum += sh->sum[i];
	for (int i = 0; i < c; i++)
		got += sh->count[8 + i], got_sum += sh->sum[8 + i];
	if (sent != got || (tagged && sent_sum != got_sum))
		return pb_fail(ctx, "sent %llu messages, received %llu (sequence sums %llu/%llu)",
			       (unsigned long long)sent, (unsigned long long)got,
			       (unsigned long long)sent_sum, (unsigned long long)got_sum);
	return 0;
}

/* P producers and C consumers (workers 0..P-1, then P..P+C-1). */
static int run_stream(struct pb_ctx *ctx, const struct pb_case *c, int p, int nc)
{
	struct channel_opts o = { .senders = p, .receivers = nc };
	struct stream_job j = { .msg_bytes = (size_t)c->param_value, .producers = p };
	uint64_t t0, got = 0, bytes = 0;
	pid_t pids[16];
	double s;
	int rc;

	/* the feeder buffers without bound: keep a flood to ~1 MiB in flight */
	o.maxsize = (1u << 20) / (j.msg_bytes + 1) + 4;
	j.duration_ns = (uint64_t)c->arg[1] * 1000000ull;
	if (!(j.sh = shared_new()) || pipe(j.go) < 0)
		return pb_fail(ctx, "setup: %s", strerror(errno));
	if (!(j.ch = make(ctx, (int)c->arg[0], o)))
		return -1;
	for (int i = 0; i < p + nc; i++) {
		j.id = i < p ? i : i - p;
		pids[i] = spawn(ctx, i, i < p ? producer : consumer, &j);
	}
	channel_close(j.ch); /* only the workers hold ends: EOF when producers leave */
	close(j.go[0]);
	pb_timer_start(ctx);
	t0 = clock_now_ns();
	close(j.go[1]); /* go */
	rc = reap(ctx, pids, p + nc, j.sh);
	pb_timer_stop(ctx);
	if (rc == 0)
		rc = check_exactly_once(ctx, j.sh, p, nc, j.msg_bytes >= 8);
	for (int i = 0; i < nc; i++)
		got += j.sh->count[8 + i], bytes += j.sh->bytes[8 + i];
	s = (double)(j.sh->t_end_ns - t0) / 1e9;
	if (rc == 0) {
		pb_metric(ctx, "msgs_per_s", (double)got / s, "msg/s");
		pb_metric(ctx, "bytes_per_s", (double)bytes / s, "B/s");
		pb_metric(ctx, "messages", (double)got, "count");
	}
	munmap(j.sh, sizeof(*j.sh));
	return rc;
}

static int throughput_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	return run_stream(ctx, c, 1, 1);
}

static int scaling_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	return run_stream(ctx, c, (int)c->param_value, (int)c->arg[2]);
}

static int bind_self(struct pb_ctx *ctx, int slot);

/* memcpy: the ceiling. One message-sized block copied from a hot source to
 * a hot destination, again and again for the same time the channels get
 * (in batches, so that reading the clock stays out of the figure). */
static int memcpy_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t len = (size_t)c->param_value, batch = len >= 65536 ? 1 : 65536 / len;
	unsigned char *src = aligned_alloc(64, len + 64), *dst = aligned_alloc(64, len + 64);
	uint64_t t0, end, copies = 0, now;
	double s;

	if (!src || !dst)
		return pb_fail(ctx, "aligned_alloc: out of memory");
	bind_self(ctx, 0);
	memset(src, 0x5a, len);
	memset(dst, 0, len);
	pb_timer_start(ctx);
	t0 = clock_now_ns();
	end = t0 + (uint64_t)c->arg[1] * 1000000ull;
	do {
		for (size_t b = 0; b < batch; b++) {
			memcpy(dst, src, len);
			__asm__ volatile(""
					 :
					 : "r"(dst), "r"(src)
					 : "memory"); /* keep every copy */
		}
		copies += batch;
	} while ((now = clock_now_ns()) < end);
	pb_timer_stop(ctx);
	s = (double)(now - t0) / 1e9;
	pb_metric(ctx, "msgs_per_s", (double)copies / s, "msg/s");
	pb_metric(ctx, "bytes_per_s", (double)(copies * len) / s, "B/s");
	free(src);
	free(dst);
	return 0;
}

/* ---- ipc-latency: ping-pong ---- */

/* A two-way link: one duplex channel, or two one-way channels. */
struct link {
	struct channel *ab, *ba;
	struct shared *sh;
	size_t msg_bytes;
};

static int link_open(struct link *l, int side)
{
	if (l->ab == l->ba)
		return channel_open(l->ab, side ? CH_END_B : CH_END_A);
	if (channel_open(l->ab, side ? CH_RECV : CH_SEND) < 0)
		return -1;
	return channel_open(l->ba, side ? CH_SEND : CH_RECV);
}

static void link_close(struct link *l)
{
	channel_close(l->ab);
	if (l->ba != l->ab)
		channel_close(l->ba);
}

/* The pong side: send back whatever comes, until the pinger leaves. */
static int ponger(void *arg)
{
	struct link *l = arg;
	unsigned char buf[4096];
	ssize_t n;
	int rc = 0;

	if (link_open(l, 1) < 0)
		return worker_fail(l->sh, "ponger: open failed");
	/* no timeout: a timed wait costs a poll() per message, and the
	 * pinger's leaving reads as end of stream anyway */
	while ((n = channel_recv(l->ab, buf, sizeof(buf), -1)) >= 0 && rc == 0)
		rc = channel_send(l->ba, buf, (size_t)n, -1);
	link_close(l);
	if (rc < 0 || n != -EPIPE)
		return worker_fail(l->sh, "ponger: %s", strerror(rc < 0 ? -rc : (int)-n));
	return 0;
}

static void latency_metrics(struct pb_ctx *ctx, double *ns, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += ns[i];
	pb_metric(ctx, "latency_ns_mean", sum / (double)n, "ns");
	pb_metric(ctx, "latency_ns_p50", stats_percentile(ns, n, 50), "ns");
	pb_metric(ctx, "latency_ns_p90", stats_percentile(ns, n, 90), "ns");
	pb_metric(ctx, "latency_ns_p99", stats_percentile(ns, n, 99), "ns");
	pb_metric(ctx, "latency_ns_max", stats_percentile(ns, n, 100), "ns");
	pb_metric(ctx, "round_trips", (double)n, "count");
}

bool ipc_reply_ok(const void *reply, ssize_t got, size_t msg_bytes, uint64_t seq)
{
	size_t n = msg_bytes < sizeof(seq) ? msg_bytes : sizeof(seq);

	/* pipe-vs-perf pings 4 bytes: comparing all 8 of seq read 4 bytes of
	 * the reply buffer that nothing had written (uninitialised stack) */
	return got >= 0 && (size_t)got == msg_bytes && memcmp(reply, &seq, n) == 0;
}

/* n timed round trips (after n/10 untimed ones), each checked: the reply
 * carries the sequence number that went out. */
static int ping(struct pb_ctx *ctx, struct link *l, double *ns, size_t n)
{
	unsigned char out[4096] = { 0 }, in[4096];
	size_t warm = n / 10;

	for (size_t i = 0; i < warm + n; i++) {
		uint64_t t0 = clock_now_ns(), seq = i;
		ssize_t r;
		int rc;

		memcpy(out, &seq, sizeof(seq));
		rc = channel_send(l->ab, out, l->msg_bytes, -1);
		if (rc < 0)
			return pb_fail(ctx, "ping %zu: send: %s", i, strerror(-rc));
		r = channel_recv(l->ba, in, sizeof(in), -1);
		if (r < 0)
			return pb_fail(ctx, "ping %zu: recv: %s", i, strerror((int)-r));
		if (!ipc_reply_ok(in, r, l->msg_bytes, seq))
			return pb_fail(ctx, "ping %zu: the reply is not the message sent", i);
		if (i >= warm)
			ns[i - warm] = (double)(clock_now_ns() - t0);
	}
	return 0;
}

/* The pinger is this case process itself, bound to worker 0's PU. */
static int bind_self(struct pb_ctx *ctx, int slot)
{
	const struct placement *pl = pb_placement(ctx);

	if (!pb_cfg(ctx)->topo || slot >= pl->n || pl->pu[slot] < 0)
		return 0;
	return topo_bind_thread(pb_cfg(ctx)->topo, pl->pu[slot]);
}

/* One ping-pong run of model m: n timed round trips of msg_bytes into ns. */
static int pingpong(struct pb_ctx *ctx, int m, size_t msg_bytes, double *ns, size_t n)
{
	struct link l = { .msg_bytes = msg_bytes };
	struct channel_opts o = { .senders = 1, .receivers = 1 };
	pid_t pid;
	int rc;

	if (!(l.sh = shared_new()))
		return pb_fail(ctx, "out of memory");
	l.ab = make(ctx, m, o);
	l.ba = !l.ab || channel_kind_duplex(models[m].kind) ? l.ab : make(ctx, m, o);
	if (!l.ab || !l.ba) {
		munmap(l.sh, sizeof(*l.sh));
		return -1; /* make() said why */
	}
	pid = spawn(ctx, 1, ponger, &l);
	if (bind_self(ctx, 0) < 0 || link_open(&l, 0) < 0)
		rc = pb_fail(ctx, "binding or opening the pinger's side failed");
	else
		rc = ping(ctx, &l, ns, n);
	link_close(&l); /* the ponger reads end of stream and leaves */
	if (reap(ctx, &pid, 1, l.sh) != 0 && rc == 0)
		rc = -1;
	munmap(l.sh, sizeof(*l.sh));
	return rc;
}

static int latency_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)c->arg[1];
	double *ns = malloc(n * sizeof(*ns));
	int rc;

	if (!ns)
		return pb_fail(ctx, "out of memory");
	rc = pingpong(ctx, (int)c->arg[0], (size_t)c->param_value, ns, n);
	if (rc == 0)
		latency_metrics(ctx, ns, n);
	free(ns);
	return rc;
}

/* ---- the peer: perf bench sched pipe ---- */

/* perf's loop (tools/perf/bench/sched-pipe.c): one process writes 4 bytes
 * into one pipe and reads 4 bytes from another, the other process reads and
 * writes them back; "usecs/op" is the total time over the loop count, so one
 * op is one round trip, the same as our latency_ns_mean. */

/* perf forks its second process itself; to put it on worker 1's PU we find
 * it among perf's children and move it (the first few round trips run
 * before that, so it is reported). */
static pid_t child_of(pid_t parent)
{
	char path[64];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent, (int)parent);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

static int move_perf_child(struct pb_ctx *ctx, pid_t perf, double *delay_us)
{
	const struct placement *pl = pb_placement(ctx);
	uint64_t t0 = clock_now_ns();
	cpu_set_t set;
	pid_t kid = 0;

	if (pl->n < 2 || pl->pu[1] < 0 || pl->pu[1] == pl->pu[0])
		return 0; /* same PU (or unpinned): it inherits perf's binding */
	while ((kid = child_of(perf)) == 0 && clock_now_ns() - t0 < 2000000000ull)
		usleep(50);
	if (kid <= 0)
		return pb_fail(ctx, "perf-sched-pipe: could not find perf's second process "
				    "(/proc/PID/task/PID/children) to pin it");
	CPU_ZERO(&set);
	CPU_SET(pl->pu[1], &set);
	if (sched_setaffinity(kid, sizeof(set), &set) < 0)
		return pb_fail(ctx, "perf-sched-pipe: sched_setaffinity: %s", strerror(errno));
	*delay_us = (double)(clock_now_ns() - t0) / 1e3;
	return 0;
}

static pid_t exec_perf(struct pb_ctx *ctx, int out[2], long loops)
{
	const struct pb_config *cfg = pb_cfg(ctx);
	struct topo_saved *saved = NULL;
	char n[32];
	pid_t pid;

	snprintf(n, sizeof(n), "%ld", loops);
	if (cfg->topo)
		topo_spawn_begin(cfg->topo, pb_placement(ctx), 0, &saved);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execlp("perf", "perf", "bench", "sched", "pipe", "-l", n, (char *)NULL);
		dprintf(out[1], "exec perf: %s\n", strerror(errno));
		_exit(127);
	}
	if (saved)
		topo_spawn_end(cfg->topo, saved);
	return pid;
}

/* "     7.405150 usecs/op" in perf's output. */
static double parse_usecs(const char *text)
{
	const char *p = strstr(text, "usecs/op");

	while (p && p > text && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	while (p && p > text && (p[-1] == '.' || (p[-1] >= '0' && p[-1] <= '9')))
		p--;
	return p ? strtod(p, NULL) : NAN;
}

/* One run of perf bench sched pipe -l loops: its total time in us. */
static int perf_run(struct pb_ctx *ctx, long loops, double *total_us, double *delay_us)
{
	char text[4096] = "";
	size_t used = 0;
	int out[2], st, rc;
	ssize_t r;
	pid_t pid;

	if (pipe(out) < 0)
		return pb_fail(ctx, "pipe: %s", strerror(errno));
	pid = exec_perf(ctx, out, loops);
	close(out[1]);
	rc = pid < 0 ? pb_fail(ctx, "fork: %s", strerror(errno)) :
		       move_perf_child(ctx, pid, delay_us);
	while ((r = read(out[0], text + used, sizeof(text) - 1 - used)) > 0 ||
	       (r < 0 && errno == EINTR))
		used += r > 0 ? (size_t)r : 0;
	text[used] = '\0';
	close(out[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc < 0 || pid < 0)
		return -1;
	*total_us = parse_usecs(text) * (double)loops;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || isnan(*total_us)) {
		text[strcspn(text, "\n")] = '\0';
		return pb_fail(ctx,
			       "perf bench sched pipe failed (%s); install linux-perf "
			       "(scripts/deps.sh bench) or allow it to run",
			       text[0] ? text : "no output");
	}
	return 0;
}

/* perf's time includes forking its second process and reaping it (about
 * 2 ms here: 5 us per op over 400 loops). A run of one loop measures that
 * fixed cost, and (total(n) - total(1)) / (n - 1) is one round trip alone. */
static int perf_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	long n = (long)c->arg[1];
	double t1, tn, d1 = 0, dn = 0;

	if (perf_run(ctx, 1, &t1, &d1) < 0 || perf_run(ctx, n, &tn, &dn) < 0)
		return -1;
	pb_metric(ctx, "latency_ns_mean", (tn - t1) / (double)(n - 1) * 1000.0, "ns");
	pb_metric(ctx, "perf_usecs_per_op", tn / (double)n, "us");
	pb_metric(ctx, "perf_fixed_us", t1, "us");
	pb_metric(ctx, "round_trips", (double)n, "count");
	pb_metric(ctx, "pin_delay_us", dn, "us");
	return 0;
}

/* The comparison with the peer, paired: rounds alternate our pipe
 * ping-pong and perf bench sched pipe, the same number of round trips of
 * the same size on the same PUs, so both meet the same machine (on a shared
 * VM a cross-core wake-up costs 50 to 200 us from one minute to the next).
 * Each round gives one ratio pipe / perf; the case reports their median. */
static int paired_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	size_t n = (size_t)c->arg[1], rounds = (size_t)c->arg[2];
	double *ns = malloc(n * sizeof(*ns)), ratio[16], ours[16], theirs[16];
	int rc = 0;

	if (!ns || rounds > 16)
		return pb_fail(ctx, "out of memory");
	for (size_t r = 0; r < rounds && rc == 0; r++) {
		double t1, tn, d1 = 0, dn = 0, sum = 0;

		rc = pingpong(ctx, (int)c->arg[0], (size_t)c->param_value, ns, n);
		if (rc == 0 &&
		    (perf_run(ctx, 1, &t1, &d1) < 0 || perf_run(ctx, (long)n, &tn, &dn) < 0))
			rc = -1;
		if (rc != 0)
			break;
		for (size_t i = 0; i < n; i++)
			sum += ns[i];
		ours[r] = sum / (double)n;
		theirs[r] = (tn - t1) / (double)(n - 1) * 1000.0;
		ratio[r] = ours[r] / theirs[r];
	}
	free(ns);
	if (rc != 0)
		return -1; /* pingpong or perf_run said why */
	pb_metric(ctx, "pipe_latency_ns_mean", stats_median(ours, rounds), "ns");
	pb_metric(ctx, "perf_latency_ns_mean", stats_median(theirs, rounds), "ns");
	pb_metric(ctx, "latency_ratio_min", stats_percentile(ratio, rounds, 0), "x");
	pb_metric(ctx, "latency_ratio_max", stats_percentile(ratio, rounds, 100), "x");
	pb_metric(ctx, "latency_ratio", stats_median(ratio, rounds), "x");
	pb_metric(ctx, "rounds", (double)rounds, "count");
	return 0;
}

/* ---- ipc-pingpong: the seed's Ping/Pong to 50 ---- */

#define PINGPONG_TO 50

/* What was "printed": who printed which counter value, in order. */
struct pp_log {
	int n;
	int who[2 * PINGPONG_TO + 8];
	int value[2 * PINGPONG_TO + 8];
};

struct pp_job {
	struct channel *q;
	struct shared *sh;
	struct pp_log *log;
	int id; /* 0: Ping, 1: Pong */
	double sleep_ms;
};

static void print_value(struct pp_log *log, int id, int value)
{
	int at = __atomic_fetch_add(&log->n, 1, __ATOMIC_RELAXED);

	if (at < 2 * PINGPONG_TO + 8) {
		log->who[at] = id;
		log->value[at] = value;
	}
}

/* The seed's sub_task with Queue: take the counter, print, put it back
 * incremented, sleep, take it again; stop at 50. */
static int pp_queue_task(void *arg)
{
	struct pp_job *j = arg;
	int32_t counter;

	if (channel_recv(j->q, &counter, sizeof(counter), T_MS) != sizeof(counter))
		return worker_fail(j->sh, "%s: get timed out", j->id ? "Pong" : "Ping");
	while (counter < PINGPONG_TO) {
		print_value(j->log, j->id, counter);
		counter++;
		if (channel_send(j->q, &counter, sizeof(counter), T_MS) < 0)
			return worker_fail(j->sh, "put failed");
		clock_sleep_ns((uint64_t)(j->sleep_ms * 1e6));
		if (channel_recv(j->q, &counter, sizeof(counter), T_MS) != sizeof(counter))
			return worker_fail(j->sh, "%s: get timed out", j->id ? "Pong" : "Ping");
	}
	channel_close(j->q);
	return 0;
}

/* The seed's first try: a global counter. fork copies it, so each process
 * counts its own copy to 50 and 100 lines are printed, not 50. */
static int pp_global_counter;

static int pp_global_task(void *arg)
{
	struct pp_job *j = arg;

	while (pp_global_counter < PINGPONG_TO) {
		print_value(j->log, j->id, pp_global_counter);
		pp_global_counter++;
		clock_sleep_ns((uint64_t)(j->sleep_ms * 1e6));
	}
	return 0;
}

/* Queue: each value 0..49 printed exactly once. Global: each twice. */
static int pp_check(struct pb_ctx *ctx, const struct pp_log *log, bool global)
{
	int times[PINGPONG_TO] = { 0 }, per = global ? 2 : 1, ping = 0;

	if (log->n != per * PINGPONG_TO)
		return pb_fail(ctx, "%d prints, expected %d", log->n, per * PINGPONG_TO);
	for (int i = 0; i < log->n; i++) {
		if (log->value[i] < 0 || log->value[i] >= PINGPONG_TO)
			return pb_fail(ctx, "printed counter value %d", log->value[i]);
		times[log->value[i]]++;
		ping += log->who[i] == 0;
	}
	for (int v = 0; v < PINGPONG_TO; v++)
		if (times[v] != per)
			return pb_fail(ctx, "counter value %d printed %d times", v, times[v]);
	pb_metric(ctx, "prints_count", log->n, "count");
	pb_metric(ctx, "ping_count", ping, "count");
	pb_metric(ctx, "pong_count", log->n - ping, "count");
	return 0;
}

/* main(): put(0), start Ping and Pong, wait until one of them has ended
 * (the seed spins on is_alive; we block in waitpid), put(50) so that the
 * other one, waiting in get, ends too. */
static int pingpong_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	bool global = c->arg[0] == 1;
	struct pp_job j = { .sleep_ms = c->param_value };
	int32_t zero = 0, fifty = PINGPONG_TO;
	pid_t pids[2], first;
	int rc, st = 0;

	j.sh = shared_new();
	j.log = mmap(NULL, sizeof(*j.log), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (!j.sh || j.log == MAP_FAILED)
		return pb_fail(ctx, "mmap: %s", strerror(errno));
	if (!global && !(j.q = make(ctx, M_QUEUE, (struct channel_opts){ 0 })))
		return -1;
	pb_timer_start(ctx);
	if (j.q && (channel_send(j.q, &zero, sizeof(zero), T_MS) < 0 || channel_flush(j.q) < 0))
		return pb_fail(ctx, "put(0) failed");
	for (j.id = 0; j.id < 2; j.id++)
		pids[j.id] = spawn(ctx, j.id, global ? pp_global_task : pp_queue_task, &j);
	while ((first = waitpid(-1, &st, 0)) < 0 && errno == EINTR)
		;
	if (j.q && channel_send(j.q, &fifty, sizeof(fifty), T_MS) < 0)
		return pb_fail(ctx, "put(50) failed");
	for (int i = 0; i < 2; i++)
		if (pids[i] == first)
			pids[i] = -1; /* reaped already */
	rc = reap(ctx, pids, 2, j.sh);
	if (rc == 0 && (first < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
		rc = pb_fail(ctx, "%s", j.sh->failed ? j.sh->err : "the first task to end failed");
	pb_timer_stop(ctx);
	if (rc == 0)
		rc = pp_check(ctx, j.log, global);
	if (j.q)
		channel_close(j.q);
	munmap(j.log, sizeof(*j.log));
	munmap(j.sh, sizeof(*j.sh));
	return rc;
}

/* ---- ipc-prodcons: the seed's task queue and done queue ---- */

#define PC_TASKS 10
#define PC_WORKERS 4

struct pc_job {
	struct channel *tasks, *done;
	struct shared *sh;
	int id;
	double task_ms;
};

/* do_job: get_nowait until queue.Empty, put "Task no i is done by
 * Process-k" on the done queue, sleep; then leave (close flushes). */
static int pc_worker(void *arg)
{
	struct pc_job *j = arg;
	char task[64], line[128];
	ssize_t n;

	if (channel_open(j->tasks, CH_RECV) < 0 || channel_open(j->done, CH_SEND) < 0)
		return worker_fail(j->sh, "worker %d: open failed", j->id);
	while ((n = channel_recv(j->tasks, task, sizeof(task) - 1, 0)) >= 0) {
		task[n] = '\0';
		n = snprintf(line, sizeof(line), "%s is done by Process-%d", task, j->id + 1);
		if (channel_send(j->done, line, (size_t)n, T_MS) < 0)
			return worker_fail(j->sh, "worker %d: put failed", j->id);
		clock_sleep_ns((uint64_t)(j->task_ms * 1e6));
	}
	if (n != -EAGAIN)
		return worker_fail(j->sh, "worker %d: get_nowait: %s", j->id, strerror((int)-n));
	channel_close(j->tasks);
	channel_close(j->done);
	return 0;
}

/* The done log: every task exactly once, and by whom. */
static int pc_check(struct pb_ctx *ctx, struct channel *done)
{
	int times[PC_TASKS] = { 0 }, by[PC_WORKERS + 1] = { 0 }, lines = 0, used = 0;
	char line[128];
	ssize_t n;

	while (!channel_empty(done) && (n = channel_recv(done, line, sizeof(line) - 1, 0)) >= 0) {
		int t, w;

		line[n] = '\0';
		if (sscanf(line, "Task no %d is done by Process-%d", &t, &w) != 2 || t < 0 ||
		    t >= PC_TASKS || w < 1 || w > PC_WORKERS)
			return pb_fail(ctx, "done log: unexpected line '%s'", line);
		times[t]++;
		used += by[w]++ == 0;
		lines++;
	}
	for (int t = 0; t < PC_TASKS; t++)
		if (times[t] != 1)
			return pb_fail(ctx, "task %d done %d times", t, times[t]);
	pb_metric(ctx, "tasks_done", PC_TASKS, "count");
	pb_metric(ctx, "done_log_count", lines, "count");
	pb_metric(ctx, "workers_used", used, "count");
	return 0;
}

/* main(): put the 10 tasks, start 4 workers, join them, read the log. The
 * tasks are flushed into the pipe before the workers start: get_nowait
 * cannot see what is still in main's feeder (the seed gets away without it
 * because starting a Python process takes longer than the feeder). */
static int prodcons_case(struct pb_ctx *ctx, const struct pb_case *c)
{
	struct pc_job j = { .task_ms = c->param_value };
	pid_t pids[PC_WORKERS];
	char task[32];
	int rc = 0;

	if (!(j.sh = shared_new()))
		return pb_fail(ctx, "mmap: %s", strerror(errno));
	if (!(j.tasks = make(ctx, M_QUEUE, (struct channel_opts){ 0 })) ||
	    !(j.done = make(ctx, M_QUEUE, (struct channel_opts){ 0 })))
		return -1;
	pb_timer_start(ctx);
	for (int i = 0; i < PC_TASKS && rc == 0; i++) {
		int n = snprintf(task, sizeof(task), "Task no %d", i);

		rc = channel_send(j.tasks, task, (size_t)n, T_MS);
	}
	if (rc < 0 || channel_flush(j.tasks) < 0)
		return pb_fail(ctx, "putting the tasks failed");
	for (j.id = 0; j.id < PC_WORKERS; j.id++)
		pids[j.id] = spawn(ctx, j.id, pc_worker, &j);
	rc = reap(ctx, pids, PC_WORKERS, j.sh);
	pb_timer_stop(ctx);
	if (rc == 0)
		rc = pc_check(ctx, j.done);
	channel_close(j.tasks);
	channel_close(j.done);
	munmap(j.sh, sizeof(*j.sh));
	return rc;
}

/* ---- the plan ---- */

static const double sizes_all[] = { 8, 64, 512, 4096, 32768, 65536, 262144, 1048576 };
static const double sizes_quick[] = { 64, 65536, 1048576 };
static const int stream_models[] = { M_PIPE, M_UNIX, M_QUEUE, M_MQUEUE, M_SHM, M_SHM_MPMC };

static void plan_throughput(struct pb_plan *plan, const struct pb_config *cfg)
{
	bool quick = cfg->profile == PROFILE_QUICK;
	const double *sizes = quick ? sizes_quick : sizes_all;
	size_t nsizes = quick ? 3 : 8;
	struct pb_case c = { .experiment = "ipc-throughput", .param = "msg_bytes", .workers = 2 };

	for (size_t m = 0; m < sizeof(stream_models) / sizeof(stream_models[0]); m++) {
		for (size_t i = 0; i < nsizes; i++) {
			c.model = models[stream_models[m]].name;
			c.param_value = sizes[i];
			c.arg[0] = stream_models[m];
			c.arg[1] = PB_PICK(cfg, 15, 150, 500); /* ms of sending */
			c.run = throughput_case;
			c.budget_s = 30;
			pb_plan_add(plan, &c);
		}
	}
	for (size_t i = 0; i < nsizes; i++) {
		struct pb_case m = { .experiment = "ipc-throughput",
				     .model = "memcpy",
				     .param = "msg_bytes",
				     .param_value = sizes[i],
				     .workers = 1,
				     .run = memcpy_case,
				     .arg = { 0, PB_PICK(cfg, 10, 50, 200) } };

		pb_plan_add(plan, &m);
	}
}

static void plan_latency(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const enum pin_policy pins[] = { PIN_SINGLE, PIN_SCATTER };
	struct pb_case c = { .experiment = "ipc-latency",
			     .param = "msg_bytes",
			     .param_value = 64,
			     .workers = 2,
			     .pin_fixed = true,
			     .budget_s = 60 };

	for (int p = 0; p < 2; p++) {
		c.pin = pins[p];
		snprintf(c.extra, sizeof(c.extra), "pin:%s", pin_policy_name(pins[p]));
		c.arg[1] = PB_PICK(cfg, 400, 10000, 20000); /* timed round trips */
		for (int m = 0; m < NMODELS; m++) {
			c.model = models[m].name;
			c.arg[0] = m;
			c.run = latency_case;
			pb_plan_add(plan, &c);
		}
		c.model = "perf-sched-pipe";
		c.param_value = 4; /* perf sends an int */
		c.run = perf_case;
		pb_plan_add(plan, &c);
		c.model = "pipe-vs-perf"; /* 4-byte pings both ways, paired by round */
		c.run = paired_case;
		c.arg[0] = M_PIPE;
		c.arg[1] = PB_PICK(cfg, 1000, 4000, 10000);
		c.arg[2] = PB_PICK(cfg, 3, 5, 7);
		pb_plan_add(plan, &c);
		c.param_value = 64;
	}
}

static void plan_scaling(struct pb_plan *plan, const struct pb_config *cfg)
{
	static const int pc[] = { 1, 2, 4 };
	static const int scaled[] = { M_QUEUE, M_SHM };
	struct pb_case c = { .experiment = "ipc-scaling",
			     .param = "producers",
			     .run = scaling_case,
			     .budget_s = 30 };

	for (int m = 0; m < 2; m++)
		for (int ci = 0; ci < 3; ci++)
			for (int pi = 0; pi < 3; pi++) {
				if (cfg->profile == PROFILE_QUICK && pi != ci)
					continue; /* quick: 1x1, 2x2, 4x4 */
				c.model = models[scaled[m]].name;
				c.param_value = pc[pi];
				c.workers = pc[pi] + pc[ci];
				snprintf(c.extra, sizeof(c.extra), "c:%d", pc[ci]);
				c.arg[0] = scaled[m];
				c.arg[1] = PB_PICK(cfg, 15, 150, 500);
				c.arg[2] = pc[ci];
				c.workload = "64B";
				pb_plan_add(plan, &c);
			}
}

static void ipc_plan(struct pb_plan *plan, const struct pb_config *cfg)
{
	struct pb_case pp = { .experiment = "ipc-pingpong",
			      .workers = 2,
			      .param = "sleep_ms",
			      .param_value = PB_PICK(cfg, 1, 10, 10),
			      .run = pingpong_case,
			      .budget_s = 30 };
	struct pb_case pc = { .experiment = "ipc-prodcons",
			      .model = "queue",
			      .workers = 4,
			      .param = "task_ms",
			      .param_value = PB_PICK(cfg, 20, 500, 500),
			      .run = prodcons_case,
			      .budget_s = 60 };

	plan_throughput(plan, cfg);
	plan_latency(plan, cfg);
	plan_scaling(plan, cfg);
	pp.model = "queue";
	pb_plan_add(plan, &pp);
	pp.model = "global";
	pp.arg[0] = 1;
	pb_plan_add(plan, &pp);
	snprintf(pc.extra, sizeof(pc.extra), "tasks:%d", PC_TASKS);
	pb_plan_add(plan, &pc);
}

/* ---- derived figures ---- */

static const struct pb_case *find_case(const struct pb_report *rep, const char *exp,
				       const char *model, const char *extra, double param)
{
	for (size_t i = 0; i < pb_report_ncases(rep); i++) {
		const struct pb_case *c = pb_report_case(rep, i);

		if (strcmp(c->experiment, exp) == 0 && strcmp(c->model, model) == 0 &&
		    strcmp(c->extra, extra) == 0 && c->param_value == param)
			return c;
	}
	return NULL;
}

/* a / b, median over median, with the range from the extremes. */
static bool ratio(const struct pb_report *rep, const struct pb_case *a, const struct pb_case *b,
		  const char *metric, struct stats_summary *out)
{
	struct stats_summary x, y;

	if (!a || !b || !pb_report_stat(rep, a->name, metric, &x) ||
	    !pb_report_stat(rep, b->name, metric, &y) || y.median <= 0 || y.min <= 0)
		return false;
	*out = (struct stats_summary){ .n = x.n < y.n ? x.n : y.n,
				       .min = x.min / y.max,
				       .median = x.median / y.median,
				       .max = x.max / y.min };
	return true;
}

/* The acceptance comparison comes from the paired case (pipe and perf in
 * alternating rounds); the separate cases, measured minutes apart, are
 * reported beside it. */
static void summarize_latency(struct pb_report *rep)
{
	static const char *const pins[] = { "pin:single", "pin:scatter" };

	for (int p = 0; p < 2; p++) {
		const struct pb_case *pipe = find_case(rep, "ipc-latency", "pipe", pins[p], 64);
		const struct pb_case *perf =
			find_case(rep, "ipc-latency", "perf-sched-pipe", pins[p], 4);
		const struct pb_case *pair =
			find_case(rep, "ipc-latency", "pipe-vs-perf", pins[p], 4);
		struct stats_summary r, a, b;

		if (pair && pb_report_stat(rep, pair->name, "latency_ratio", &r) &&
		    pb_report_stat(rep, pair->name, "pipe_latency_ns_mean", &a) &&
		    pb_report_stat(rep, pair->name, "perf_latency_ns_mean", &b))
			pb_report_note(rep,
				       "ipc-latency %s, paired rounds: pipe round trip %.2f us, perf "
				       "bench sched pipe %.2f us: ratio %.2f (%.2f–%.2f over %zu "
				       "repetitions), %s ±15%%",
				       pins[p], a.median / 1e3, b.median / 1e3, r.median, r.min,
				       r.max, r.n,
				       fabs(r.median - 1) <= 0.15 ? "within" : "NOT within");
		if (!ratio(rep, pipe, perf, "latency_ns_mean", &r))
			continue;
		pb_report_stat(rep, pipe->name, "latency_ns_mean", &a);
		pb_report_stat(rep, perf->name, "latency_ns_mean", &b);
		pb_report_row(rep, pipe, "pipe-vs-perf-separate", "latency_ratio", r, "x");
		pb_report_note(rep,
			       "ipc-latency %s, separate cases: pipe (64 B) round trip %.2f us, perf "
			       "bench sched pipe %.2f us: ratio %.2f (%.2f–%.2f)",
			       pins[p], a.median / 1e3, b.median / 1e3, r.median, r.min, r.max);
	}
}

static void summarize_throughput(struct pb_report *rep)
{
	for (size_t i = 0; i < sizeof(sizes_all) / sizeof(sizes_all[0]); i++) {
		const struct pb_case *shm =
			find_case(rep, "ipc-throughput", "shm", "", sizes_all[i]);
		const struct pb_case *pipe =
			find_case(rep, "ipc-throughput", "pipe", "", sizes_all[i]);
		const struct pb_case *mc =
			find_case(rep, "ipc-throughput", "memcpy", "", sizes_all[i]);
		struct stats_summary vp, vm;
		bool has_p = ratio(rep, shm, pipe, "bytes_per_s", &vp);
		bool has_m = ratio(rep, shm, mc, "bytes_per_s", &vm);

		if (has_p)
			pb_report_row(rep, shm, "shm-vs-pipe", "bytes_per_s_ratio", vp, "x");
		if (has_m)
			pb_report_row(rep, shm, "shm-vs-memcpy", "bytes_per_s_ratio", vm, "x");
		if (sizes_all[i] == 65536 && has_p && has_m)
			pb_report_note(rep,
				       "ipc-throughput 64 KiB: shm ring %.2f× the pipe's bytes/s "
				       "(%.2f–%.2f; goal ≥ 3) and %.0f%% of memcpy (%.0f–%.0f%%; "
				       "goal ≥ 30%%)",
				       vp.median, vp.min, vp.max, 100 * vm.median, 100 * vm.min,
				       100 * vm.max);
	}
}

static void ipc_summarize(struct pb_report *rep)
{
	summarize_latency(rep);
	summarize_throughput(rep);
}

const struct pb_experiment ipc_suite = {
	.name = "ipc",
	.summary = "channels (pipe, duplex, unix, queue, mqueue, shm): throughput, latency, "
		   "scaling, and the seeds' Queue programs",
	.plan = ipc_plan,
	.summarize = ipc_summarize,
};
