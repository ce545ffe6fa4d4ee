/* SPDX-License-Identifier: MIT */
/*
 * channel_kinds — the table of kinds, indexed by enum channel_kind: the one
 * place that names every kind's file. A new kind is a file that exports its
 * struct ch_kind, a value in enum channel_kind, and a line here. Like the
 * rest of lib/models/channel it mirrors Lib/multiprocessing/connection.py
 * (Pipe: pipe, duplex; pipe-batched is the pipe with a reader that reads
 * ahead, which Connection does not), Lib/multiprocessing/queues.py (Queue)
 * and managers.py (Manager().Queue(): manager-queue); unix,
 * mqueue and shm have no counterpart there and are the comparison points.
 *
 * CPython versions: see channel.h's opening comment.
 */
#include "channel_impl.h"

const struct ch_kind *const ch_kinds[CH_NKINDS] = {
	[CH_PIPE] = &ch_kind_pipe,
	[CH_DUPLEX] = &ch_kind_duplex,
	[CH_QUEUE] = &ch_kind_queue,
	[CH_UNIX] = &ch_kind_unix,
	[CH_MQUEUE] = &ch_kind_mqueue,
	[CH_SHM] = &ch_kind_shm,
	[CH_PIPE_BATCHED] = &ch_kind_pipe_batched,
	[CH_MANAGER] = &ch_kind_manager,
};
