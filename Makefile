# parbench — see README.md. The two commands: `make bench` and `make test`.
#
#   make                 build bench/parbench
#   make bench           install what is missing, build, run the default profile, plot
#   make bench PROFILE=quick PIN=compact MACHINE=name
#   make test            install what is missing, build, run every cmocka suite
#   make SANITIZE=address,undefined test   (or SANITIZE=thread)
#   make plots RUN=results/<machine>/<stamp>
#   make compare RUNS="DIR1 DIR2 ..." [OUT=DIR] [MIN_CHANGE=5%]
#   make report RUN=DIR | RUNS="DIR1 DIR2 ..." [OUT=DIR]
#   make lint            layers, clang-format, cppcheck, flake8, shellcheck
#   make fuzz [FUZZ_TIME=60]   libFuzzer (clang) on the option parser and the raw-CSV reader
#   make slurm PARTITIONS="p1 p2" [NODES=...]   parbench on a cluster (README)
#   make slurm-check     make slurm against a throwaway one-node Slurm cluster
#   make fresh-check [FRESH_WHAT=test|bench] [FRESH_PROFILE=quick]   the two
#                        commands on a fresh Debian 12 (debootstrap; needs root)
#   make CC=clang CXX=clang++

# make's built-in defaults (cc, g++) count as unset here.
ifeq ($(origin CC),default)
CC := gcc
endif
ifeq ($(origin CXX),default)
CXX := $(if $(findstring clang,$(CC)),clang++,g++)
endif
.DEFAULT_GOAL := all
PROFILE ?= default
PIN ?= none
# Rounds (parbench --interleave): the cases a ratio compares run side by side,
# and their summaries divide repetition k by repetition k. INTERLEAVE= turns it off.
INTERLEAVE ?= --interleave
MACHINE ?=
SANITIZE ?=
# make compare hides the cases whose 95 % interval lies inside +-MIN_CHANGE.
MIN_CHANGE ?= 5%
# Debian's python3 sees python3-scipy; a pyenv/venv python3 first in PATH may not
# (and a pyenv shim adds 0.1 s to every start of the cpython-* cases).
# make bench PYTHON=/path/to/python3.13t measures another interpreter.
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
# V=1 shows every command.
Q := $(if $(V),,@)

# Each build flavour has its own object tree, so a sanitizer build never
# mixes with the release one.
comma := ,
FLAVOUR := $(if $(SANITIZE),san-$(subst $(comma),-,$(SANITIZE)),release)-$(notdir $(CC))
BUILD := build/$(FLAVOUR)

PKGS := hwloc benchmark
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) cmocka 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
GB_VERSION = $(shell pkg-config --modversion benchmark 2>/dev/null || echo 0.0.0)
GIT_REV = $(shell git describe --always --dirty 2>/dev/null || echo unknown)

SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	$(if $(findstring undefined,$(SANITIZE)),-fno-sanitize-recover=undefined),)
WARN := -Wall -Wextra -Werror
OPT := -O2 -g

# The house: lib/core <- lib/models, lib/harness <- bench/<group>/ (see
# README "How it is built"; scripts/lint.sh checks the direction).
CORE_DIRS := lib/core
MODEL_DIRS := lib/models $(patsubst %/,%,$(wildcard lib/models/*/))
HARNESS_DIRS := lib/harness
BENCH_DIRS := $(patsubst %/,%,$(wildcard bench/*/))
INC := $(addprefix -I,$(CORE_DIRS) $(MODEL_DIRS) $(HARNESS_DIRS) $(BENCH_DIRS)) -I$(BUILD)/gen

CFLAGS_ALL = -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -pthread $(INC) $(SAN_FLAGS) \
	$(PKG_CFLAGS) -MMD -MP $(CFLAGS)
CXXFLAGS_ALL = -std=c++17 $(OPT) $(WARN) -pthread $(INC) $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP \
	-DGB_VERSION='"$(GB_VERSION)"' -DGB_VERSION_MAJOR=$(word 1,$(subst ., ,$(GB_VERSION))) \
	-DGB_VERSION_MINOR=$(word 2,$(subst ., ,$(GB_VERSION))) $(CXXFLAGS)
LDLIBS_ALL = $(SAN_FLAGS) -pthread $(PKG_LIBS) -lm -lstdc++ $(LDLIBS)

src_of = $(foreach d,$(1),$(wildcard $(d)/*.c) $(wildcard $(d)/*.cc))
obj_of = $(patsubst %.cc,$(BUILD)/%.o,$(patsubst %.c,$(BUILD)/%.o,$(call src_of,$(1))))

# One static library per layer: a test or the binary links the archives and
# the linker takes only the objects it needs.
CORE_A := $(BUILD)/libpbcore.a
MODELS_A := $(BUILD)/libpbmodels.a
HARNESS_A := $(BUILD)/libpbharness.a
BENCH_A := $(BUILD)/libpbbench.a
LIBS_A := $(BENCH_A) $(HARNESS_A) $(MODELS_A) $(CORE_A)
$(CORE_A): $(call obj_of,$(CORE_DIRS))
$(MODELS_A): $(call obj_of,$(MODEL_DIRS))
$(HARNESS_A): $(call obj_of,$(HARNESS_DIRS))
$(BENCH_A): $(call obj_of,$(BENCH_DIRS)) $(BUILD)/bench/registry.o
$(LIBS_A):
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
PARBENCH := $(BUILD)/parbench

.PHONY: FORCE all build bench test plots lint clean deps-build deps-test deps-bench _bench _test \
	compare report deps-compare deps-report deps-lint slurm slurm-check fuzz _fuzz fresh-check
all: build
build: deps-build
	@$(MAKE) --no-print-directory $(PARBENCH) bench/parbench

# The top-level commands install what is missing first, then run a second
# make so that pkg-config is asked only once the packages are there.
bench: deps-bench
	@$(MAKE) --no-print-directory _bench
test: deps-test
	@$(MAKE) --no-print-directory _test
deps-build deps-test deps-bench deps-compare deps-report deps-lint:
	@scripts/deps.sh $(@:deps-%=%)

# git_rev is the revision the binary was built from: the header is rewritten
# on every build but replaced only when the revision changed, so run.o is
# rebuilt exactly when it must be.
GITREV_H := $(BUILD)/gen/gitrev.h
$(GITREV_H): FORCE
	@mkdir -p $(dir $@)
	@printf '#define PB_GIT_REV "%s"\n#define PB_CFLAGS "%s"\n' '$(GIT_REV)' \
		'$(CC) -std=gnu11 $(OPT) $(WARN) $(SAN_FLAGS)' > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@
FORCE:
$(call obj_of,$(HARNESS_DIRS)): | $(GITREV_H)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@
$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)$(CXX) $(CXXFLAGS_ALL) -c $< -o $@

$(PARBENCH): $(BUILD)/bench/main.o $(LIBS_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CXX) $^ -o $@ $(LDLIBS_ALL)
# bench/parbench is always the release build; sanitizer builds stay in
# their own directory ($(BUILD)/parbench). pb-true, the tiny static program
# price's fork + exec runs, goes next to each binary.
PB_TRUE := $(BUILD)/pb-true
$(PB_TRUE): bench/price/tiny/pb_true.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -static $< -o $@ 2>/dev/null || $(CC) -O2 $< -o $@
# Copied beside and renamed over: a run of the old binary goes on (a plain cp
# onto a running executable fails with "Text file busy").
bench/parbench: $(PARBENCH) $(PB_TRUE)
	$(Q)$(if $(SANITIZE),true,cp $< $@.new && mv -f $@.new $@ && \
		cp $(PB_TRUE) bench/pb-true.new && mv -f bench/pb-true.new bench/pb-true)

# parbench-fault: parbench with the planted faults of lib/models/gil.c
# (PB_FAULT_HOOKS, chosen by PB_FAULT_GIL=off|no-interval), for
# tests/fidelity: its gil.o comes before the archive's, which is not linked.
$(BUILD)/fault/gil.o: lib/models/gil.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (faults)")
	$(Q)$(CC) $(CFLAGS_ALL) -DPB_FAULT_HOOKS -c $< -o $@
$(BUILD)/parbench-fault: $(BUILD)/bench/main.o $(BUILD)/fault/gil.o $(LIBS_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CXX) $^ -o $@ $(LDLIBS_ALL)

$(BUILD)/tests/%: tests/%.c $(LIBS_A) $(PARBENCH)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC+LD   $@")
	$(Q)$(CC) $(CFLAGS_ALL) $< $(LIBS_A) -o $@ $(CMOCKA_LIBS) $(LDLIBS_ALL)

# plot.sh --newer draws the run this command made, not the newest anywhere.
_bench: $(PARBENCH) bench/parbench
	@rc=0; mark=$$(mktemp); bench/parbench --profile $(PROFILE) --pin $(PIN) $(INTERLEAVE) \
		--python $(PYTHON) $(if $(MACHINE),--machine $(MACHINE)) $(ARGS) || rc=$$?; \
	if [ $$rc -ne 2 ] && [ $$rc -ne 130 ]; then scripts/plot.sh --newer $$mark || rc=1; fi; \
	rm -f $$mark; exit $$rc

# The script tests (compare, report) print the same PASSED/FAILED lines as
# cmocka. They test no C code, so a sanitizer build skips them.
SCRIPT_TESTS := $(if $(SANITIZE),,$(wildcard tests/*/test_*.py tests/*/test_*.sh))

# Every suite runs even when one fails; the last line adds up their tests
# (a suite that dies before its summary counts as one failure).
_test: $(TEST_BIN) bench/parbench $(BUILD)/parbench-fault
	@passed=0; failed=0; bad=""; \
	for t in $(TEST_BIN) $(SCRIPT_TESTS); do \
		echo "== $$t"; \
		case $$t in *.py) run="$(PYTHON) $$t" ;; *) run="$$t" ;; esac; \
		out=$$(PARBENCH_BIN=$(PARBENCH) PYTHON=$(PYTHON) $$run 2>&1); rc=$$?; echo "$$out"; \
		p=$$(echo "$$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p'); \
		f=$$(echo "$$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p'); \
		[ $$rc -ne 0 ] && [ -z "$$f" ] && f=1; \
		passed=$$((passed + $${p:-0})); failed=$$((failed + $${f:-0})); \
		[ $$rc -ne 0 ] && bad="$$bad $$(basename $$t)"; \
	done; \
	[ -z "$$bad" ] || echo "failed suites:$$bad"; \
	echo "tests: $$passed passed, $$failed failed"; \
	[ -z "$$bad" ]

plots:
	scripts/plot.sh $(RUN)

compare: deps-compare
	@$(PYTHON) scripts/compare.py $(RUNS) $(if $(OUT),--out $(OUT)) --min-change '$(MIN_CHANGE)'
report: deps-report
	@$(PYTHON) scripts/report.py $(if $(RUNS),--runs $(RUNS),$(if $(RUN),--run $(RUN))) \
		$(if $(OUT),--out $(OUT))

# The lint tools are installed like the others (scripts/deps.sh lint).
lint: deps-lint
	@scripts/lint.sh

# libFuzzer targets (fuzz/fuzz_*.c), built with clang against the layer
# archives of a clang ASan+UBSan flavour; each runs FUZZ_TIME seconds on a
# copy of its seed corpus (fuzz/corpus/<target>/). A crash stops make and
# leaves crash-* here: copy it into fuzz/corpus/<target>/ (a regression test
# from then on: tests/test_fuzz_corpus.c) and fix the bug.
FUZZ_TIME ?= 60
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
fuzz:
	@$(MAKE) --no-print-directory CC=clang CXX=clang++ \
		SANITIZE=fuzzer-no-link,address,undefined _fuzz
_fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
	@for t in $(FUZZ_TARGETS); do \
		c=$(BUILD)/fuzz/$$t-corpus; mkdir -p $$c; \
		echo "== $$t: $(FUZZ_TIME) s"; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -max_len=8192 -timeout=10 \
			-artifact_prefix=$(BUILD)/fuzz/$$t- $$c fuzz/corpus/$${t#fuzz_} \
			>$(BUILD)/fuzz/$$t.log 2>&1 || { tail -n 30 $(BUILD)/fuzz/$$t.log; exit 1; }; \
		tail -n 1 $(BUILD)/fuzz/$$t.log; \
	done
$(BUILD)/fuzz/%: fuzz/%.c $(LIBS_A)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -DPB_LIBFUZZER -c $< -o $@.o
	$(Q)$(CXX) -fsanitize=fuzzer $@.o $(LIBS_A) -o $@ $(LDLIBS_ALL)

# A job array on a Slurm cluster, one task per partition or node, and a merge
# job after it (scripts/slurm/submit.sh says what each variable does).
slurm: build
	@PARTITIONS='$(PARTITIONS)' NODES='$(NODES)' PROFILE='$(PROFILE)' PIN='$(PIN)' \
		FILTER='$(FILTER)' REPS='$(REPS)' ARGS='$(ARGS)' OUT='$(OUT)' \
		NODE_BUILD='$(NODE_BUILD)' SBATCH_ARGS='$(SBATCH_ARGS)' scripts/slurm/submit.sh
slurm-check: build
	@scripts/slurm/check.sh

# The README's two commands on a bare Debian 12 (debootstrap, from this
# machine's apt mirror) from a clean clone of HEAD: scripts/fresh-check.sh.
fresh-check:
	@FRESH_PROFILE='$(FRESH_PROFILE)' scripts/fresh-check.sh $(FRESH_WHAT)

clean:
	rm -rf build bench/parbench

-include $(shell find build -name '*.d' 2>/dev/null)
