/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rawcsv — libFuzzer target for the raw-CSV reader that --resume and
 * --summarize use (lib/harness/rawcsv.c): any bytes, read as a raw.csv.
 * Built by `make fuzz`; tests/test_fuzz_corpus.c runs fuzz/corpus/rawcsv/
 * through fuzz_rawcsv_one() in `make test`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawcsv.h"

struct fuzz_seen {
	size_t meta, rows, bytes;
};

static int fuzz_meta(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
	struct fuzz_seen *s = arg;

	(void)err;
	(void)errlen;
	s->meta++;
	s->bytes += strlen(key) + strlen(value);
	return 0;
}

static int fuzz_row(void *arg, char **field, char *err, size_t errlen)
{
	struct fuzz_seen *s = arg;
	char *end;

	s->rows++;
	for (int i = 0; i < RAWCSV_FIELDS; i++)
		s->bytes += strlen(field[i]);
	(void)strtod(field[11], &end);
	if (*end && s->rows % 2) /* stop on a bad value, like --resume */
		return snprintf(err, errlen, "bad value"), -1;
	return 0;
}

int fuzz_rawcsv_one(const uint8_t *data, size_t size)
{
	static const struct rawcsv_ops ops = { .meta = fuzz_meta, .row = fuzz_row };
	struct fuzz_seen seen = { 0 };
	char err[300] = "", *line;
	int partial;
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (rawcsv_read(f, &ops, &seen, &partial, err, sizeof(err)) < 0 && !err[0])
		abort(); /* a refusal always says why */
	fclose(f);
	if (seen.bytes > size)
		abort(); /* fields are parts of the input */
	/* the splitter alone, on the whole input as one line */
	line = malloc(size + 1);
	if (line) {
		char *field[RAWCSV_FIELDS];

		memcpy(line, data, size);
		line[size] = '\0';
		if (rawcsv_split(line, field, RAWCSV_FIELDS) > RAWCSV_FIELDS)
			abort();
		free(line);
	}
	return 0;
}

#ifdef PB_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_rawcsv_one(data, size);
}
#endif
