/* SPDX-License-Identifier: MIT */
/*
 * ceiling — the cross-core copy ceiling: the most any shared-memory channel
 * between two PUs can move when it copies each message in and out.
 */
#ifndef PB_CEILING_H
#define PB_CEILING_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* A spinning ring of nslots slots of slot_bytes: worker 0's PU copies a
 * private block into a free slot and marks it full, worker 1's PU copies a
 * full slot out into a private block and marks it free, for about run_ms.
 * The bytes both moved per second into *bytes_per_s (and the slots into
 * *slots); 0, or -1 after pb_fail. No system call while either copies; a
 * waiter polls for 50 us, then sleeps until the other wakes it (at once
 * when the placement puts both on one PU), so it also runs on one PU. */
int ipc_copy_ceiling(struct pb_ctx *ctx, size_t slot_bytes, int nslots, uint64_t run_ms,
		     double *bytes_per_s, uint64_t *slots);

/* The same with a source and a destination of msg_bytes (a multiple of
 * slot_bytes) that the slot copies walk through, as a channel's messages of
 * that size do: the ceiling of a ring that moves msg_bytes messages. What
 * stays in a core's cache decides this machine's figure (see ring_pair.c):
 * ipc_copy_ceiling is this with msg_bytes = slot_bytes. */
int ipc_copy_ceiling_msg(struct pb_ctx *ctx, size_t msg_bytes, size_t slot_bytes, int nslots,
			 uint64_t run_ms, double *bytes_per_s, uint64_t *slots);

#endif
