/* SPDX-License-Identifier: MIT */
/*
 * price_like — the like-for-like loops (like.c, like_thread.c): parbench
 * doing what one of the peer's operations does, to test an explanation of
 * a pairing far from 1.
 */
#ifndef PB_PRICE_LIKE_H
#define PB_PRICE_LIKE_H

#include <stdio.h>

#include "price.h"

/* A process's shape as fork sees it: its mappings, those with anonymous
 * pages, and its anonymous memory. */
struct price_shape {
	int maps, anon_maps;
	long anon_kib;
	int max_fd; /* its highest open file descriptor (not from smaps) */
};

/* Read a /proc/<pid>/smaps text; 0, or -1 when it has no mapping. */
int price_shape_read(FILE *f, struct price_shape *s);

/* stress-ng --pthread's operation (stress-pthread.c): price_ours_fn. */
int price_pthread_like_ops(struct pb_ctx *ctx, const struct pb_case *c, double *ns, size_t n);

#endif
