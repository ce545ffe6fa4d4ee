/* SPDX-License-Identifier: MIT */
/*
 * gil_twins — the CPython twins of gil-convoy and gil-cores (bench/cpython/gil.py),
 * with the C twins' parameters, planned beside them.
 */
#include "cpython.h"
#include "gil_common.h"
#include "twins.h"

static const struct cpython_prog echo_prog = { "gil.py", "mode=convoy io=echo" };
static const struct cpython_prog sleep_prog = { "gil.py", "mode=convoy io=sleep sleep_us=1000" };
static const struct cpython_prog slices_prog = { "gil.py", "mode=slices" };

/* One gil-convoy twin: the echo round trip (echo_us, as the C twin's) or
 * time.sleep(1 ms), next to k CPU threads at the default 5 ms interval. */
static void py_convoy_add(struct pb_plan *plan, const struct pb_config *cfg, bool sleep,
			  int echo_us, int k, const enum pin_policy *pin)
{
	/* as the C twin's */
	int n = echo_us == 0 && !sleep ? gil_convoy_instant_trips(cfg) : gil_convoy_trips(cfg, k);
	struct pb_case c = cpython_case("gil-convoy", "cpython-threads", sleep ? "sleep" : "io",
					sleep ? &sleep_prog : &echo_prog, 0.02 * n);

	pb_case_name(&c, "n", n);
	if (sleep)
		pb_case_name(&c, "sleep_us", 1000);
	else
		pb_case_name(&c, "echo_us", echo_us);
	if (pin) { /* as the C twin's placed cases (bench/gil/convoy.c) */
		pb_case_name_str(&c, "pin", pin_policy_name(*pin));
		c.pin_fixed = true;
		c.pin = *pin;
	}
	pb_case_set(&c, "switch_us", 5000);
	c.workers = k + 1;
	c.param = "cpu_threads";
	c.param_value = k;
	/* Python's start-up, then the C twin's; a sleep is 1 ms */
	c.est_s = CPYTHON_START_EST_S + gil_estimate(n, 5000, k) + (sleep ? 1e-3 * n : 0);
	pb_plan_add(plan, &c);
}

/* gil-convoy: the echo round trip and time.sleep(1 ms) at K = 0, 1, 2 ..,
 * then the instant echo at K = 1 (after the others, as in C). */
static void plan_convoy(struct pb_plan *plan, const struct pb_config *cfg)
{
	int kmax = gil_convoy_kmax(cfg);

	/* quick: the echo only; time.sleep's overshoot beside it (the
	 * figure's dotted series, no fidelity row) in default and full (it
	 * took 1.5 s of a 1:06 quick make bench on a 2-vCPU AMD EPYC VM, run
	 * 20261207T211732Z) */
	for (int v = 0; v < 2 - (cfg->profile == PROFILE_QUICK); v++)
		for (int k = 0; k <= kmax; k = k < 2 ? k + 1 : 2 * k)
			py_convoy_add(plan, cfg, v, GIL_ECHO_US, k, NULL);
	/* quick: the C models' instant echo only (the convoy lesson is the
	 * 100 us echo's; the twin's start is most of its 0.4 s) */
	if (cfg->profile != PROFILE_QUICK)
		py_convoy_add(plan, cfg, false, 0, 1, NULL);
}

void gil_convoy_twin_placed(struct pb_plan *plan, const struct pb_config *cfg, int echo_us,
			    enum pin_policy pin)
{
	py_convoy_add(plan, cfg, false, echo_us, 1, &pin);
}

/* gil-cores: two CPU threads' time slices, on one PU and on two. */
static void plan_cores(struct pb_plan *plan, const struct pb_config *cfg)
{
	int ms = PB_PICK(cfg, 25, 50, 500); /* as the C twins' (bench/gil/cores.c) */

	for (int pus = 1; pus <= 2 && pus <= cfg->pus; pus++) {
		struct pb_case c = cpython_case("gil-cores", "cpython-threads", "cpu", &slices_prog,
						8.0 * ms / 1e3);

		pb_case_name(&c, "ms", ms);
		pb_case_set(&c, "switch_us", 5000);
		c.workers = 2;
		c.pin_fixed = true;
		c.pin = pus == 1 ? PIN_SINGLE : PIN_SCATTER;
		c.param = "pus";
		c.param_value = pus;
		c.est_s = CPYTHON_START_EST_S +
			  2.0 * ms / 1e3; /* under the GIL, one after the other */
		pb_plan_add(plan, &c);
	}
}

void gil_cpython_twins(struct pb_plan *plan, const struct pb_config *cfg)
{
	plan_convoy(plan, cfg);
	plan_cores(plan, cfg);
}
