/* SPDX-License-Identifier: MIT */
/* ipc_common — what the ipc-* experiments share. */
#ifndef PB_IPC_COMMON_H
#define PB_IPC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Is reply (got bytes, as channel_recv returned) the ping of msg_bytes that
 * carried seq? A ping carries the first min(msg_bytes, 8) bytes of seq;
 * only those are compared, never the buffer past the reply. */
bool ipc_reply_ok(const void *reply, ssize_t got, size_t msg_bytes, uint64_t seq);

#endif
