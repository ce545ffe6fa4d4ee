/* SPDX-License-Identifier: MIT */
/*
 * manager — starting and ending the server, and the client's side of the
 * protocol (manager.h, manager_impl.h). BaseManager.start() forks a
 * process that binds a listener and tells its parent the address; here the
 * address is chosen first (ipc_name: unique per run, pid and call) and the
 * listener bound before the fork, so the server is ready the moment
 * manager_start returns. shutdown mirrors _finalize_manager: ask, wait a
 * second, SIGTERM, wait a little, SIGKILL; the server is always reaped.
 *
 * CPython versions: see manager.h's opening comment.
 */
#include "manager_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipcname.h"

static socklen_t mgr_sockaddr(const char *addr, struct sockaddr_un *sa)
{
	size_t n = strnlen(addr, sizeof(((struct manager_ref *)0)->addr));

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path + 1, addr, n); /* sun_path[0] = 0: the abstract namespace */
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

int mgr_connect(const char *addr)
{
	struct sockaddr_un sa;
	socklen_t len = mgr_sockaddr(addr, &sa);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	do
		rc = connect(fd, (struct sockaddr *)&sa, len);
	while (rc < 0 && errno == EINTR);
	rc = rc < 0 ? -errno : mgr_auth_client(fd);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int mgr_call_once(const char *addr, enum mgr_op op, uint32_t qid)
{
	struct mgr_req rq = { .op = (uint8_t)op, .qid = qid, .timeout_ms = -1 };
	struct mgr_rep rep;
	int fd = mgr_connect(addr), rc;

	if (fd < 0)
		return fd;
	rc = mgr_call(fd, &rq, NULL, NULL, 0, &rep);
	close(fd);
	return rc < 0 ? rc : rep.status;
}

int mgr_read_all(int fd, void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = recv(fd, p, n, MSG_WAITALL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ECONNRESET;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int mgr_write_all(int fd, const void *a, size_t na, const void *b, size_t nb)
{
	struct iovec iov[2] = { { (void *)a, na }, { (void *)b, nb } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = nb ? 2 : 1 };

	while (mh.msg_iovlen > 0) {
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -ECONNRESET;
		while (mh.msg_iovlen > 0 && (size_t)w >= mh.msg_iov->iov_len) {
			w -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + w;
			mh.msg_iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* The header goes with the fds (SCM_RIGHTS), the payload after it. */
static int send_fds(int fd, const struct mgr_req *rq, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)rq, sizeof(*rq) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t w;

	if (nfds < 1 || nfds > 2)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	mh.msg_control = u.buf;
	mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	do
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w == (ssize_t)sizeof(*rq) ? 0 : -ECONNRESET;
}

int mgr_call(int fd, const struct mgr_req *rq, const void *payload, const int *fds, int nfds,
	     struct mgr_rep *rep)
{
	int rc;

	if (nfds > 0) {
		rc = send_fds(fd, rq, fds, nfds);
		if (rc == 0 && rq->len)
			rc = mgr_write_all(fd, payload, rq->len, NULL, 0);
	} else {
		rc = mgr_write_all(fd, rq, sizeof(*rq), payload, rq->len);
	}
	if (rc < 0)
		return rc;
	return mgr_read_all(fd, rep, sizeof(*rep));
}

int mgr_read_payload(int fd, void *buf, size_t cap, size_t len)
{
	unsigned char sink[4096];
	size_t keep = len < cap ? len : cap;
	int rc = keep ? mgr_read_all(fd, buf, keep) : 0;

	for (len -= keep; rc == 0 && len > 0;) {
		size_t k = len < sizeof(sink) ? len : sizeof(sink);

		rc = mgr_read_all(fd, sink, k);
		len -= k;
	}
	return rc;
}

/* ---- start and shutdown ---- */

static int bind_listener(struct manager *m, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ipc_name(m->ref.addr, sizeof(m->ref.addr), "manager");
	len = mgr_sockaddr(m->ref.addr, &sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 64) < 0) {
		snprintf(err, errlen, "manager: listener %s: %s", m->ref.addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct manager *manager_start(char *err, size_t errlen)
{
	struct manager *m = calloc(1, sizeof(*m));
	int lfd, life[2];

	if (!m) {
		snprintf(err, errlen, "manager: out of memory");
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN); /* a client gone mid-reply is an error code */
	mgr_authkey_init();	  /* before the fork: the server has it too */
	if ((lfd = bind_listener(m, err, errlen)) < 0) {
		free(m);
		return NULL;
	}
	if (pipe2(life, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "manager: pipe2: %s", strerror(errno));
		close(lfd);
		free(m);
		return NULL;
	}
	m->creator = getpid();
	m->pid = fork();
	if (m->pid == 0) {
		close(life[1]);
		mgr_serve(lfd, life[0], m->creator);
	}
	close(lfd);
	close(life[0]);
	m->life_wr = life[1];
	if (m->pid < 0) {
		snprintf(err, errlen, "manager: fork: %s", strerror(errno));
		close(life[1]);
		free(m);
		return NULL;
	}
	return m;
}

/* Wait up to ms for the server to end: true when reaped. */
static bool reap_within(pid_t pid, int ms, int *status)
{
	struct timespec ms1 = { 0, 1000000 };

	for (int i = 0; i <= ms; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return true;
		nanosleep(&ms1, NULL);
	}
	return false;
}

int manager_shutdown(struct manager *m)
{
	struct mgr_req rq = { .op = MGR_SHUTDOWN };
	struct mgr_rep rep;
	int fd, status = 0;
	bool asked = false;

	if (!m)
		return 0;
	fd = mgr_connect(m->ref.addr);
	if (fd >= 0) {
		asked = mgr_call(fd, &rq, NULL, NULL, 0, &rep) == 0;
		close(fd);
	}
	close(m->life_wr); /* also enough on its own: the server watches it */
	if (!reap_within(m->pid, 1000, &status)) {
		kill(m->pid, SIGTERM);
		if (!reap_within(m->pid, 100, &status)) {
			kill(m->pid, SIGKILL);
			while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
				;
		}
	}
	free(m);
	return asked && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECONNRESET;
}

int manager_connections(const struct manager *m)
{
	return mgr_call_once(m->ref.addr, MGR_STATS, 0);
}

pid_t manager_pid(const struct manager *m)
{
	return m->pid;
}

struct manager_ref manager_ref(const struct manager *m)
{
	return m->ref;
}
