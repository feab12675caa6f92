# The README's commands. `make test` is also what CI runs (.ci/run).
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

.PHONY: help deps build test soak test-wire test-wire-selfcheck generate bench up down status logs drill

help:
	@echo "make up | down | status | logs   run the gateway and the six services locally (state in ./var)"
	@echo "make drill                       the whole drill (teams, an order to its paid reward, a customer, a notice) against make up's system"
	@echo "make test                        every test: Swift + Python wire tests, throwaway PostgreSQL"
	@echo "make soak                        the long abuse and fault suite (issue 16), printing its figures"
	@echo "make build                       swift build"
	@echo "make test-wire                   only the Python wire tests (against the built binaries)"
	@echo "make test-wire-selfcheck         the wire tests against grpcio's reference server (checks the tests)"
	@echo "make generate                    regenerate code from proto/"
	@echo "make bench                       the benchmark (bench/run.sh)"

deps:
	scripts/install-deps.sh

build:
	swift build

test:
	scripts/test-all.sh

# The long versions of the abuse and fault suite (scripts/soak.sh says what it scales).
soak:
	scripts/soak.sh

# Quick loop while working on the server: no deps, no PostgreSQL, no swift test.
test-wire: build
	XSC_BIN_DIR="$$(swift build --show-bin-path)" python3 -m pytest Tests/wire -ra $(PYTEST_ARGS)

# Runs the interop suite against Tests/wire/interop_server.py (grpcio)
# instead of xsc-interop-server, to check the tests themselves. (Against grpcio the malformed
# battery shows grpc-core's departures from the spec: see Tests/wire/MALFORMED.md.)
test-wire-selfcheck:
	XSC_WIRE_TARGET=reference python3 -m pytest Tests/wire/test_interop.py -ra $(PYTEST_ARGS)

generate:
	scripts/generate.sh

bench:
	bench/run.sh

# The local system (scripts/up.sh explains the steps and settings; state in ./var).
up:
	scripts/up.sh

down:
	scripts/down.sh

status:
	scripts/status.sh

# make logs [SERVICES="orders gateway"]
logs:
	scripts/logs.sh $(SERVICES)

# The whole drill against the system `make up` runs, through the gateway: the teams and their
# accounts, one order from the alliance site to the intermediary's paid reward, one customer
# and its follow-ups, one team notice and its answered question (scripts/drill.py explains the
# steps; make drill DRILL_ARGS="--timeout 60" passes options).
drill:
	scripts/drill.py $(DRILL_ARGS)
