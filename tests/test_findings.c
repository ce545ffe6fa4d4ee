/* SPDX-License-Identifier: MIT */
/* Findings as data: the API (ids, figures, verdicts, notes), findings.csv
 * (rows, quoting, figures) and summary.md's findings section, which must be
 * exactly the rendering of what findings.csv holds: the file is read back
 * here and rendered again. No case runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "harness_impl.h"
#include "rawcsv.h"

static const struct pb_config cfg = { .profile = PROFILE_QUICK, .reps = 5 };

static struct stats_summary five(double min, double median, double max)
{
	return (struct stats_summary){ .n = 5, .min = min, .median = median, .max = max };
}

/* Two experiments: a judged finding with a claim that needs quoting, a
 * figureless note, a repeated id and a NaN figure. */
static void fill(struct pb_report *rep)
{
	struct pb_finding *f;

	rep->experiment = "tasks";
	f = pb_report_finding(rep, "cpu_threads_gil_speedup", "CPU threads, \"under the GIL\", %d",
			      2);
	pb_finding_figure(f, "speedup", five(0.9, 0.98, 1.02), "x");
	pb_finding_value(f, "wall", 12345.6, "s");
	pb_finding_verdict(f, "does not scale", "the GIL, %s", "one at a time");
	pb_report_note(rep, "a sentence, with a comma");
	rep->experiment = "gil-convoy";
	pb_report_note(rep, "first note");
	f = pb_report_finding(rep, "convoy_k1", "twice");
	pb_finding_value(f, "p50", NAN, "us");
	pb_report_finding(rep, "convoy_k1", "twice again");
	rep->experiment = NULL;
}

static char *write_to_string(struct pb_report *rep, void (*fn)(const struct pb_report *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(rep, f);
	fclose(f);
	return buf;
}

static void ids_notes_and_figures(void **state)
{
	struct pb_report rep = { .cfg = &cfg };

	(void)state;
	fill(&rep);
	assert_int_equal(rep.nfindings, 5);
	assert_string_equal(rep.findings[0]->id, "tasks.cpu_threads_gil_speedup");
	assert_string_equal(rep.findings[0]->claim, "CPU threads, \"under the GIL\", 2");
	assert_int_equal(rep.findings[0]->nfigs, 2);
	assert_int_equal(rep.findings[0]->figs[1].s.n, 1);
	assert_string_equal(rep.findings[0]->reason, "the GIL, one at a time");
	assert_string_equal(rep.findings[1]->id, "tasks.note1");
	assert_true(rep.findings[1]->note);
	assert_string_equal(rep.findings[2]->id, "gil-convoy.note1"); /* counted per experiment */
	assert_string_equal(rep.findings[3]->id, "gil-convoy.convoy_k1");
	assert_string_equal(rep.findings[4]->id, "gil-convoy.convoy_k1_2");
	findings_free(&rep);
	assert_int_equal(rep.nfindings, 0);
}

static void csv_rows_quoted_one_per_figure(void **state)
{
	struct pb_report rep = { .cfg = &cfg };
	char *csv;

	(void)state;
	fill(&rep);
	csv = write_to_string(&rep, findings_write_csv);
	assert_string_equal(
		csv,
		"# schema_version=1\n" CSV_FINDINGS_HEADER "\n"
		"tasks,tasks.cpu_threads_gil_speedup,\"CPU threads, \"\"under the GIL\"\", 2\","
		"speedup,0.98,0.9,1.02,5,x,does not scale,\"the GIL, one at a time\"\n"
		"tasks,tasks.cpu_threads_gil_speedup,\"CPU threads, \"\"under the GIL\"\", 2\","
		"wall,12345.6,12345.6,12345.6,1,s,does not scale,\"the GIL, one at a time\"\n"
		"tasks,tasks.note1,\"a sentence, with a comma\",,,,,,,,\n"
		"gil-convoy,gil-convoy.note1,first note,,,,,,,,\n"
		"gil-convoy,gil-convoy.convoy_k1,twice,p50,nan,nan,nan,1,us,,\n"
		"gil-convoy,gil-convoy.convoy_k1_2,twice again,,,,,,,,\n");
	free(csv);
	findings_free(&rep);
}

static void markdown_renders_each_finding(void **state)
{
	struct pb_report rep = { .cfg = &cfg }, none = { .cfg = &cfg };
	char *md;

	(void)state;
	fill(&rep);
	md = write_to_string(&rep, findings_write_md);
	assert_string_equal(md,
			    "\n## Findings\n\n"
			    "- CPU threads, \"under the GIL\", 2: speedup 0.98x (0.9–1.02, n=5); "
			    "wall 12346 s — does not scale: the GIL, one at a time\n"
			    "- a sentence, with a comma\n"
			    "- first note\n"
			    "- twice: p50 nan us\n"
			    "- twice again\n");
	free(md);
	md = write_to_string(&none, findings_write_md);
	assert_string_equal(md, "");
	free(md);
	findings_free(&rep);
}

/* The findings of one CSV row into back (a finding per new id). */
static void read_row(struct pb_report *back, char **fld)
{
	struct pb_finding *f = back->nfindings ? back->findings[back->nfindings - 1] : NULL;
	const char *id = fld[1] + strlen(fld[0]) + 1; /* "<experiment>." off */

	if (!f || strcmp(f->id, fld[1]) != 0) {
		back->experiment = fld[0];
		f = pb_report_finding(back, id, "%s", fld[2]);
		if (fld[9][0] || fld[10][0])
			pb_finding_verdict(f, fld[9], fld[10][0] ? "%s" : NULL, fld[10]);
	}
	if (fld[3][0])
		pb_finding_figure(f, fld[3],
				  (struct stats_summary){ .median = strtod(fld[4], NULL),
							  .min = strtod(fld[5], NULL),
							  .max = strtod(fld[6], NULL),
							  .n = strtoul(fld[7], NULL, 10) },
				  fld[8]);
}

/* summary.md's section is the rendering of what findings.csv holds: the
 * CSV read back (rawcsv_split: RFC 4180 quotes) renders the same text. */
static void markdown_is_the_rendering_of_the_csv(void **state)
{
	struct pb_report rep = { .cfg = &cfg }, back = { .cfg = &cfg };
	char *csv, *md, *md_back, *line, *save = NULL, *fld[16];
	int row = 0;

	(void)state;
	fill(&rep);
	csv = write_to_string(&rep, findings_write_csv);
	md = write_to_string(&rep, findings_write_md);
	for (line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || row++ == 0)
			continue; /* the schema line, the header */
		assert_int_equal(rawcsv_split(line, fld, 16), 11);
		read_row(&back, fld);
	}
	back.experiment = NULL;
	md_back = write_to_string(&back, findings_write_md);
	assert_string_equal(md_back, md);
	free(csv);
	free(md);
	free(md_back);
	findings_free(&rep);
	findings_free(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids_notes_and_figures),
		cmocka_unit_test(csv_rows_quoted_one_per_figure),
		cmocka_unit_test(markdown_renders_each_finding),
		cmocka_unit_test(markdown_is_the_rendering_of_the_csv),
	};

	return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
