/* SPDX-License-Identifier: MIT */
/*
 * manager_impl — the manager's wire protocol, shared by the server
 * (manager_server.c), the client calls (manager.c) and the queue's channel
 * kind (channel/channel_manager.c). A request is a header and a payload;
 * its reply a header and a payload, on one connection, one request at a
 * time (as Connection.send / recv of a proxy's (id, methodname, args)
 * and the server's ('#RETURN', result)). Not for bench/.
 *
 * CPython versions: see manager.h's opening comment.
 */
#ifndef PB_MANAGER_IMPL_H
#define PB_MANAGER_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "manager.h"

enum mgr_op {
	MGR_NEWQ = 1, /* payload: uint64 maxsize; with 0 or 2 fds (the lifelines' read ends) */
	MGR_PUT,      /* payload: the message */
	MGR_GET,      /* reply payload: the message */
	MGR_QSIZE,    /* reply status: qsize */
	MGR_SHUTDOWN, /* the server replies 0 and ends */
	MGR_INCREF,   /* a proxy was unpickled: the queue's refcount + 1 (reply status: it) */
	MGR_DECREF,   /* a proxy was collected: - 1 */
	MGR_STATS,    /* reply status: the connections the server has authenticated */
	MGR_ACCEPT,   /* accept_connection: a _tls connection's first request; status 0 */
};

struct mgr_req {
	uint32_t len; /* payload bytes */
	uint8_t op;
	uint8_t pad[3];
	uint32_t qid;
	int32_t timeout_ms; /* -1: for ever */
};

struct mgr_rep {
	int32_t status; /* >= 0, or a negative errno */
	uint32_t len;	/* payload bytes */
};

struct manager {
	pid_t pid;     /* the server */
	pid_t creator; /* the process that started it */
	int life_wr;   /* the lifeline the server watches; only the creator holds it */
	struct manager_ref ref;
};

/* Connect to the server at addr and authenticate (manager_auth.c): the
 * fd, or a negative errno (-EACCES: the digests did not match). */
int mgr_connect(const char *addr);
/* One call on a connection of its own (Client(), dispatch, close): a
 * proxy's incref and decref. The reply's status, or a negative errno. */
int mgr_call_once(const char *addr, enum mgr_op op, uint32_t qid);

/* manager_auth.c: the process's authkey (made once, inherited by forks)
 * and the two sides of the handshake. 0, or a negative errno. */
void mgr_authkey_init(void);
int mgr_auth_client(int fd);
int mgr_auth_server(int fd);
/* Send one request (payload len bytes, with nfds fds attached) and read
 * the reply's header: 0, or -ECONNRESET when the server is gone. */
int mgr_call(int fd, const struct mgr_req *rq, const void *payload, const int *fds, int nfds,
	     struct mgr_rep *rep);
/* Read the reply's payload of len bytes: the first cap into buf, the rest
 * discarded. 0 or -ECONNRESET. */
int mgr_read_payload(int fd, void *buf, size_t cap, size_t len);
/* Read / write exactly n bytes on a connection: 0, or -ECONNRESET. */
int mgr_read_all(int fd, void *buf, size_t n);
int mgr_write_all(int fd, const void *a, size_t na, const void *b, size_t nb);

/* The server's main (manager_server.c): never returns. listen_fd and
 * life_rd are its only fds besides 0-2. */
void mgr_serve(int listen_fd, int life_rd, pid_t creator) __attribute__((noreturn));

#endif
