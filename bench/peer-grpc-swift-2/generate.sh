#!/bin/sh
# Regenerates Sources/GRPCSwift2BenchServer/Generated from ../bench.proto. Run by hand only when
# bench.proto changes: the output is committed so that no build runs swift-protobuf's plugin.
#
# Needs protoc-gen-swift (apple/swift-protobuf 1.39.0) and protoc-gen-grpc-swift-2
# (grpc/grpc-swift-protobuf 2.4.1), built once outside the repo, e.g.:
#   git clone --branch 2.4.1 https://github.com/grpc/grpc-swift-protobuf /tmp/plugins
#   (cd /tmp/plugins && swift build -c release --product protoc-gen-grpc-swift-2 \
#                     && swift build -c release --product protoc-gen-swift)
#   PLUGIN_DIR=/tmp/plugins/.build/release ./generate.sh
set -eu
cd "$(dirname "$0")"
: "${PLUGIN_DIR:?set PLUGIN_DIR to the folder holding protoc-gen-swift and protoc-gen-grpc-swift-2}"
out=Sources/GRPCSwift2BenchServer/Generated
mkdir -p "$out"
protoc -I .. \
    --plugin=protoc-gen-swift="$PLUGIN_DIR/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$PLUGIN_DIR/protoc-gen-grpc-swift-2" \
    --swift_out="$out" --swift_opt=Visibility=Internal \
    --grpc-swift-2_out="$out" --grpc-swift-2_opt=Visibility=Internal,Client=false,Server=true \
    bench.proto
echo "regenerated $out"
