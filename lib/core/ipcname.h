/* SPDX-License-Identifier: MIT */
/*
 * ipcname — names for POSIX named IPC objects (shm_open, mq_open,
 * sem_open). They all start with "/parbench.<owner pid>." so that whoever
 * owns the run can find and remove what a case, or a model it used, left
 * behind: a crashed process never unlinks its objects itself.
 */
#ifndef PB_IPCNAME_H
#define PB_IPCNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The pid whose objects these are (the run); 0: the calling process. */
void ipc_set_owner(pid_t owner);
/* A fresh name "/parbench.<owner>.<what>.<pid>.<seq>". */
void ipc_name(char *buf, size_t len, const char *what);
/* Unlink every named IPC object of owner (0: this run's); how many there were. */
int ipc_cleanup(pid_t owner);
/* How many named IPC objects of owner (0: this run's) exist now. Message
 * queues are found by the names this process's run issued (a registry shared
 * with its children), so /dev/mqueue need not be mounted; when it is not and
 * the names are unknown, a note says the check is impossible. */
int ipc_count(pid_t owner);
/* Tests: false checks without the /dev/shm and /dev/mqueue directories
 * (message queues by name only). */
void ipc_scan_dirs(bool on);

#endif
