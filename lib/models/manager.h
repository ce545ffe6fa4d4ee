/* SPDX-License-Identifier: MIT */
/*
 * manager — multiprocessing's SyncManager (Lib/multiprocessing/managers.py)
 * for the one type the tutorial uses: Manager().Queue(). manager_start is
 * BaseManager.start(): a server process that owns the queues (each a
 * queue.Queue of Lib/queue.py: lib/models/tqueue.c) and listens on a
 * unix socket; a thread per connection serves its requests one at a time
 * (Server.accepter / handle_request / serve_client). A queue is reached
 * through a proxy: a channel of kind manager-queue (channel.h), whose every
 * put and get is a request to the server and its reply over that socket
 * (BaseProxy._callmethod). Every connection is authenticated both ways
 * first (manager_auth.c, with the process's authkey, inherited by forks);
 * a proxy attached by reference (unpickled) costs an incref and a decref
 * on connections of their own (channel_manager.c).
 *
 * Lifetime. The server ends when (1) manager_shutdown asks it to (and then
 * reaps it, as BaseManager.shutdown / _finalize_manager: join 1 s, then
 * SIGTERM, then SIGKILL), or (2) its creator goes: it watches a lifeline
 * pipe only the creator writes to, and its parent's pid, so a creator that
 * dies or leaves without shutdown never leaves a server behind. The
 * address is in Linux's abstract socket namespace, so no socket file is
 * left either, whatever ends the server.
 *
 * End of stream, which Python's manager queue does not have: a queue made
 * with manager_queue() has lifelines (pipes the server watches; a process
 * holding the send role holds one, the receive role the other). When the
 * last sender is gone, the server puts a sentinel in the queue; a get that
 * meets it puts it back and answers -EPIPE (end of stream, as the other
 * channel kinds do); a put with no receiver left answers -EPIPE. A proxy
 * attached by reference (a pool worker's) holds no lifeline, as a Python
 * proxy holds none.
 *
 * The server's death is -ECONNRESET for every client, at once (its end of
 * each connection closes), never -EPIPE: a consumer must not mistake it
 * for the end of the stream.
 *
 * CPython versions: follows 3.11's Lib/multiprocessing/managers.py (the
 * server's serve_client, the proxy's _callmethod), without the incref and
 * decref connections each unpickled proxy opens, and without _tls per thread.
 * 3.14: the default start method on Linux is forkserver (the server here is
 * forked); 3.12, 3.13: not re-read line by line for this note.
 */
#ifndef PB_MANAGER_H
#define PB_MANAGER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a manager or one of its queues is: the address (in the abstract
 * namespace, without its leading NUL) and the queue's id (0: none, the
 * manager itself). Plain bytes: it can be sent to another process, as a
 * pickled proxy is (the pool experiment passes it as a task's argument). */
struct manager_ref {
	char addr[100];
	uint32_t qid;
};

struct manager;

/* Start the server (fork). NULL with err filled on failure. */
struct manager *manager_start(char *err, size_t errlen);
/* Ask the server to end, reap it, free m: 0, or -ECONNRESET when it had
 * died before (killed by a signal or a non-zero status). */
int manager_shutdown(struct manager *m);
pid_t manager_pid(const struct manager *m);
/* The connections m's server has authenticated so far, this call's own
 * included (for tests), or a negative errno. */
int manager_connections(const struct manager *m);
struct manager_ref manager_ref(const struct manager *m);

/* A queue in m's server as a channel: see channel.h, kind manager-queue,
 * and channel_opts.manager. */

#endif
