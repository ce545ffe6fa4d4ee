/* SPDX-License-Identifier: MIT */
/*
 * ipc_common — the channel models, worker processes, and the producer /
 * consumer stream of ipc-throughput and ipc-scaling (see ipc_common.h).
 */
#include "ipc_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "manager.h"

const struct ipc_model ipc_models[IPC_NMODELS] = {
	[IPC_PIPE] = { "pipe", CH_PIPE, false },
	[IPC_DUPLEX] = { "duplex", CH_DUPLEX, false },
	[IPC_UNIX] = { "unix", CH_UNIX, false },
	[IPC_QUEUE] = { "queue", CH_QUEUE, false },
	[IPC_MQUEUE] = { "mqueue", CH_MQUEUE, false },
	[IPC_SHM] = { "shm", CH_SHM, false },
	[IPC_SHM_MPMC] = { "shm-mpmc", CH_SHM, true },
	[IPC_PIPE_BATCHED] = { "pipe-batched", CH_PIPE_BATCHED, false },
	[IPC_MANAGER] = { "manager-queue", CH_MANAGER, false },
};

/* The case's manager (a case process runs one case: one at a time). */
static struct manager *case_mgr;

/* ---- what every experiment's processes share ---- */

struct ipc_shared *ipc_shared_new(void)
{
	void *p = mmap(NULL, sizeof(struct ipc_shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void ipc_shared_free(struct ipc_shared *sh)
{
	munmap(sh, sizeof(*sh));
}

int ipc_worker_fail(struct ipc_shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&sh->failed, 1, __ATOMIC_ACQ_REL) == 0) {
		va_start(ap, fmt);
		vsnprintf(sh->err, sizeof(sh->err), fmt, ap);
		va_end(ap);
	}
	return 1;
}

pid_t ipc_spawn(struct pb_ctx *ctx, int slot, int (*fn)(void *), void *arg)
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

int ipc_reap(struct pb_ctx *ctx, const pid_t *pids, int n, struct ipc_shared *sh)
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

int ipc_bind_self(struct pb_ctx *ctx, int slot)
{
	const struct placement *pl = pb_placement(ctx);

	if (!pb_cfg(ctx)->topo || slot >= pl->n || pl->pu[slot] < 0)
		return 0;
	return topo_bind_thread(pb_cfg(ctx)->topo, pl->pu[slot]);
}

static int start_manager(struct pb_ctx *ctx, char *err, size_t errlen)
{
	const struct pb_config *cfg = pb_cfg(ctx);
	const struct placement *pl = pb_placement(ctx);
	struct topo_saved *saved = NULL;

	if (cfg->topo && pl->n > 0)
		topo_spawn_begin(cfg->topo, pl, 0, &saved);
	case_mgr = manager_start(err, errlen);
	if (saved)
		topo_spawn_end(cfg->topo, saved);
	return case_mgr ? 0 : -1;
}

int ipc_end(struct pb_ctx *ctx)
{
	pid_t pid;

	if (!case_mgr)
		return 0;
	pid = manager_pid(case_mgr);
	if (manager_shutdown(case_mgr) < 0) {
		case_mgr = NULL;
		return pb_fail(ctx, "the manager's server (pid %d) had died", (int)pid);
	}
	case_mgr = NULL;
	return 0;
}

struct channel *ipc_make(struct pb_ctx *ctx, int m, struct channel_opts o)
{
	char err[300];
	struct channel *ch;
	struct manager_ref ref;

	if (ipc_models[m].kind == CH_MANAGER) {
		if (!case_mgr && start_manager(ctx, err, sizeof(err)) < 0) {
			pb_fail(ctx, "%s", err);
			return NULL;
		}
		ref = manager_ref(case_mgr);
		o.manager = &ref;
	}
	o.mpmc = ipc_models[m].mpmc;
	ch = channel_create(ipc_models[m].kind, &o, err, sizeof(err));
	if (!ch)
		pb_fail(ctx, "%s", err);
	return ch;
}

bool ipc_reply_ok(const void *reply, ssize_t got, size_t msg_bytes, uint64_t seq)
{
	size_t n = msg_bytes < sizeof(seq) ? msg_bytes : sizeof(seq);

	/* pipe-vs-perf pings 4 bytes: comparing all 8 of seq read 4 bytes of
	 * the reply buffer that nothing had written (uninitialised stack) */
	return got >= 0 && (size_t)got == msg_bytes && memcmp(reply, &seq, n) == 0;
}

/* ---- ipc-throughput and ipc-scaling: producers stream, consumers count ---- */

/* The start line: workers read until parbench's case closes the write end. */
static void wait_go(int go[2])
{
	char c;

	close(go[1]);
	while (read(go[0], &c, 1) < 0 && errno == EINTR)
		;
	close(go[0]);
}

/* A producer sends for duration_ns (its own clock, from the start line),
 * each message carrying (producer, seq) in its first 8 bytes when it has
 * room; then it closes, which the consumers read as end of stream. */
struct stream_job {
	struct channel *ch;
	struct ipc_shared *sh;
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
		return ipc_worker_fail(j->sh, "producer %d: setup failed", j->id);
	/* written, so that the sends read real memory: an untouched calloc
	 * block maps the kernel's one zero page, which a copy reads from L1 */
	memset(buf, 0x5a, j->msg_bytes);
	wait_go(j->go);
	end = clock_now_ns() + j->duration_ns;
	do {
		for (int k = 0; k < 16 && rc == 0; k++, n++) {
			uint32_t tag[2] = { (uint32_t)j->id, (uint32_t)n };

			memcpy(buf, tag, j->msg_bytes < 8 ? j->msg_bytes : 8);
			rc = channel_send(j->ch, buf, j->msg_bytes, IPC_T_MS);
		}
	} while (rc == 0 && clock_now_ns() < end);
	if (rc < 0)
		return ipc_worker_fail(j->sh, "producer %d: send: %s", j->id, strerror(-rc));
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
		return ipc_worker_fail(j->sh, "consumer %d: setup failed", j->id);
	wait_go(j->go);
	while ((r = channel_recv(j->ch, buf, j->msg_bytes + 8, IPC_T_MS)) >= 0) {
		uint32_t tag[2] = { 0, 0 };

		if ((size_t)r != j->msg_bytes)
			return ipc_worker_fail(j->sh, "consumer: %zd bytes, sent %zu", r,
					       j->msg_bytes);
		if (j->msg_bytes >= 8) {
			memcpy(tag, buf, 8);
			if (tag[0] >= (uint32_t)j->producers || (int64_t)tag[1] <= last[tag[0]])
				return ipc_worker_fail(j->sh,
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
		return ipc_worker_fail(j->sh, "consumer: recv: %s", strerror((int)-r));
	__atomic_fetch_add(&j->sh->count[8 + j->id], n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&j->sh->bytes[8 + j->id], bytes, __ATOMIC_RELAXED);
	__atomic_fetch_add(&j->sh->sum[8 + j->id], sum, __ATOMIC_RELAXED);
	__atomic_store_n(&j->sh->t_end_ns, clock_now_ns(), __ATOMIC_RELAXED);
	free(buf);
	channel_close(j->ch);
	return 0;
}

/* Every message sent was received once: counts and sequence sums agree. */
static int check_exactly_once(struct pb_ctx *ctx, struct ipc_shared *sh, int p, int c, bool tagged)
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
int ipc_stream(struct pb_ctx *ctx, int m, const struct ipc_stream_job *job,
	       struct ipc_stream_out *out)
{
	struct channel_opts o = job->opts;
	struct stream_job j = { .msg_bytes = job->msg_bytes, .producers = job->producers };
	int p = job->producers, nc = job->consumers;
	uint64_t t0, got = 0, bytes = 0;
	pid_t pids[16];
	int rc;

	o.senders = p;
	o.receivers = nc;
	/* the feeder buffers without bound: keep a flood to ~1 MiB in flight
	 * (unless the job asks for a Queue(maxsize) of its own) */
	if (!o.maxsize)
		o.maxsize = (1u << 20) / (j.msg_bytes + 1) + 4;
	j.duration_ns = job->send_ms * 1000000ull;
	if (!(j.sh = ipc_shared_new()) || pipe(j.go) < 0)
		return pb_fail(ctx, "setup: %s", strerror(errno));
	if (!(j.ch = ipc_make(ctx, m, o))) {
		ipc_end(ctx);
		return -1;
	}
	for (int i = 0; i < p + nc; i++) {
		j.id = i < p ? i : i - p;
		pids[i] = ipc_spawn(ctx, i, i < p ? producer : consumer, &j);
	}
	channel_close(j.ch); /* only the workers hold ends: EOF when producers leave */
	close(j.go[0]);
	if (job->timed)
		pb_timer_start(ctx);
	t0 = clock_now_ns();
	close(j.go[1]); /* go */
	rc = ipc_reap(ctx, pids, p + nc, j.sh);
	if (job->timed)
		pb_timer_stop(ctx);
	if (ipc_end(ctx) < 0 && rc == 0)
		rc = -1;
	if (rc == 0)
		rc = check_exactly_once(ctx, j.sh, p, nc, j.msg_bytes >= 8);
	for (int i = 0; i < nc; i++)
		got += j.sh->count[8 + i], bytes += j.sh->bytes[8 + i];
	out->seconds = (double)(j.sh->t_end_ns - t0) / 1e9;
	out->messages = got;
	out->bytes = bytes;
	ipc_shared_free(j.sh);
	return rc;
}

int ipc_run_stream(struct pb_ctx *ctx, int m, size_t msg_bytes, uint64_t send_ms, int p, int nc)
{
	struct ipc_stream_job job = { .msg_bytes = msg_bytes,
				      .send_ms = send_ms,
				      .producers = p,
				      .consumers = nc,
				      .timed = true };
	struct ipc_stream_out out;

	if (ipc_stream(ctx, m, &job, &out) < 0)
		return -1;
	pb_metric(ctx, "msgs_per_s", (double)out.messages / out.seconds, "msg/s");
	pb_metric(ctx, "bytes_per_s", (double)out.bytes / out.seconds, "B/s");
	pb_metric(ctx, "messages", (double)out.messages, "count");
	return 0;
}
