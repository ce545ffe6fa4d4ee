// SPDX-License-Identifier: MIT
// The only C++ in parbench: google-benchmark's API behind lib/gbshim.h.
#include "gbshim.h"

#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#ifndef GB_VERSION
#define GB_VERSION "unknown"
#endif
#ifndef GB_VERSION_MAJOR
#define GB_VERSION_MAJOR 1
#define GB_VERSION_MINOR 7
#endif
// 1.8 replaced Run::error_occurred/error_message with skipped/skip_message.
#define GB_HAS_SKIPPED (GB_VERSION_MAJOR > 1 || GB_VERSION_MINOR >= 8)

static benchmark::State &state_of(gb_state *st)
{
	return *reinterpret_cast<benchmark::State *>(st);
}

// Which arg each registered name belongs to: a reported run carries the
// name it was registered under (run_name.function_name, without the
// suffixes google-benchmark adds), so no name is ever parsed.
static std::map<std::string, void *> &registered_args()
{
	static std::map<std::string, void *> args;
	return args;
}

static bool failed(benchmark::State &st)
{
#if GB_HAS_SKIPPED
	return st.skipped();
#else
	return st.error_occurred();
#endif
}

// google-benchmark (1.7.1 up to 1.9.5 at least: google/benchmark#1406, fixed
// after 1.9.5 by its pull request 2199) computes a case's aggregates after
// its last repetition from the first repetition's statistics and iteration
// count; a failed run has no statistics (an unset pointer in 1.7.1, null
// later), so a failed first repetition followed by two passing ones
// crashes parbench (SIGSEGV or std::bad_alloc). Its aggregates are skipped
// only when fewer than two runs passed. So once a run of a case has failed,
// every later run of it is reported to google-benchmark as failed too: the
// crash cannot happen in any order (the first call of a case may be a trial
// of its first repetition, an interleaved one or a warm-up; this holds for
// all of them). An isolated case's rows are parbench's own, written before
// (raw.csv keeps what it measured); an in-process case's measurement is
// google-benchmark's, so such a repetition is a failed row with this reason.
static const char withheld[] =
	"withheld from google-benchmark after an earlier failed repetition of this case "
	"(google-benchmark up to 1.9.5 crashes aggregating repetitions whose first one failed, "
	"google/benchmark#1406)";

// A run skipped before it entered its KeepRunning loop (an interrupt seen
// at the start of a repetition) reports 0 iterations; every run that
// entered the loop, failed or not, reports the case's iteration count.
// google-benchmark (1.7.1 to 1.9.x, ComputeStats) checks that all runs of
// a case have the same count before it skips the failed ones, so a case
// cut after two passing repetitions aborted parbench (exit 134, no
// summary). Entering the loop of a skipped run returns at once (no
// iteration runs, no time is counted) and gives it the common count.
static void enter_loop_if_skipped_early(benchmark::State &st)
{
	if (failed(st) && st.iterations() == 0)
		while (st.KeepRunning()) {
		}
}

namespace
{
struct registered_case {
	gb_fn fn;
	void *arg;
	bool failed_before; // a run of this case has failed
};
} // namespace

extern "C" void gb_register(const char *name, gb_fn fn, void *arg, struct gb_options opt)
{
	static std::vector<std::unique_ptr<registered_case>> cases;

	cases.emplace_back(new registered_case{ fn, arg, false });
	registered_case *c = cases.back().get();
	registered_args()[name] = arg;
	auto *b = benchmark::RegisterBenchmark(name, [c](benchmark::State &st) {
		c->fn(reinterpret_cast<gb_state *>(&st), c->arg);
		if (failed(st))
			c->failed_before = true;
		else if (c->failed_before)
			st.SkipWithError(withheld);
		enter_loop_if_skipped_early(st);
	});
	if (opt.manual_time)
		b->UseManualTime();
	if (opt.iterations > 0)
		b->Iterations(opt.iterations);
	if (opt.repetitions > 0)
		b->Repetitions(opt.repetitions);
	b->Unit(benchmark::kMillisecond);
}

extern "C" bool gb_keep_running(gb_state *st)
{
	return state_of(st).KeepRunning();
}

extern "C" void gb_set_iteration_time(gb_state *st, double seconds)
{
	state_of(st).SetIterationTime(seconds);
}

extern "C" void gb_counter(gb_state *st, const char *name, double value)
{
	state_of(st).counters[name] = benchmark::Counter(value);
}

extern "C" void gb_skip_with_error(gb_state *st, const char *msg)
{
	state_of(st).SkipWithError(msg);
}

extern "C" int64_t gb_iterations(gb_state *st)
{
	return static_cast<int64_t>(state_of(st).iterations());
}

namespace
{
// Hands each finished repetition to C. Aggregates (mean, median, ...) are
// left to the JSON file; parbench's summary is computed from the raw rows.
class CallbackReporter : public benchmark::BenchmarkReporter {
    public:
	CallbackReporter(gb_run_cb cb, void *arg) : cb_(cb), arg_(arg)
	{
	}
	bool ReportContext(const Context &) override
	{
		return true;
	}
	void ReportRuns(const std::vector<Run> &runs) override
	{
		for (const Run &r : runs)
			if (r.run_type == Run::RT_Iteration)
				report(r);
	}

    private:
	void report(const Run &r)
	{
		std::vector<const char *> names;
		std::vector<double> values;
		for (const auto &kv : r.counters) {
			names.push_back(kv.first.c_str());
			values.push_back(kv.second.value);
		}
		auto found = registered_args().find(r.run_name.function_name);
		struct gb_run run = {};
		run.case_arg = found == registered_args().end() ? nullptr : found->second;
		run.name = r.run_name.function_name.c_str();
		run.rep = r.repetition_index < 0 ? 0 : r.repetition_index;
#if GB_HAS_SKIPPED
		run.failed = r.skipped != benchmark::internal::NotSkipped;
		run.error = r.skip_message.c_str();
#else
		run.failed = r.error_occurred;
		run.error = r.error_message.c_str();
#endif
		run.iterations = static_cast<int64_t>(r.iterations);
		run.real_time_s =
			r.iterations ? r.real_accumulated_time / static_cast<double>(r.iterations) :
				       0;
		run.ncounters = static_cast<int>(names.size());
		run.counter_names = names.data();
		run.counter_values = values.data();
		cb_(&run, arg_);
	}
	gb_run_cb cb_;
	void *arg_;
};
} // namespace

extern "C" void gb_initialize(int *argc, char **argv)
{
	benchmark::Initialize(argc, argv);
}

extern "C" int gb_run(gb_run_cb on_run, void *arg)
{
	CallbackReporter display(on_run, arg);
	return static_cast<int>(benchmark::RunSpecifiedBenchmarks(&display));
}

extern "C" void gb_shutdown(void)
{
	benchmark::Shutdown();
}

extern "C" const char *gb_version(void)
{
	return GB_VERSION;
}

// The library's build type is only published in its JSON context, so ask
// the JSON reporter for a context into a string and read it back.
extern "C" const char *gb_build_type(void)
{
	static std::string type;
	if (!type.empty())
		return type.c_str();
	std::ostringstream out, err;
	benchmark::JSONReporter json;
	json.SetOutputStream(&out);
	json.SetErrorStream(&err);
	json.ReportContext(benchmark::BenchmarkReporter::Context());
	const std::string key = "\"library_build_type\": \"";
	std::string s = out.str();
	auto pos = s.find(key);
	type = pos == std::string::npos ?
		       "unknown" :
		       s.substr(pos + key.size(), s.find('"', pos + key.size()) - pos - key.size());
	return type.c_str();
}
