# Warden build. Plain make; `make help` lists the targets.
#
#   make            build build/warden, build/warden-mock, the example plugins and build/models/{toxicity,injection}.model
#   make run        install missing packages, build, start the quickstart
#   make test       install, build, module-graph check, unit + integration + fuzz, then again under ASan+UBSan
#   make bench      the wrk benchmark against direct / nginx / warden (bench/run.sh)

BUILD    ?= build
# Compile on every core unless the caller gave -jN (a plain `make test`, as .ci/run runs it, would
# otherwise build the plain, ASan and unit-test binaries one file at a time). Only the top-level
# make sets it; sub-makes share its job slots. Test runs stay sequential: see test-asan.
ifeq ($(MAKELEVEL)$(filter -j%,$(MAKEFLAGS)),0)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif
CC       ?= cc
OPT      ?= -O2
SAN      ?=
PKGS      = libh2o libuv libcurl jansson yaml-0.1 libhs libpcre2-8 sqlite3 openssl libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     = -Wall -Wextra -Wstrict-prototypes -Wno-unused-parameter -Wno-missing-field-initializers \
           -Werror=implicit-function-declaration -Werror=incompatible-pointer-types
ifeq ($(CI),true)
WARN    += -Werror
endif
CFLAGS  ?=
CFLAGS  += -std=gnu11 -D_GNU_SOURCE $(OPT) -g $(WARN) $(SAN) -pthread -fPIC -MMD -MP \
           -DH2O_USE_LIBUV=1 -Isrc -Iinclude $(PKG_CFLAGS)
LDFLAGS += $(SAN) -pthread -rdynamic
LDLIBS  += $(PKG_LIBS) -lz -ldl -lm

LIB_SRC   := $(sort $(filter-out src/main.c,$(wildcard src/util/*.c src/config/*.c src/api/*.c \
                 src/upstream/*.c src/guard/*.c src/metrics/*.c src/schema/*.c src/server/*.c src/audit/*.c \
                 src/auth/*.c src/cli/*.c src/fanout/*.c)))
MOCK_SRC  := $(sort $(wildcard src/mock/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/*/test_*.c))
PLUGIN_SRC:= $(sort $(wildcard examples/plugins/*.c))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
MOCK_OBJ  := $(MOCK_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
PLUGINS   := $(patsubst examples/plugins/%.c,$(BUILD)/plugins/%.so,$(PLUGIN_SRC))
MODELS    := $(BUILD)/models/toxicity.model $(BUILD)/models/injection.model

.PHONY: all deps run test module-graph unit unit-bin integration fuzz asan test-asan bench clean help format
all: $(BUILD)/warden $(BUILD)/warden-mock $(PLUGINS) $(MODELS) $(BUILD)/hs-cache

# Compiled Hyperscan databases kept across starts (src/guard/hs_cache.h): the first start of each
# pattern set fills it
$(BUILD)/hs-cache:
	@mkdir -p $@

deps:
	@scripts/install-deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libwarden.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/warden: $(BUILD)/obj/src/main.o $(BUILD)/libwarden.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/warden-mock: $(MOCK_OBJ) $(BUILD)/libwarden.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/plugins/%.so: examples/plugins/%.c include/warden/guard.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $< $(SAN)

# The shipped toxicity model (classifier guardrail): trained from the committed data (the tweet
# corpus, every 5th row held out for the numbers in the README, and the comment supplement);
# well under a second on one core.
TOXICITY_DATA := data/offensive-language/labeled_data.csv data/comments-supplement/comments.csv
$(BUILD)/models/toxicity.model: $(TOXICITY_DATA) $(BUILD)/warden
	@mkdir -p $(dir $@)
	$(BUILD)/warden train $(addprefix --data ,$(TOXICITY_DATA)) --text-column tweet --label-column class \
	    --positive 0,1 --holdout 5 --positive-name toxic --negative-name not_toxic --out $@

# The prompt-injection model (a classifier guard next to prompt_injection, see README): trained from
# data/prompt-injection/injection.csv (gen.py there: the project's labelled injection sets), every 5th
# row held out for tests/integration/test_injection_model.sh, plus ordinary texts as negatives (a
# sample of the tweets, ordinary.csv, and the comment supplement); 12 epochs (cv.py); ~0.1 s.
# Character 4-grams across the whole text and nothing else (--features spans --char-grams 4):
# held-out macro-F1 0.965 against 0.966 for words + bigrams + word 3-5-grams, cv.py's recall and
# false positives within a point, and a 4 KB prompt read in 4.0 us instead of 9.9 (README).
INJECTION_DATA := data/prompt-injection/injection.csv data/prompt-injection/ordinary.csv data/prompt-injection/technical.csv data/comments-supplement/comments.csv
$(BUILD)/models/injection.model: $(INJECTION_DATA) $(BUILD)/warden
	@mkdir -p $(dir $@)
	$(BUILD)/warden train $(addprefix --data ,$(INJECTION_DATA)) --text-column tweet --label-column class --epochs 12 --char-grams 4 --features spans \
	    --positive override,roleplay,extraction,encoding --holdout 5 --positive-name injection --negative-name benign --out $@

# The audit sink and query benchmark (bench/audit_bench.c; bench/micro.sh runs it).
$(BUILD)/audit_bench: bench/audit_bench.c $(BUILD)/libwarden.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libwarden.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libwarden.a $(LDFLAGS) $(LDLIBS) -lcmocka

module-graph:
	@scripts/module-graph.sh

unit: $(UNIT_BIN) $(PLUGINS) $(MODELS) $(BUILD)/warden-mock
	@tests/run-unit.sh $(UNIT_BIN)

integration: all
	@BUILD=$(BUILD) tests/integration/run.sh

fuzz:
	@tests/fuzz/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/quickstart.sh

# tests/run-all.sh: the order below, with the ASan and fuzz builds in the background at idle
# priority while the plain suites run (it says why and prints each phase's time)
test: deps
	@scripts/install-deps.sh --with-node
	@tests/run-all.sh

# the unit-test binaries, not run
unit-bin: $(UNIT_BIN) $(PLUGINS) $(MODELS) $(BUILD)/warden-mock

ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

# build/asan: the binaries with ASan+UBSan, for running a test script by hand (BUILD=build/asan).
asan:
	@$(ASAN_MAKE) all

# The same unit and integration suites on a build with ASan+UBSan.
test-asan: export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
test-asan: export ASAN_OPTIONS = detect_leaks=1:abort_on_error=0
test-asan:
	@$(ASAN_MAKE) all
	@$(ASAN_MAKE) unit
	@$(ASAN_MAKE) integration

bench: deps
	@$(MAKE) --no-print-directory all
	@bench/run.sh
	@bench/micro.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

help:
	@sed -n '1,8p' Makefile

-include $(LIB_OBJ:.o=.d) $(MOCK_OBJ:.o=.d) $(BUILD)/obj/src/main.d
