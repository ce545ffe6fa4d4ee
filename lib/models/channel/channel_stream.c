/* SPDX-License-Identifier: MIT */
/*
 * The byte-stream kinds: pipe (pipe2), duplex and unix (socketpair), and
 * pipe-batched. They model multiprocessing's Pipe
 * (Lib/multiprocessing/connection.py): Pipe(duplex=False) is an os.pipe()
 * with a reading and a writing Connection, Pipe(duplex=True) a
 * socket.socketpair() whose two Connections both send and receive; unix is
 * that socketpair used one way, to compare a socket with a pipe.
 *
 * pipe, duplex and unix frame and read as Connection does. _send_bytes: a
 * 4-byte length and the payload concatenated into one write when the
 * payload is at most 16384 bytes, else the length and the payload as two
 * writes. _recv_bytes: _recv(4) reads the length, _recv(size) the payload
 * (each a read of exactly what is missing, repeated after a short read):
 * two reads per message, none for the payload of an empty message.
 *
 * pipe-batched is the same pipe with a reader Python does not have: it
 * reads up to 64 KiB at a time and parses every message in it, so a burst
 * of small messages costs one read (long payloads are copied straight into
 * the caller's buffer). Next to pipe it shows what CPython's two reads per
 * message cost. A closed or dead peer is EOF/EPIPE from the kernel.
 *
 * CPython versions: the framing follows 3.11's Connection (connection.py
 * _send_bytes/_recv_bytes), which frames over 0x7fffffff as -1 and an 8-byte
 * length (not here: 4 GiB - 1 at most). 3.12-3.14: not re-read line by line
 * for this note.
 */
#include "channel_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define RBUF_BYTES 65536
/* Connection._send_bytes: "if n > 16384" the header and the payload go as
 * two writes, else concatenated as one. */
#define CONN_CONCAT_MAX 16384

/* ---- the stream kinds: pipe, duplex, unix, pipe-batched ---- */

struct stream {
	int fd[2];    /* pipe: [0] read, [1] write; socketpair: [0] A/sender, [1] B/receiver */
	int rd, wr;   /* this process's ends (aliases into fd[]) */
	bool sock;    /* send with MSG_NOSIGNAL */
	bool batched; /* pipe-batched: rbuf holds what was read ahead */
	bool pipe;    /* pipe or pipe-batched (fd[0] reads) */
	unsigned char *rbuf; /* batched: the read-ahead buffer; else NULL */
	size_t roff, rlen;   /* batched: unread bytes are rbuf[roff, rlen) */
};

static int stream_open(struct channel *ch, int role)
{
	struct stream *s = ch->priv;

	if (ch->kind == CH_DUPLEX) {
		if (role != CH_END_A && role != CH_END_B)
			return -EINVAL;
		ch_close_fd(&s->fd[role == CH_END_A ? 1 : 0]);
		s->rd = s->wr = s->fd[role == CH_END_A ? 0 : 1];
		return 0;
	}
	if (role < CH_SEND || role > (CH_SEND | CH_RECV))
		return -EINVAL;
	/* pipe: fd[0] is the read end; unix: fd[1] is the receiver's socket */
	if (!(role & CH_SEND))
		ch_close_fd(&s->fd[s->pipe ? 1 : 0]);
	if (!(role & CH_RECV))
		ch_close_fd(&s->fd[s->pipe ? 0 : 1]);
	s->rd = s->fd[s->pipe ? 0 : 1];
	s->wr = s->fd[s->pipe ? 1 : 0];
	return 0;
}

/* Write all of iov, resuming after short writes. */
static int write_all(struct stream *s, struct iovec *iov, int n)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };

	while (n > 0) {
		ssize_t w = s->sock ? sendmsg(s->wr, &mh, MSG_NOSIGNAL) :
			    n == 1  ? write(s->wr, iov->iov_base, iov->iov_len) :
				      writev(s->wr, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EPIPE || errno == ECONNRESET ? -EPIPE : -errno;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
	}
	return 0;
}

#define SMALL_MSG 1024

static int wait_writable(struct stream *s, uint64_t deadline)
{
	int ev;

	if (deadline == CH_FOREVER)
		return 0;
	ev = ch_poll(s->wr, POLLOUT, deadline);
	return ev == 0 ? -ETIMEDOUT : ev < 0 ? ev : 0;
}

/* Connection._send_bytes: header + payload concatenated into one write up
 * to CONN_CONCAT_MAX bytes of payload, else the header, then the payload
 * (past 0x7fffffff the header is two writes: -1, then the 8-byte length). */
static int conn_send(struct stream *s, const void *buf, size_t len)
{
	unsigned char one[CHANNEL_HDR_MAX + CONN_CONCAT_MAX];
	size_t h = channel_conn_header(len, one);
	struct iovec iov = { one, h > 4 ? 4 : h };
	int rc;

	if (len <= CONN_CONCAT_MAX) {
		if (len)
			memcpy(one + h, buf, len);
		iov = (struct iovec){ one, h + len };
		return write_all(s, &iov, 1);
	}
	if ((rc = write_all(s, &iov, 1)) < 0)
		return rc;
	iov = (struct iovec){ one + 4, h - 4 };
	if (h > 4 && (rc = write_all(s, &iov, 1)) < 0)
		return rc;
	iov = (struct iovec){ (void *)buf, len };
	return write_all(s, &iov, 1);
}

/* pipe-batched's writer: one write per message (writev for long ones). */
static int batched_send(struct stream *s, const void *buf, size_t len)
{
	ch_len_t hdr = (ch_len_t)len;
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { (void *)buf, len } };
	unsigned char one[sizeof(hdr) + SMALL_MSG];

	if (len <= SMALL_MSG) { /* one plain write: cheaper than writev's iovecs */
		memcpy(one, &hdr, sizeof(hdr));
		if (len)
			memcpy(one + sizeof(hdr), buf, len);
		iov[0] = (struct iovec){ one, sizeof(hdr) + len };
		return write_all(s, iov, 1);
	}
	return write_all(s, iov, 2);
}

static int stream_send(struct channel *ch, const void *buf, size_t len, uint64_t deadline)
{
	struct stream *s = ch->priv;
	int rc;

	if (s->wr < 0)
		return -EINVAL;
	if ((rc = wait_writable(s, deadline)) < 0)
		return rc;
	return s->batched ? batched_send(s, buf, len) : conn_send(s, buf, len);
}

/* Read more into rbuf. 1: got bytes, 0: EOF, < 0: error or timeout. */
static int fill(struct stream *s, uint64_t deadline)
{
	ssize_t r;

	if (s->roff == s->rlen)
		s->roff = s->rlen = 0;
	if (s->rlen == RBUF_BYTES) {
		memmove(s->rbuf, s->rbuf + s->roff, s->rlen - s->roff);
		s->rlen -= s->roff;
		s->roff = 0;
	}
	if (deadline != CH_FOREVER) {
		int ev = ch_poll(s->rd, POLLIN, deadline);

		if (ev == 0)
			return -ETIMEDOUT;
		if (ev < 0)
			return ev;
	}
	do
		r = read(s->rd, s->rbuf + s->rlen, RBUF_BYTES - s->rlen);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == ECONNRESET ? 0 : -errno;
	s->rlen += (size_t)r;
	return r > 0;
}

/* Take n bytes of the current message: from rbuf first, then straight from
 * the fd into dst (NULL: discard). */
static int take(struct stream *s, unsigned char *dst, size_t n)
{
	unsigned char sink[4096];

	while (n > 0) {
		size_t have = s->rlen - s->roff, k;
		ssize_t r;

		if (have) {
			k = have < n ? have : n;
			if (dst)
				memcpy(dst, s->rbuf + s->roff, k), dst += k;
			s->roff += k;
			n -= k;
			continue;
		}
		k = dst ? n : (n < sizeof(sink) ? n : sizeof(sink));
		// cppcheck-suppress legacyUninitvar ; sink is written, never read
		r = read(s->rd, dst ? dst : sink, k);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ECONNRESET; /* the sender died in the middle of it */
		if (dst)
			dst += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The payload of a message of len bytes into buf (cap bytes): what does
 * not fit is read and dropped (-EMSGSIZE). */
static ssize_t take_payload(struct stream *s, void *buf, size_t cap, uint64_t len)
{
	int rc = take(s, buf, len < cap ? len : cap);

	if (rc == 0 && len > cap)
		rc = take(s, NULL, len - cap);
	if (rc < 0)
		return rc;
	return len > cap ? -EMSGSIZE : (ssize_t)len;
}

/* Connection._recv_bytes: _recv(4), then _recv(size) — two reads of
 * exactly what is missing, nothing read ahead. */
static ssize_t conn_recv(struct stream *s, void *buf, size_t cap, uint64_t deadline)
{
	unsigned char len[8];
	ssize_t r;

	if (deadline != CH_FOREVER) {
		int ev = ch_poll(s->rd, POLLIN, deadline);

		if (ev == 0)
			return -ETIMEDOUT;
		if (ev < 0)
			return ev;
	}
	do
		r = read(s->rd, len, 4);
	while (r < 0 && errno == EINTR);
	if (r == 0 || (r < 0 && errno == ECONNRESET))
		return -EPIPE; /* _recv: EOFError before the first byte */
	if (r < 0)
		return -errno;
	if (r < 4 && take(s, len + r, 4 - (size_t)r) < 0)
		return -ECONNRESET; /* "got end of file during message" */
	if (channel_conn_short(len) >= 0)
		return take_payload(s, buf, cap, (uint64_t)channel_conn_short(len));
	if (take(s, len, 8) < 0) /* size == -1: _recv(8), "!Q" */
		return -ECONNRESET;
	return take_payload(s, buf, cap, channel_conn_long(len));
}

static ssize_t batched_recv(struct stream *s, void *buf, size_t cap, uint64_t deadline)
{
	ch_len_t len;
	int rc;

	while (s->rlen - s->roff < sizeof(len)) {
		bool started = s->rlen > s->roff;

		rc = fill(s, started ? CH_FOREVER : deadline);
		if (rc == 0)
			return started ? -ECONNRESET : -EPIPE;
		if (rc < 0)
			return rc;
	}
	memcpy(&len, s->rbuf + s->roff, sizeof(len));
	s->roff += sizeof(len);
	return take_payload(s, buf, cap, len);
}

static ssize_t stream_recv(struct channel *ch, void *buf, size_t cap, uint64_t deadline)
{
	struct stream *s = ch->priv;

	if (s->rd < 0)
		return -EINVAL;
	return s->batched ? batched_recv(s, buf, cap, deadline) : conn_recv(s, buf, cap, deadline);
}

static bool stream_empty(struct channel *ch)
{
	struct stream *s = ch->priv;

	return s->rlen == s->roff && ch_poll(s->rd, POLLIN, CH_NOWAIT) <= 0;
}

static int no_flush(struct channel *ch)
{
	(void)ch;
	return 0;
}

static void stream_close(struct channel *ch)
{
	struct stream *s = ch->priv;

	ch_close_fd(&s->fd[0]);
	ch_close_fd(&s->fd[1]);
	free(s->rbuf);
	free(s);
}

static const struct channel_ops stream_ops = {
	.open = stream_open,
	.send = stream_send,
	.recv = stream_recv,
	.empty = stream_empty,
	.flush = no_flush,
	.close = stream_close,
};

static int stream_create(struct channel *ch, const char *name, char *err, size_t errlen)
{
	struct stream *s = calloc(1, sizeof(*s));
	bool batched = ch->kind == CH_PIPE_BATCHED;
	int rc;

	if (!s || (batched && !(s->rbuf = malloc(RBUF_BYTES)))) {
		free(s);
		ch_err(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	s->batched = batched;
	s->pipe = ch->kind == CH_PIPE || batched;
	s->sock = !s->pipe;
	rc = s->sock ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->fd) :
		       pipe2(s->fd, O_CLOEXEC);
	if (rc < 0) {
		rc = -errno;
		ch_err(err, errlen, "%s: %s", s->sock ? "socketpair" : "pipe2", strerror(errno));
		free(s->rbuf);
		free(s);
		return rc;
	}
	/* Before any open: pipe reads fd[0] and writes fd[1]; a socketpair
	 * sends on fd[0] and receives on fd[1] (duplex: as end A would). */
	s->rd = ch->kind == CH_DUPLEX ? s->fd[0] : s->fd[s->pipe ? 0 : 1];
	s->wr = s->pipe ? s->fd[1] : s->fd[0];
	ch->priv = s;
	ch->ops = &stream_ops;
	return 0;
}

static int pipe_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen)
{
	(void)o;
	return stream_create(ch, "pipe", err, errlen);
}

static int duplex_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen)
{
	(void)o;
	return stream_create(ch, "duplex", err, errlen);
}

static int unix_create(struct channel *ch, const struct channel_opts *o, char *err, size_t errlen)
{
	(void)o;
	return stream_create(ch, "unix", err, errlen);
}

static int batched_create(struct channel *ch, const struct channel_opts *o, char *err,
			  size_t errlen)
{
	(void)o;
	return stream_create(ch, "pipe-batched", err, errlen);
}

const struct ch_kind ch_kind_pipe = { .name = "pipe", .conn_framed = true, .create = pipe_create };
const struct ch_kind ch_kind_duplex = { .name = "duplex",
					.duplex = true,
					.conn_framed = true,
					.create = duplex_create };
const struct ch_kind ch_kind_unix = { .name = "unix", .conn_framed = true, .create = unix_create };
const struct ch_kind ch_kind_pipe_batched = { .name = "pipe-batched", .create = batched_create };
