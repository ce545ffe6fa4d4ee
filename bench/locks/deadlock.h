/* SPDX-License-Identifier: MIT */
/*
 * deadlock.h — what deadlock.c and its CPython twins (deadlock_twin.c,
 * bench/cpython/locks.py) agree on.
 */
#ifndef PARBENCH_DEADLOCK_H
#define PARBENCH_DEADLOCK_H

/* lock-reentry's timed waits in a repetition (locks.py's REENTRY_WAITS):
 * the timeout's lateness is their median. One wait's lateness is mostly
 * the VM's timer jitter: CPython's were 188-341 us over 5 repetitions of
 * one wait each in run 20261207T232954Z, the model's 127-178 us, and the
 * fidelity row flipped on it. */
#define REENTRY_WAITS 5

#endif
