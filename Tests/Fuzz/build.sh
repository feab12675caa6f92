#!/usr/bin/env bash
# Builds the libFuzzer targets (Package.swift) with -sanitize=fuzzer,address. Swift's toolchain
# ships libFuzzer (libclang_rt.fuzzer), so our Swift parsers are fuzzed directly, instrumented.
# Writes Sources/FuzzMessages/AllTypes.swift first: every message type of the services' packages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
generated=../../Sources/Messages/Generated
{
    echo "// Written by build.sh from Sources/Messages/Generated: every message of the services' packages."
    echo "import Messages"
    echo "import ProtoCodec"
    echo ""
    echo "let allMessageTypes: [any ProtoMessage.Type] = ["
    grep -ho "^public struct Xsc_[A-Za-z0-9_]*: ProtoMessage" "$generated"/xsc_*.pb.swift \
        | sed -E 's/^public struct ([A-Za-z0-9_]+): ProtoMessage/    \1.self,/' | sort -u
    echo "]"
} > Sources/FuzzMessages/AllTypes.swift
nice swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing "$@"
