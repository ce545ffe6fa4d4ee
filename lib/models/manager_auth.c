/* SPDX-License-Identifier: MIT */
/*
 * manager_auth — every connection to a manager's server is authenticated
 * both ways before its first request, as multiprocessing.connection's
 * Client(address, authkey) and the Server's _handle_request do
 * (Lib/multiprocessing/connection.py 3.11: answer_challenge then
 * deliver_challenge on the client, the mirror on the server): the server
 * sends b'#CHALLENGE#' and 20 random bytes, the client the digest of them
 * under the authkey, the server b'#WELCOME#'; then the client challenges
 * the server the same way. Six messages, three round trips, each a
 * Connection message (a 4-byte big-endian length, then the bytes).
 *
 * The authkey is the process's (current_process().authkey): made once, by
 * the first manager_start, and inherited by every process forked after it,
 * as a pool worker inherits its parent's.
 *
 * What differs: the digest is a keyed 128-bit FNV-1a, not HMAC-MD5 (3.11)
 * or HMAC-SHA256 (3.12+, which also prefix the challenge with the digest's
 * name and send 40 bytes): the model pays the messages and round trips,
 * not a cryptographic hash of 20 bytes (a few µs in CPython).
 */
#include "manager_impl.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#define CHALLENGE "#CHALLENGE#"
#define WELCOME "#WELCOME#"
#define FAILURE "#FAILURE#"
#define MESSAGE_LENGTH 20
#define DIGEST_LEN 16

static unsigned char authkey[32];
static bool have_key;

void mgr_authkey_init(void)
{
	if (have_key)
		return;
	if (getrandom(authkey, sizeof(authkey), 0) != (ssize_t)sizeof(authkey))
		memset(authkey, 0x5a,
		       sizeof(authkey)); /* still a key; its secrecy is not modelled */
	have_key = true;
}

static void digest(const unsigned char *msg, size_t len, unsigned char out[DIGEST_LEN])
{
	for (int half = 0; half < 2; half++) {
		uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)half;

		for (size_t i = 0; i < sizeof(authkey) + len; i++) {
			h ^= i < sizeof(authkey) ? authkey[i] : msg[i - sizeof(authkey)];
			h *= 0x100000001b3ull;
		}
		memcpy(out + 8 * half, &h, 8);
	}
}

/* Connection.send_bytes / recv_bytes(256) */
static int send_msg(int fd, const void *buf, size_t len)
{
	unsigned char hdr[4] = { 0, 0, 0, (unsigned char)len };

	return mgr_write_all(fd, hdr, sizeof(hdr), buf, len);
}

static int recv_msg(int fd, unsigned char *buf, size_t cap, size_t *len)
{
	unsigned char hdr[4];

	if (mgr_read_all(fd, hdr, sizeof(hdr)) < 0)
		return -ECONNRESET;
	*len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (*len > cap)
		return -EPROTO;
	return mgr_read_all(fd, buf, *len);
}

static int deliver_challenge(int fd)
{
	unsigned char msg[sizeof(CHALLENGE) - 1 + MESSAGE_LENGTH], want[DIGEST_LEN], got[256];
	size_t n;
	bool ok;

	memcpy(msg, CHALLENGE, sizeof(CHALLENGE) - 1);
	if (getrandom(msg + sizeof(CHALLENGE) - 1, MESSAGE_LENGTH, 0) != MESSAGE_LENGTH)
		return -EIO;
	digest(msg + sizeof(CHALLENGE) - 1, MESSAGE_LENGTH, want);
	if (send_msg(fd, msg, sizeof(msg)) < 0 || recv_msg(fd, got, sizeof(got), &n) < 0)
		return -ECONNRESET;
	ok = n == DIGEST_LEN && memcmp(got, want, DIGEST_LEN) == 0;
	if (send_msg(fd, ok ? WELCOME : FAILURE, sizeof(WELCOME) - 1) < 0)
		return -ECONNRESET;
	return ok ? 0 : -EACCES;
}

static int answer_challenge(int fd)
{
	unsigned char msg[256], d[DIGEST_LEN];
	size_t n, k = sizeof(CHALLENGE) - 1;

	if (recv_msg(fd, msg, sizeof(msg), &n) < 0)
		return -ECONNRESET;
	if (n < k || memcmp(msg, CHALLENGE, k) != 0)
		return -EPROTO;
	digest(msg + k, n - k, d);
	if (send_msg(fd, d, sizeof(d)) < 0 || recv_msg(fd, msg, sizeof(msg), &n) < 0)
		return -ECONNRESET;
	return n == sizeof(WELCOME) - 1 && memcmp(msg, WELCOME, n) == 0 ? 0 : -EACCES;
}

int mgr_auth_client(int fd)
{
	int rc = answer_challenge(fd);

	return rc < 0 ? rc : deliver_challenge(fd);
}

int mgr_auth_server(int fd)
{
	int rc = deliver_challenge(fd);

	return rc < 0 ? rc : answer_challenge(fd);
}
