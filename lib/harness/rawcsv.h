/* SPDX-License-Identifier: MIT */
/*
 * rawcsv — reads back the raw CSV that parbench writes: `# key=value`
 * metadata, the exact header, then rows of 13 fields (RFC 4180 quotes).
 * Used by --resume and --summarize; fuzzed by fuzz/fuzz_rawcsv.c.
 */
#ifndef PB_RAWCSV_H
#define PB_RAWCSV_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define RAWCSV_FIELDS 13

struct rawcsv_ops {
	/* each returns 0 to go on, or -1 with err filled to stop the read */
	int (*meta)(void *arg, const char *key, const char *value, char *err, size_t errlen);
	int (*row)(void *arg, char **field, char *err, size_t errlen);
};

/* Split one line (no newline) in place into at most max fields; the field
 * count, or -1 when the quoting is broken or there are more than max. */
int rawcsv_split(char *line, char **field, int max);

/* Read f to its end. A last line without its newline (a write cut short by a
 * kill) is not a row: it is dropped and *partial says so. Returns 0, or -1
 * with err naming the line and what is wrong with it. */
int rawcsv_read(FILE *f, const struct rawcsv_ops *ops, void *arg, int *partial, char *err,
		size_t errlen);

#endif
