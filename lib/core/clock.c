/* SPDX-License-Identifier: MIT */
#include "clock.h"

#include <errno.h>
#include <sys/resource.h>
#include <time.h>

uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double clock_now_s(void)
{
	return (double)clock_now_ns() / 1e9;
}

void clock_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

struct usage usage_now(void)
{
	struct rusage self, kids;
	struct usage u;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	u.user_s = tv_s(self.ru_utime) + tv_s(kids.ru_utime);
	u.sys_s = tv_s(self.ru_stime) + tv_s(kids.ru_stime);
	u.ctxsw_voluntary = (double)(self.ru_nvcsw + kids.ru_nvcsw);
	u.ctxsw_involuntary = (double)(self.ru_nivcsw + kids.ru_nivcsw);
	return u;
}

struct usage usage_diff(struct usage a, struct usage b)
{
	return (struct usage){
		.user_s = b.user_s - a.user_s,
		.sys_s = b.sys_s - a.sys_s,
		.ctxsw_voluntary = b.ctxsw_voluntary - a.ctxsw_voluntary,
		.ctxsw_involuntary = b.ctxsw_involuntary - a.ctxsw_involuntary,
	};
}
