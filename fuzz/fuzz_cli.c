/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cli — libFuzzer target for parbench's option parser (cli_parse): the
 * input is argv, words separated by NUL bytes. Built by `make fuzz` (clang,
 * -fsanitize=fuzzer,address,undefined); tests/test_fuzz_corpus.c runs the
 * corpus in fuzz/corpus/cli/ through fuzz_cli_one() in `make test`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define FUZZ_CLI_MAX_ARGS 32

int fuzz_cli_one(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[FUZZ_CLI_MAX_ARGS + 2], err[512];
	struct pb_options o;
	struct cli_select sel;
	int argc = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "parbench";
	for (size_t i = 0; i <= size && argc <= FUZZ_CLI_MAX_ARGS;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	if (cli_parse(argc, argv, &o, err, sizeof(err)) == 0) {
		/* what a good parse promises */
		if (o.reps < 0 || o.reps > 1000 || o.gb_argc < 1 || o.gb_argc >= CLI_MAX_GB_ARGS)
			abort();
		/* --filter and --exclude were checked: both compile */
		if (cli_select_init(&sel, &o) != 0)
			abort();
		cli_select_keep(&sel, "tasks/fork/io/n:5/w:5/task_ms:50");
		cli_select_free(&sel);
	} else if (!err[0]) {
		abort(); /* an error always says what was wrong */
	}
	free(buf);
	return 0;
}

#ifdef PB_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_cli_one(data, size);
}
#endif
