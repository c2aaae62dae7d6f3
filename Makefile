# memlens top-level build.  `make` builds ./memlens, the shim and the samples;
# `make check` runs every test; `make deps` installs what a fresh Debian 12
# machine lacks.  Sources are found by wildcard so a new module needs no edit.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
LIBDIR   = $(PREFIX)/lib/memlens
MANDIR   = $(PREFIX)/share/man/man1

CC      ?= cc
CXX     ?= c++
PKGS     = libelf libdw ncursesw
WARN     = -Wall -Wextra -Werror
# CFLAGS/LDFLAGS are the user's (make asan sets them); ALL_CFLAGS adds ours.
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -MMD -MP \
	     -DMEMLENS_LIBDIR='"$(LIBDIR)"' $(CFLAGS)
# The shim is never built with sanitizers: it is preloaded into programs
# that do not carry the sanitizer runtime.
SHIM_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -MMD -MP -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lpthread -lm

BUILD    = build
# Every .c under src/ except main.c and the shim goes into one static
# library, so the tests link exactly the code that memlens runs.
LIB_SRC  := $(filter-out src/main.c src/shim/%,$(wildcard src/*.c src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libmemlens.a

# The preloaded shim links only libc; it shares src/ring/ring_format.h.
SHIM_SRC := $(wildcard src/shim/*.c)
SHIM_OBJ := $(SHIM_SRC:%.c=$(BUILD)/pic/%.o)
SHIM     := libmemlens-shim.so

SAMPLE_C   := $(wildcard samples/*.c)
SAMPLE_CXX := $(wildcard samples/*.cpp)
SAMPLES    := $(SAMPLE_C:.c=) $(SAMPLE_CXX:.cpp=)
SAMPLE_FLAGS = -O0 -g -fno-omit-frame-pointer

# Purpose-built tracer targets: tests/targets/NAME.c -> tests/targets/NAME.
TARGET_C   := $(wildcard tests/targets/*.c)
TARGET_CXX := $(wildcard tests/targets/*.cpp)
TARGETS    := $(TARGET_C:.c=) $(TARGET_CXX:.cpp=)

# Check suites: tests/check_NAME.c, each its own runner.
TEST_SRC := $(wildcard tests/check_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all deps check check-asan-tests asan demo install uninstall clean bench fuzz samples targets

BIN     ?= memlens

all: $(BIN) $(SHIM) $(SAMPLES)

$(BIN): $(BUILD)/src/main.o $(LIB)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SHIM_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec -c -o $@ $<

$(SHIM): $(SHIM_OBJ)
	$(CC) $(SHIM_CFLAGS) -shared -fPIC -o $@ $^ -lpthread

samples: $(SAMPLES)
samples/%: samples/%.c
	$(CC) $(SAMPLE_FLAGS) -o $@ $< -lpthread
samples/%: samples/%.cpp
	$(CXX) $(SAMPLE_FLAGS) -o $@ $< -lpthread

targets: $(TARGETS)
tests/targets/%: tests/targets/%.c
	$(CC) -O0 -g -fno-omit-frame-pointer -D_GNU_SOURCE -o $@ $< -lpthread
tests/targets/%: tests/targets/%.cpp
	$(CXX) -O0 -g -fno-omit-frame-pointer -o $@ $< -lpthread
# Static tracer targets (breakpoints instead of the shim): NAME_static.c
# is linked -static; NAME_stripped.c also loses its symbol table;
# NAME_staticpie.c is a static PIE (loaded at a bias, no PT_INTERP).
tests/targets/%_static: tests/targets/%_static.c
	$(CC) -O0 -g -static -D_GNU_SOURCE -o $@ $<
tests/targets/%_stripped: tests/targets/%_stripped.c
	$(CC) -O0 -static -s -D_GNU_SOURCE -o $@ $<
tests/targets/%_staticpie: tests/targets/%_staticpie.c
	$(CC) -O0 -g -static-pie -D_GNU_SOURCE -o $@ $<
# A 32-bit target without libc; a compiler that cannot build it only
# makes its test skip.
tests/targets/%_m32: tests/targets/%_m32.c
	-$(CC) -m32 -nostdlib -static -fno-pie -no-pie -o $@ $<
# --step targets: NAME_O2.c optimised with debug info, NAME_nodebug.c
# optimised and stripped (dynamic).
tests/targets/%_O2: tests/targets/%_O2.c
	$(CC) -O2 -g -o $@ $<
tests/targets/%_nodebug: tests/targets/%_nodebug.c
	$(CC) -O2 -s -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(CHECK_LIBS) $(LDLIBS)

# check_alloc links the teach allocator's core itself (names prefixed teach_).
TEACH_OBJ := $(BUILD)/src/shim/teach.o $(BUILD)/src/shim/teach_heap.o
$(BUILD)/tests/check_alloc: $(TEACH_OBJ)
$(BUILD)/tests/check_alloc: LDLIBS += $(TEACH_OBJ)

deps:
	@sh tools/deps.sh

check: deps
	$(MAKE) all targets $(TESTS)
	@MEMLENS_BIN=./$(BIN) sh tests/run-all.sh $(TESTS)

# The same tests built with AddressSanitizer and UBSan in their own tree.
asan: deps
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" BIN=build-asan/memlens all targets
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" BIN=build-asan/memlens check-asan-tests

check-asan-tests: $(TESTS)
	@ASAN_OPTIONS=detect_leaks=1 MEMLENS_BIN=./$(BIN) sh tests/run-all.sh $(TESTS)

# The screen on the linked-list sample (space steps, b goes back, q quits).
demo: deps
	$(MAKE) all
	./memlens samples/linked_list

bench: deps all
	@sh bench/run.sh

fuzz: deps
	@sh tests/fuzz/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR)
	install -m 755 memlens $(DESTDIR)$(BINDIR)/memlens
	install -m 755 $(SHIM) $(DESTDIR)$(LIBDIR)/$(SHIM)
	install -m 644 man/memlens.1 $(DESTDIR)$(MANDIR)/memlens.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/memlens $(DESTDIR)$(LIBDIR)/$(SHIM) $(DESTDIR)$(MANDIR)/memlens.1
	-rmdir $(DESTDIR)$(LIBDIR) 2>/dev/null

clean:
	rm -rf build build-asan memlens $(SHIM) $(SAMPLES) $(TARGETS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
