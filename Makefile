# ResNet Lab — the two commands:
#   make serve   set everything up and serve the lab at http://127.0.0.1:8080
#   make test    set everything up and run every test (native, release wasm build, headless Chromium e2e)
# and: make bench (benchmarks), make setup (tools only).

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

# Heavy builds live outside the clone when the machine allows, so a fresh clone (CI) reuses them;
# a cold build still works, it just takes longer.
CACHE_DIR := $(shell if [ -w /var/tmp ]; then echo /var/tmp/resnet-lab-target; else echo $(CURDIR)/target; fi)
export CARGO_TARGET_DIR ?= $(CACHE_DIR)
export PATH := $(HOME)/.cargo/bin:$(PATH)

TRUNK_VERSION := 0.21.14
# Must equal the wasm-bindgen version in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: lint fuzz fuzz-long data setup setup-test serve serve-dist build dist test test-native test-e2e bench bench-native bench-browser bench-first-use wasm-size worker-mt

setup: data
	rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
	# trunk's own release profile is fat LTO in one codegen unit (its last step alone took about 6 minutes
	# here, on one core); a build tool gains nothing from it.
	trunk --version 2>/dev/null | grep -q " $(TRUNK_VERSION)" || \
	  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install trunk --version $(TRUNK_VERSION) --locked
	wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)" || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

# Fashion-MNIST ships with the site: Debian's dataset-fashion-mnist (MIT), its four published .gz files
# copied unchanged into public/data (30 MB; the page fetches them only when a page uses the set, and
# checks the published counts).
FASHION_SRC := /usr/share/datasets/fashion-mnist
FASHION_DST := public/data/fashion-mnist
FASHION_FILES := train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
data:
	if [ ! -f $(FASHION_SRC)/train-images-idx3-ubyte.gz ]; then
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq dataset-fashion-mnist
	fi
	mkdir -p $(FASHION_DST)
	for f in $(FASHION_FILES); do cmp -s $(FASHION_SRC)/$$f $(FASHION_DST)/$$f || cp $(FASHION_SRC)/$$f $(FASHION_DST)/$$f; done

setup-test: setup
	if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver
	fi
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error

# The release build (opt-level 3, no LTO): the fastest to train in the tab and quick to rebuild.
# `make serve-dist` serves the small deployable one instead (opt-level z + LTO, then wasm-opt).
serve: setup
	@echo "serving the release build (dist/) at http://127.0.0.1:8080"
	trunk serve --release

# With COOP/COEP, as a host should send them (the CPU path's threads need them; see README).
serve-dist: dist
	@echo "serving the deployable build (target/site-dist/) at http://127.0.0.1:8081"
	python3 -c 'import functools, http.server as h; B = h.SimpleHTTPRequestHandler; \
	  H = type("H", (B,), {"end_headers": lambda s: (s.send_header("Cross-Origin-Opener-Policy", "same-origin"), \
	    s.send_header("Cross-Origin-Embedder-Policy", "require-corp"), B.end_headers(s))}); \
	  h.ThreadingHTTPServer(("127.0.0.1", 8081), functools.partial(H, directory="target/site-dist")).serve_forever()' 

build: setup
	trunk build --release
	$(MAKE) --no-print-directory wasm-size

# First in `make test`: formatting and clippy take seconds and fail fast, before the long builds.
lint:
	rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings

# The native tests, the wasm build and the fuzzers run two at a time: each build spends much of its
# time on one large crate with the other core idle, which the other job fills (the build directories
# differ, so neither waits on the other's lock). The e2e tests run alone afterwards: they assert on
# main-thread timing.
test: lint setup-test
	$(MAKE) --no-print-directory -j2 --output-sync=target test-native build fuzz
	$(MAKE) --no-print-directory test-e2e

test-native:
	cargo test --locked

# The dataset parsers under libFuzzer (cargo-fuzz), FUZZ_SECS per target; seeds in fuzz/seeds.
# cargo-fuzz's flags need a nightly rustc; RUSTC_BOOTSTRAP lets the machine's stable one take them.
FUZZ_SECS ?= 30
FUZZ_TARGETS := idx cifar files
FUZZ_ARGS ?= -max_total_time=$(FUZZ_SECS)
# The long run: a million inputs per target, then a minute each of inputs as large as a whole
# CIFAR-10 batch file (31 MB) from the start (-len_control=0: libFuzzer otherwise grows lengths slowly).
fuzz-long:
	$(MAKE) --no-print-directory fuzz FUZZ_ARGS="-runs=1000000"
	$(MAKE) --no-print-directory fuzz FUZZ_ARGS="-max_total_time=60 -max_len=31000000 -len_control=0"

fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz
	for t in $(FUZZ_TARGETS); do
	  mkdir -p $(CARGO_TARGET_DIR)/fuzz-corpus/$$t
	  log=$(CARGO_TARGET_DIR)/fuzz-$$t.log
	  if ! RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $$t $(CARGO_TARGET_DIR)/fuzz-corpus/$$t seeds/$$t -- \
	      $(FUZZ_ARGS) -rss_limit_mb=4096 -print_final_stats=1 >$$log 2>&1; then
	    tail -40 $$log; echo "fuzz target $$t failed (log: $$log; crashing input under fuzz/artifacts/$$t)"; exit 1
	  fi
	  echo "fuzz $$t: $$(grep -h 'stat::number_of_executed_units' $$log | awk '{print $$2}') inputs ($(FUZZ_ARGS)) in $$(awk '/Done [0-9]+ runs in/ {print $$(NF-1)" s"}' $$log | tail -1), no crash"
	done

test-e2e:
	cd tests/e2e && node --test --test-concurrency=1 ./*.test.mjs

# The deployable site (target/site-dist): the UI and the WebGPU worker at fat LTO + opt-level z (Cargo
# profile `dist`), then `wasm-opt -Oz` (`cargo install wasm-opt`: binaryen 116, installed here if missing;
# Debian's 108 breaks the worker). The threaded CPU worker keeps the release build (opt-level 3, no LTO),
# only stripped of its names: measured faster in the tab than fat LTO at opt-level 3, with or without
# wasm-opt -O3 (README: first use), and no larger gzipped.
WASM_OPT_VERSION := 0.116.1
dist: setup
	wasm-opt --version 2>/dev/null | grep -q "version 116" || cargo install wasm-opt --version $(WASM_OPT_VERSION) --locked
	trunk build --release --cargo-profile dist --dist target/site-dist
	for f in target/site-dist/*.wasm; do
	  case "$$f" in *worker_mt*) passes="--strip-debug --strip-producers" ;; *) passes=-Oz ;; esac
	  wasm-opt $$passes --all-features "$$f" -o "$$f"
	done
	$(MAKE) --no-print-directory wasm-size SITE=target/site-dist

SITE ?= dist
wasm-size:
	@for f in $(SITE)/*.wasm; do
	  awk -v n="$$(basename $$f)" -v raw="$$(stat -c %s $$f)" -v gz="$$(gzip -9c $$f | wc -c)" \
	    'BEGIN { printf "%-48s raw %6.2f MB  gzip %5.2f MB\n", n, raw / 1048576, gz / 1048576 }'
	done

# One command, one table (tests/e2e/bench.mjs): ResNet-20 in the browser (1 and all threads), the
# TensorFlow.js and PyTorch peers, the lab natively, the Part 1 nets per backend, first use of the release and the deployable build.
bench: setup-test build dist
	python3 -c 'import torch, torchvision' 2>/dev/null || python3 -m pip install -q torch torchvision
	cd tests/e2e && node bench.mjs

bench-native:
	cargo run --release --locked --bin lab -- bench

bench-browser:
	cd tests/e2e && node bench.mjs

# First use through a 20 Mbit/s link: the release build, then the deployable one when it is built (make dist).
bench-first-use:
	cd tests/e2e && node first_use.mjs
	if [ -f target/site-dist/index.html ]; then cd tests/e2e && LAB_DIST=$(CURDIR)/target/site-dist node first_use.mjs; fi

# The threaded CPU worker (src/worker/threads.rs), run by trunk after each build (Trunk.toml hook):
# the worker with `threads` instead of `gpu`, compiled with atomics and shared memory, which needs
# std rebuilt (-Z build-std: RUSTC_BOOTSTRAP lets the stable toolchain take it; rust-src from rustup).
# Its own target dir keeps these flags from invalidating the main build's cache.
MT_PROFILE ?= release
MT_TARGET := $(CARGO_TARGET_DIR)/threads
MT_OUT ?= $(TRUNK_STAGING_DIR)
# lab_relaxed_simd: the GEMM kernels (vendor/gemm-f32) use relaxed SIMD's fused multiply-add, about 12%
# faster ResNet-20 steps in the tab (README); the page checks the engine has it before choosing this worker.
MT_RUSTFLAGS := -C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 --cfg lab_relaxed_simd
# Link flags for the binary alone: shared memory (imported, so every thread instantiates the module on
# the same one; up to 4 GiB) and the thread-local storage symbols wasm-bindgen needs to give each
# thread its own.
MT_LINK := $(foreach a,--shared-memory --import-memory --max-memory=4294967296 --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base,-C link-arg=$(a))
worker-mt:
	rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
	RUSTC_BOOTSTRAP=1 RUSTFLAGS="$(MT_RUSTFLAGS)" \
	  cargo rustc --locked --quiet --profile $(MT_PROFILE) --target wasm32-unknown-unknown --bin worker \
	  --no-default-features --features threads -Z build-std=std,panic_abort --target-dir $(MT_TARGET) -- $(MT_LINK)
	wasm-bindgen --target no-modules --out-dir $(MT_OUT) --out-name worker_mt $(MT_TARGET)/wasm32-unknown-unknown/$(MT_PROFILE)/worker.wasm
	cp src/worker/worker_mt_loader.js src/worker/worker_mt_thread.js $(MT_OUT)/
