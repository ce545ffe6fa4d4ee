/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbshim.h"
#include "gitrev.h"
#ifndef PB_GIT_REV
#define PB_GIT_REV "unknown"
#endif

const char cli_usage[] =
	"usage: parbench [options] [--benchmark_*=...]\n"
	"\n"
	"Re-creates the concurrency models of Python's multiprocessing and threading\n"
	"tutorials in C and measures them. Results go to results/<machine>/<UTC>/.\n"
	"\n"
	"  --help               this text\n"
	"  --version            parbench's version, git revision, compiler and\n"
	"                       google-benchmark version\n"
	"  --list               list the experiments (after --filter and --exclude): name,\n"
	"                       cases, what it teaches; with --cases, the case names\n"
	"  --topo               print the machine's topology and exit\n"
	"  --filter REGEX       run only cases whose name matches (POSIX extended regex)\n"
	"  --exclude REGEX      then leave out the cases whose name matches (like\n"
	"                       google-benchmark's '-' prefix)\n"
	"  --reps N             repetitions of each case (1..1000; profile default:\n"
	"                       quick 3, default 5, full 10)\n"
	"  --pin POLICY         none | compact | scatter | single (default none)\n"
	"  --profile NAME       quick | default | full (default default)\n"
	"  --python PATH        the interpreter of the cpython-* cases (default: python3\n"
	"                       on PATH; without one those cases are skipped)\n"
	"  --machine NAME       the CSV's machine column (default: host name;\n"
	"                       letters, digits, '.', '_', '-')\n"
	"  --csv FILE           write the raw CSV to FILE ('-': stdout) instead of a\n"
	"                       run directory\n"
	"  --results DIR        where run directories go (default results)\n"
	"  --resume RUN_DIR     run the cases RUN_DIR/raw.csv does not hold complete, with\n"
	"                       the run's own options, appending to it\n"
	"  --summarize RUN_DIR  rebuild RUN_DIR's summary.csv and summary.md from raw.csv\n"
	"  --interleave         run the repetitions in rounds (round k: repetition k of\n"
	"                       every case, in plan order), so that the cases a ratio\n"
	"                       compares run side by side and see the same machine drift\n"
	"  --benchmark_*        passed to google-benchmark (e.g. --benchmark_out=F.json)\n"
	"\n"
	"Exit status: 0 all cases passed, 1 a case failed, 2 bad usage, 130 interrupted.\n";

static const char allowed[] =
	"allowed: --help --version --list [--cases] --topo --filter REGEX --exclude REGEX --reps N "
	"--pin none|compact|scatter|single --profile quick|default|full "
	"--machine NAME --csv FILE --results DIR --python PATH --resume RUN_DIR "
	"--summarize RUN_DIR --interleave --benchmark_*";

int cli_default_reps(enum pb_profile p)
{
	return p == PROFILE_QUICK ? 3 : p == PROFILE_DEFAULT ? 5 : 10;
}

const char *cli_compiler(void)
{
#ifdef __clang__
	return "clang " __clang_version__;
#else
	return "gcc " __VERSION__;
#endif
}

void cli_version(FILE *out)
{
	fprintf(out, "parbench %s\ngit_rev: %s\ncompiler: %s\ngbench_version: %s\n", PB_VERSION,
		PB_GIT_REV, cli_compiler(), gb_version());
}

/* "--name VALUE" or "--name=VALUE": the value, or NULL when it is missing. */
static const char *take_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *a = argv[*i];

	if (a[len] == '=')
		return a + len + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool flag_is(const char *word, const char *name)
{
	size_t len = strlen(name);

	return strncmp(word, name, len) == 0 && (word[len] == '\0' || word[len] == '=');
}

static bool parse_reps(const char *s, int *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9') /* strtol would take ' 5', '+5' */
		return false;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 1000)
		return false;
	*out = (int)v;
	return true;
}

bool cli_machine_ok(const char *s)
{
	if (!*s || strlen(s) > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

/* A bound {m}, {m,} or {m,n} at p (after its '{'): its largest count, and
 * *end past the '}'; -1 when it is not one. */
static long bound_max(const char *p, const char **end)
{
	char *e;
	long m = strtol(p, &e, 10), n = m;

	if (e == p || m < 0)
		return -1;
	if (*e == ',')
		n = e[1] >= '0' && e[1] <= '9' ? strtol(e + 1, &e, 10) : (e++, m);
	if (*e != '}')
		return -1;
	*end = e + 1;
	return n > m ? n : m;
}

/* --filter patterns that cost seconds (or gigabytes) to compile (glibc
 * expands bounded repetitions and '+', and nested or stacked ones multiply)
 * or match (back-references) are refused: no count over 255, no nesting of
 * counts over 1000 in all ('+' counts 2: "x+++++++++++" is refused). */
static const char *filter_too_costly(const char *p)
{
	long stack[64] = { 1 }, last = 1;
	int depth = 0, nrep = 0;
	bool after_rep = false;

	if (strlen(p) > 512)
		return "longer than 512 characters";
	while (*p) {
		const char *end = p + 1;
		long n;

		if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
			return "back-references (\\1 ... \\9) are not allowed";
		if (*p == '[') { /* a bracket expression is one atom */
			end += *end == '^';
			end += *end == ']';
			while (*end && *end != ']')
				end++;
			end += *end == ']';
			last = 1;
		} else if (*p == '(') {
			if (++depth >= 64)
				return "groups nested too deep";
			stack[depth] = 1;
		} else if (*p == ')' && depth > 0) {
			last = stack[depth--];
			stack[depth] = stack[depth] > last ? stack[depth] : last;
		} else if ((*p == '{' && (n = bound_max(p + 1, &end)) >= 0) ||
			   (*p == '+' && (n = 2)) || ((*p == '*' || *p == '?') && (n = 1))) {
			/* glibc copies the repeated part n times ('+': twice) */
			if (after_rep)
				return "a repetition of a repetition (like 'a+?' or 'a**')";
			if (++nrep > 64)
				return "more than 64 repetition operators";
			if (n > 255)
				return "a repetition count over 255";
			if ((last *= n ? n : 1) > 1000)
				return "nested repetition counts over 1000 in all";
			stack[depth] = stack[depth] > last ? stack[depth] : last;
			after_rep = true;
			p = end;
			continue;
		} else {
			end += *p == '\\' && p[1];
			last = 1;
		}
		after_rep = false;
		p = end;
	}
	return NULL;
}

static int bad(char *err, size_t len, const char *fmt, const char *what)
{
	snprintf(err, len, fmt, what);
	return 2;
}

/* --filter's and --exclude's REGEX: true, with err, when it is too costly or
 * does not compile. */
static bool regex_refused(const char *name, const char *v, char *err, size_t errlen)
{
	const char *why = filter_too_costly(v);
	regex_t re;

	if (why) {
		snprintf(err, errlen, "%s: refused, %s", name, why);
		return true;
	}
	if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0) {
		snprintf(err, errlen, "%s: '%s' is not a valid POSIX extended regular expression",
			 name, v);
		return true;
	}
	regfree(&re);
	return false;
}

static int parse_value_flag(int argc, char **argv, int *i, struct pb_options *o, char *err,
			    size_t errlen)
{
	const char *a = argv[*i], *name = a, *v;
	char flag[32];

	snprintf(flag, sizeof(flag), "%.*s", (int)strcspn(a, "="), a);
	name = flag;
	v = take_value(argc, argv, i, name);
	if (!v)
		return bad(err, errlen, "option '%s' needs a value", name);
	if (strcmp(name, "--filter") == 0 || strcmp(name, "--exclude") == 0) {
		if (regex_refused(name, v, err, errlen))
			return 2;
		*(name[2] == 'f' ? &o->filter : &o->exclude) = v;
	} else if (strcmp(name, "--reps") == 0) {
		if (!parse_reps(v, &o->reps))
			return bad(err, errlen, "--reps: '%s' is not a whole number from 1 to 1000",
				   v);
	} else if (strcmp(name, "--pin") == 0) {
		if (!pin_policy_parse(v, &o->pin))
			return bad(err, errlen,
				   "--pin: unknown policy '%s'; allowed: none, compact, scatter, single",
				   v);
	} else if (strcmp(name, "--profile") == 0) {
		if (!pb_profile_parse(v, &o->profile))
			return bad(err, errlen,
				   "--profile: unknown profile '%s'; allowed: quick, default, full",
				   v);
	} else if (strcmp(name, "--machine") == 0) {
		if (!cli_machine_ok(v))
			return bad(err, errlen,
				   "--machine: '%s' is not allowed; use 1-64 letters, digits, '.', '_', '-'",
				   v);
		o->machine = v;
	} else if (strcmp(name, "--python") == 0) {
		if (!*v)
			return bad(err, errlen, "%s: needs the path of a Python interpreter", name);
		o->python = v;
	} else if (strcmp(name, "--csv") == 0) {
		if (!*v)
			return bad(err, errlen, "%s: needs a file name or '-'", name);
		o->csv = v;
	} else {
		if (!*v)
			return bad(err, errlen, "%s: needs a directory", name);
		*(strcmp(name, "--resume") == 0	   ? &o->resume :
		  strcmp(name, "--summarize") == 0 ? &o->summarize :
						     &o->results) = v;
	}
	return 0;
}

static int pass_to_gbench(const char *a, struct pb_options *o, char *err, size_t errlen)
{
	/* what runs is parbench's plan: google-benchmark's own selection would
	 * make the cases reported differ from the cases planned */
	if (flag_is(a, "--benchmark_filter") || flag_is(a, "--benchmark_list_tests") ||
	    flag_is(a, "--benchmark_dry_run"))
		return bad(err, errlen, "'%s': use parbench's --filter and --list instead", a);
	if (o->gb_argc + 1 >= CLI_MAX_GB_ARGS)
		return bad(err, errlen, "too many --benchmark_* flags (at most %s)", "62");
	o->gb_argv[o->gb_argc++] = (char *)a;
	o->gb_argv[o->gb_argc] = NULL;
	if (flag_is(a, "--benchmark_out"))
		o->gb_has_out = true;
	if (flag_is(a, "--benchmark_repetitions")) {
		o->gb_has_reps = true;
		if (!a[23] || !parse_reps(a + 24, &o->gb_reps))
			return bad(err, errlen,
				   "'%s': --benchmark_repetitions needs =N with N from 1 to 1000",
				   a);
	}
	return 0;
}

/* Options that must agree with each other. */
static int check_combinations(struct pb_options *o, char *err, size_t errlen)
{
	/* one source of truth for repetitions */
	if (o->gb_reps && o->reps && o->gb_reps != o->reps) {
		snprintf(err, errlen,
			 "--reps %d and --benchmark_repetitions=%d differ; give one of them",
			 o->reps, o->gb_reps);
		return 2;
	}
	if (o->gb_reps)
		o->reps = o->gb_reps;
	if ((o->resume || o->summarize) &&
	    (o->filter || o->exclude || o->reps || o->machine || o->csv || o->python ||
	     o->pin != PIN_NONE || o->profile != PROFILE_DEFAULT ||
	     strcmp(o->results, "results") != 0 || (o->resume && o->summarize))) {
		snprintf(err, errlen,
			 "--resume and --summarize take the run's options from its raw.csv; give "
			 "it alone");
		return 2;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct pb_options *o, char *err, size_t errlen)
{
	static const char *const value_flags[] = { "--filter", "--exclude",  "--reps",
						   "--pin",    "--profile",  "--machine",
						   "--csv",    "--results",  "--python",
						   "--resume", "--summarize" };

	*o = (struct pb_options){
		.pin = PIN_NONE, .profile = PROFILE_DEFAULT, .results = "results", .gb_argc = 1
	};
	o->gb_argv[0] = argc > 0 ? argv[0] : "parbench";
	err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool known = false;
		int rc;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			o->help = true;
			continue;
		}
		if (strcmp(a, "--version") == 0) {
			o->version = true;
			continue;
		}
		if (strcmp(a, "--list") == 0 || strcmp(a, "--topo") == 0) {
			*(a[2] == 'l' ? &o->list : &o->topo) = true;
			continue;
		}
		if (strcmp(a, "--cases") == 0 || strcmp(a, "--interleave") == 0) {
			*(a[2] == 'c' ? &o->list_cases : &o->interleave) = true;
			continue;
		}
		if (strncmp(a, "--benchmark_", 12) == 0) {
			if ((rc = pass_to_gbench(a, o, err, errlen)))
				return rc;
			continue;
		}
		for (size_t f = 0; f < sizeof(value_flags) / sizeof(value_flags[0]); f++) {
			if (!flag_is(a, value_flags[f]))
				continue;
			known = true;
			if ((rc = parse_value_flag(argc, argv, &i, o, err, errlen)))
				return rc;
			break;
		}
		if (!known) {
			snprintf(err, errlen, "unknown option '%s'; %s", a, allowed);
			return 2;
		}
	}
	if (check_combinations(o, err, errlen))
		return 2;
	if (o->list_cases && !o->list) {
		snprintf(err, errlen, "--cases goes with --list (parbench --list --cases)");
		return 2;
	}
	return 0;
}

int cli_select_init(struct cli_select *s, const struct pb_options *o)
{
	*s = (struct cli_select){ .has_filter = o->filter != NULL };
	if (s->has_filter && regcomp(&s->filter, o->filter, REG_EXTENDED | REG_NOSUB) != 0)
		return s->has_filter = false, -1;
	if (o->exclude && regcomp(&s->exclude, o->exclude, REG_EXTENDED | REG_NOSUB) != 0) {
		cli_select_free(s);
		return -1;
	}
	s->has_exclude = o->exclude != NULL;
	return 0;
}

bool cli_select_keep(const struct cli_select *s, const char *case_name)
{
	if (s->has_filter && regexec(&s->filter, case_name, 0, NULL, 0) != 0)
		return false;
	return !s->has_exclude || regexec(&s->exclude, case_name, 0, NULL, 0) != 0;
}

void cli_select_free(struct cli_select *s)
{
	if (s->has_filter)
		regfree(&s->filter);
	if (s->has_exclude)
		regfree(&s->exclude);
	s->has_filter = s->has_exclude = false;
}

/* google-benchmark reads BENCHMARK_FILTER, BENCHMARK_REPETITIONS, ... from
 * the environment: they would change what runs behind parbench's back. */
int cli_check_env(char *err, size_t errlen)
{
	extern char **environ;

	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "BENCHMARK_", 10) != 0)
			continue;
		snprintf(err, errlen,
			 "the environment sets %.*s, which would change what google-benchmark "
			 "runs; unset it (use parbench's options)",
			 (int)strcspn(*e, "="), *e);
		return 2;
	}
	return 0;
}
