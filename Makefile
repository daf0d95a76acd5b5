# godwit: the two commands of the README, and a few more.
#   make demo   build (release) and run the demo on the embedded store
#   make test   build with ASan+UBSan, install what only tests need
#               (scripts/bootstrap-test) and run every test (ctest)
#   make package  build (release) and make the Debian package
#               build/release/godwit_<version>_<arch>.deb (CPack)
#   make bench  build (release) and run the benchmarks: the micro benchmarks,
#               then the end-to-end migration of BENCH_ITEMS ~1 KB items,
#               then the remote migration of BENCH_REMOTE_ITEMS ~1 KB items
#               (godwit's client vs the AWS SDK for JavaScript v3, against
#               one godwit serve; scripts/bench-remote)
JOBS ?= $(shell nproc)
BENCH_ITEMS ?= 1000000
BENCH_REMOTE_ITEMS ?= 100000

.PHONY: all bootstrap release debug demo test bench package format clean

all: release

bootstrap:
	@scripts/bootstrap

release: bootstrap
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

debug: bootstrap
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

demo: release
	./build/release/godwit demo

# scripts/bootstrap-test installs what only tests need (chromium, the node
# packages of tests/report_js), so that `make demo` does not wait for them.
test: debug
	@scripts/bootstrap-test
	ctest --preset debug

package: release
	@cd build/release && cpack -G DEB
	@ls build/release/godwit_*.deb

bench: release
	scripts/bench
	scripts/bench-engine $(BENCH_ITEMS) 1 2
	scripts/bench-remote $(BENCH_REMOTE_ITEMS)

format:
	@find include src tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
