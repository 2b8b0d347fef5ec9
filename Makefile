# The two commands: `make demo` and `make test`. Each installs what it needs, configures and builds first.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build test demo bench bench-relay bench-cluster bench-session bench-chat bench-xmtp bench-link bench-keystore fuzz format clean

all: build

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Unit, interop (real npm packages) and fuzz-corpus replay tests; ends with ctest's summary.
test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Builds only what scripts/demo runs: the CLI and the relay.
demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target keylink keylink-relay
	@scripts/demo $(BUILD)

# Benchmarks side by side with their comparisons; figures go to docs/benchmarks.md.
bench: BUILD = build-release
bench: BUILD_TYPE = Release
bench: build
	@bench/run-envelope-bench $(BUILD)

# keylink-relay against its limit, nats-server and a node relay (a few minutes; see docs/benchmarks.md).
bench-relay: BUILD = build-release
bench-relay: BUILD_TYPE = Release
bench-relay: build
	@bench/run-relay-bench $(BUILD)

# keylink-relay --cluster (JetStream on nats-servers) beside a node alone with SQLite (docs/benchmarks.md).
bench-cluster: BUILD = build-release
bench-cluster: BUILD_TYPE = Release
bench-cluster: build
	@bench/run-cluster-bench $(BUILD)

# The session request round trip: keylink's dApp and wallet beside two JS SignClients (docs/benchmarks.md).
bench-session: BUILD = build-release
bench-session: BUILD_TYPE = Release
bench-session: build
	@bench/run-session-bench $(BUILD)

# XMTP V2 decrypt: keylink beside the primitives' bound and xmtp-js 13 (docs/benchmarks.md).
bench-xmtp: BUILD = build-release
bench-xmtp: BUILD_TYPE = Release
bench-xmtp: build
	@bench/run-xmtp-bench $(BUILD)

# `keylink chat read` on a 10,000-message conversation, cold and warm, and where the time goes (docs/benchmarks.md).
bench-chat: BUILD = build-release
bench-chat: BUILD_TYPE = Release
bench-chat: build
	@bench/run-chat-read-bench $(BUILD)

# Device linking: a whole link (relay process and LAN) and its history transfer beside its bound (docs/benchmarks.md).
bench-link: BUILD = build-release
bench-link: BUILD_TYPE = Release
bench-link: build
	@bench/run-link-bench $(BUILD)

# The wallet keystore: decryptV2 local beside remote (session, socket) and one request's round trip (docs/benchmarks.md).
bench-keystore: BUILD = build-release
bench-keystore: BUILD_TYPE = Release
bench-keystore: build
	@bench/run-keystore-bench $(BUILD)

# Each fuzz target for FUZZ_SECONDS under libFuzzer with ASan+UBSan (clang), in its own build folder.
fuzz:
	@$(MAKE) --no-print-directory build BUILD=build-fuzz \
	  CMAKE_FLAGS="-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DKEYLINK_SANITIZE=ON -DKEYLINK_INTEROP=OFF"
	@scripts/run-fuzzers build-fuzz $(FUZZ_SECONDS)

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	@rm -rf build build-*
