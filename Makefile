# threadprof build.  `make` builds build/libthreadprof.so; `make check` runs
# every Check suite (unit suites link the modules directly, integration
# suites preload the agent into the test programs); `make bench` prints
# native-vs-agent ratios.  SANITIZER=address,undefined builds the unit
# suites (never the preloaded agent) with sanitizers.

CC       ?= cc
CXX      ?= c++
BUILD    ?= build
WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -fno-common
CPPFLAGS += -D_GNU_SOURCE -I. -I/usr/include/x86_64-linux-gnu
CFLAGS   ?= -O2 -g
BASE_CFLAGS = -std=c11 -fPIC $(WARN) $(CFLAGS)
# The agent: hidden by default (only interposed functions are exported),
# initial-exec TLS so reaching thread-local state never calls the dynamic
# linker, no stack protector noise in hooks.
# -fno-builtin for the malloc family: GCC otherwise knows malloc touches
# no memory of ours and drops the tp_in_agent++/-- around the agent's own
# calls to it, so the agent's allocations were sampled as the program's.
AGENT_CFLAGS = $(BASE_CFLAGS) -fvisibility=hidden -ftls-model=initial-exec \
               -fasynchronous-unwind-tables -fno-builtin-malloc -fno-builtin-calloc \
               -fno-builtin-realloc -fno-builtin-free
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck_pic -lsubunit -lm -lrt)
SANITIZER ?=
ifneq ($(SANITIZER),)
SAN_FLAGS = -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

CORE_SRCS  := $(wildcard base/*.c agent/*.c symbolizer/*.c output/*.c)
HOOK_SRCS  := $(wildcard hooks/*.c)
CORE_OBJS  := $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)
HOOK_OBJS  := $(HOOK_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_OBJS  := $(CORE_SRCS:%.c=$(BUILD)/unitobj/%.o)

# Integration suites preload the agent into test programs; the others are
# unit suites of one module each (the ones `make sanitize` runs).
INTEGRATION := check_crash check_crash_hard check_misuse check_http check_discovery check_trends check_dump check_heap check_hostile check_hostile_dir check_host check_locks check_lockorder check_processes check_profiles check_report check_triggers
UNIT_TESTS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/check_*.c))
UNIT_ONLY   := $(filter-out $(addprefix $(BUILD)/tests/,$(INTEGRATION)),$(UNIT_TESTS))
PROGRAMS_C  := $(patsubst tests/programs/%.c,$(BUILD)/tests/programs/%,$(wildcard tests/programs/*.c))
PROGRAMS_CC := $(patsubst tests/programs/%.cpp,$(BUILD)/tests/programs/%,$(wildcard tests/programs/*.cpp))
PRELOADS    := $(patsubst tests/programs/preload/%.c,$(BUILD)/tests/programs/preload/%.so,$(wildcard tests/programs/preload/*.c))
BENCHES     := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/*.c))

LIB := $(BUILD)/libthreadprof.so

.PHONY: all setup check sanitize unit-check bench demo clean fuzz compat compat-fast
all: $(LIB)

$(LIB): $(CORE_OBJS) $(HOOK_OBJS)
	$(CC) -shared -o $@ $^ -Wl,-z,now -Wl,-z,nodelete -Wl,--no-undefined -ldl -lpthread -lm

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(AGENT_CFLAGS) -MMD -MP -c $< -o $@

# Hooks unwind cleanly when pthread_cancel unwinds through them (see
# TP_WAIT_SCOPE in agent/agent.h).
$(BUILD)/obj/hooks/%.o: hooks/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(AGENT_CFLAGS) -fexceptions -MMD -MP -c $< -o $@

# Unit-test copies of the core modules (sanitizers allowed here).
$(BUILD)/unitobj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (unit)"
	@$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(SAN_FLAGS) -DTP_UNIT_TEST -MMD -MP -c $< -o $@

$(BUILD)/libtpcore.a: $(UNIT_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tests/check_%: tests/check_%.c $(wildcard tests/*.h) $(BUILD)/libtpcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(SAN_FLAGS) $(CHECK_CFLAGS) -o $@ $< \
	    $(BUILD)/libtpcore.a $(CHECK_LIBS) -ldl -lpthread

# Test programs look like ordinary distribution builds: optimised, with
# debug info, no frame pointers forced.
$(BUILD)/tests/programs/%: tests/programs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -o $@ $< -lpthread

$(BUILD)/tests/programs/%: tests/programs/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O1 -g -Wall -Wextra -Werror -o $@ $< -lpthread

# Small libraries the tests preload beside the agent.
$(BUILD)/tests/programs/preload/%.so: tests/programs/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -shared -fPIC -o $@ $<

$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -I. -O2 -g -Wall -Wextra -Werror -o $@ $< -lpthread

setup:
	@scripts/setup

check: include-check $(LIB) $(UNIT_TESTS) $(PROGRAMS_C) $(PROGRAMS_CC) $(PRELOADS)
	@scripts/run-tests $(BUILD) $(UNIT_TESTS)

# The include rule of docs/architecture.md (scripts/check-includes, after
# its self-test): an include that breaks it fails `make check`.
.PHONY: include-check
include-check:
	@out=$$(tests/check_includes.sh 2>&1) || { printf '%s\n' "$$out"; exit 1; }
	@scripts/check-includes

# The unit suites under AddressSanitizer and UBSan, in a build directory
# of their own (the preloaded agent cannot run under the sanitizers).
sanitize:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/sanitize SANITIZER=address,undefined unit-check

unit-check: $(UNIT_ONLY)
	@scripts/run-tests $(BUILD) $(UNIT_ONLY)

# libFuzzer targets (tests/fuzz/*.c) for the configuration parsers and the
# agent's readers of /proc text, built with clang, ASan and UBSan, each run
# FUZZ_SECONDS (default 20); fails on any crash.  Installs clang when it
# can, skips with a message when it cannot.
fuzz:
	@tests/fuzz/run $(BUILD)

bench: $(LIB) $(BENCHES) $(PROGRAMS_C) $(PROGRAMS_CC) $(PRELOADS)
	@scripts/bench $(BUILD)

demo: $(LIB) $(PROGRAMS_C)
	@scripts/demo $(BUILD)

# Real programs (sysbench, stress-ng, memcached, redis, pigz, xz, python3,
# sqlite3, the JVM) natively and under the agent; scripts/compat installs
# them with apt-get (or skips them).  compat-fast: the subset CI runs.
compat: $(LIB)
	@scripts/compat --build $(BUILD)

compat-fast: $(LIB)
	@scripts/compat --fast --build $(BUILD)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
