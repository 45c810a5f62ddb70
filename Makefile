# rtcbridge build.
#
#   make            build build/rtcbridge and build/rtcbridge-ctl
#   make run        install what is missing, build, start with working defaults
#   make test       install what is missing, build, run every test
#   make layers     no source file includes from a layer above its own
#   make unit       unit tests only (cmocka), plus the same under ASan+UBSan
#   make fuzz       libFuzzer targets (clang), each run briefly on its corpus
#   make web        the web phone (npm packages pinned by web/package-lock.json) into web/dist
#   make webunit    unit tests of the web phone's pure modules (node --test, no browser)
#   make browser    browser tests: Chromium + playwright-core in a loopback-only namespace
#
# Sources are found by wildcard: a new file under src/<area>/ is part of the
# library; tests/<area>/test_*.c are unit test programs; fuzz/fuzz_*.c are
# fuzz targets. Nothing here needs editing to add a file.

VERSION := 0.1.0
CC      ?= cc
BUILD   ?= build
# The web phone's files, built by web/build.sh; the daemon's default web_root.
WEB_ROOT ?= $(CURDIR)/web/dist
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror=implicit-function-declaration \
           -Isrc -MMD -MP -DRTCBRIDGE_VERSION=\"$(VERSION)\" \
           -DRTCBRIDGE_WEB_ROOT=\"$(WEB_ROOT)\"
LIBS    := -lsqlite3 -lssl -lcrypto -linih -lpthread
# Unit tests only: libsrtp2 is the oracle our SRTP is checked against
# (tests/srtp/test_srtp_oracle.c); the daemon does SRTP on OpenSSL.
TEST_LIBS := -lsrtp2 -lcmocka

LIB_SRC  := $(filter-out src/app/main.c,$(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/*/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# Linked into every unit test program: the leak-checking fixture
# (tests/leakcheck.h) and its count of live heap bytes, which comes from
# ASan's allocator in sanitizer builds and from wrapping glibc's malloc in
# the others (ASan must keep its own malloc).
LEAK_SRC := tests/leakcheck.c \
	    $(if $(findstring -fsanitize=address,$(CFLAGS)),tests/leakcheck_asan.c,tests/leakcheck_glibc.c)
LEAK_OBJ := $(LEAK_SRC:%.c=$(BUILD)/%.o)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

.PHONY: all run test layers unit unit-san integration fuzz clean deps web webunit browser print-libs

all: $(BUILD)/rtcbridge $(BUILD)/rtcbridge-ctl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/librtcbridge.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/rtcbridge: $(BUILD)/src/app/main.o $(BUILD)/librtcbridge.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/rtcbridge-ctl: $(BUILD)/tools/rtcbridge-ctl.o $(BUILD)/librtcbridge.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(TEST_BIN): $(LEAK_OBJ)
$(BUILD)/tests/%: tests/%.c $(BUILD)/librtcbridge.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(LEAK_OBJ) $(BUILD)/librtcbridge.a $(LIBS) $(TEST_LIBS)

deps:
	scripts/install-deps.sh

web:
	web/build.sh

run: deps all web
	scripts/run.sh

layers:
	tests/check-layers.py

unit: $(TEST_BIN)
	tests/run-unit.sh $(BUILD)

# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
unit-san:
	$(MAKE) BUILD=build-san CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" unit

integration: all
	tests/run-integration.sh $(BUILD)

fuzz:
	tests/run-fuzz.sh

# Needs node only: the modules it tests import nothing (no npm packages).
webunit:
	tests/run-webunit.sh

browser: all web
	tests/browser/run.sh $(BUILD)

test: deps
	$(MAKE) all
	$(MAKE) layers
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) integration
	$(MAKE) webunit
	$(MAKE) browser
	$(MAKE) fuzz

# For scripts that link against the library (tests/run-fuzz.sh).
print-libs:
	@echo $(LIBS)

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(LEAK_OBJ:.o=.d) $(TEST_BIN:=.d) $(BUILD)/src/app/main.d \
	 $(BUILD)/tools/rtcbridge-ctl.d
