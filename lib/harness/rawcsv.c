/* SPDX-License-Identifier: MIT */
/* rawcsv — see rawcsv.h. */
#include "rawcsv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

int rawcsv_split(char *line, char **field, int max)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		if (n == max)
			return -1;
		field[n++] = w;
		if (*r == '"') {
			for (r++;; r++) {
				if (*r == '\0')
					return -1; /* unterminated quote */
				if (*r == '"' && r[1] != '"')
					break;
				r += *r == '"'; /* a doubled quote is one */
				*w++ = *r;
			}
			r++;
			if (*r != ',' && *r != '\0')
				return -1;
		} else {
			for (; *r && *r != ','; r++) {
				if (*r == '"')
					return -1;
				*w++ = *r;
			}
		}
		if (*r == '\0') {
			*w = '\0';
			return n;
		}
		*w++ = '\0';
		r++;
	}
}

static int meta_line(const struct rawcsv_ops *ops, void *arg, char *line, char *err, size_t errlen)
{
	char *eq = strchr(line, '=');

	if (strncmp(line, "# ", 2) != 0 || !eq) {
		snprintf(err, errlen, "a metadata line is not '# key=value'");
		return -1;
	}
	*eq = '\0';
	return ops->meta ? ops->meta(arg, line + 2, eq + 1, err, errlen) : 0;
}

static int row_line(const struct rawcsv_ops *ops, void *arg, char *line, char *err, size_t errlen)
{
	char *field[RAWCSV_FIELDS];

	if (rawcsv_split(line, field, RAWCSV_FIELDS) != RAWCSV_FIELDS) {
		snprintf(err, errlen, "not a row of %d fields", RAWCSV_FIELDS);
		return -1;
	}
	return ops->row ? ops->row(arg, field, err, errlen) : 0;
}

int rawcsv_read(FILE *f, const struct rawcsv_ops *ops, void *arg, int *partial, char *err,
		size_t errlen)
{
	char *line = NULL, why[256] = "";
	size_t cap = 0, lineno = 0;
	bool header = false;
	ssize_t len;
	int rc = 0;

	*partial = 0;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			*partial = 1; /* cut short: not a line */
			break;
		}
		line[len - 1] = '\0';
		if ((size_t)len - 1 != strlen(line)) {
			snprintf(why, sizeof(why), "a NUL byte");
			rc = -1;
		} else if (!header && line[0] == '#') {
			rc = meta_line(ops, arg, line, why, sizeof(why));
		} else if (!header) {
			header = strcmp(line, CSV_RAW_HEADER) == 0;
			if (!header) {
				snprintf(why, sizeof(why), "not the raw CSV header");
				rc = -1;
			}
		} else {
			rc = row_line(ops, arg, line, why, sizeof(why));
		}
	}
	free(line);
	if (rc == 0 && !header) {
		snprintf(err, errlen, "no raw CSV header");
		return -1;
	}
	if (rc < 0)
		snprintf(err, errlen, "line %zu: %s", lineno, why);
	return rc;
}
