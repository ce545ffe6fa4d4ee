/* SPDX-License-Identifier: MIT */
#include "csv.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void csv_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void csv_number(FILE *f, double v)
{
	char buf[40];

	if (isnan(v)) {
		fputs("nan", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "inf" : "-inf", f);
		return;
	}
	/* %.17g always round-trips; try shorter forms first so that 0.2 is
	 * written as 0.2 and not 0.20000000000000001. */
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

void csv_meta(FILE *f, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(f, "# %s=%s\n", key, buf);
}

void csv_case_columns(FILE *f, const struct csv_row *r)
{
	csv_field(f, r->machine);
	fputc(',', f);
	csv_field(f, r->case_name);
	fputc(',', f);
	csv_field(f, r->experiment);
	fputc(',', f);
	csv_field(f, r->model);
	fputc(',', f);
	csv_field(f, r->workload);
	fprintf(f, ",%d,", r->workers);
	csv_field(f, r->param);
	fputc(',', f);
	csv_number(f, r->param_value);
	fputc(',', f);
	csv_field(f, r->pin);
	fputc(',', f);
}

void csv_row(FILE *f, const struct csv_row *r)
{
	csv_case_columns(f, r);
	fprintf(f, "%d,", r->rep);
	csv_field(f, r->metric);
	fputc(',', f);
	csv_number(f, r->value);
	fputc(',', f);
	csv_field(f, r->unit);
	fputc('\n', f);
}
