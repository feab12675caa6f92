"""One real gRPC call (python grpcio) to check that a server answers bench.v1.Bench/Echo
with grpc-status 0 and echoes the order of echo-request.bin. h2load only counts HTTP 2xx,
so this is what proves the server does the work.

usage: verify_echo.py PROTO_DIR ECHO_REQUEST_BIN HOST:PORT
"""

import importlib
import struct
import sys
import tempfile

import grpc
from grpc_tools import protoc


def load_stubs(proto_dir: str, out_dir: str):
    status = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out_dir}",
                          f"--grpc_python_out={out_dir}", f"{proto_dir}/bench.proto"])
    if status != 0:
        raise SystemExit(f"protoc failed ({status}) on {proto_dir}/bench.proto")
    sys.path.insert(0, out_dir)
    return importlib.import_module("bench_pb2"), importlib.import_module("bench_pb2_grpc")


def order_from_request_body(path: str, bench_pb2):
    with open(path, "rb") as f:
        body = f.read()
    compressed, length = struct.unpack(">BI", body[:5])
    if compressed != 0 or length != len(body) - 5:
        raise SystemExit(f"{path}: not one uncompressed gRPC message")
    return bench_pb2.Order.FromString(body[5:])


def main() -> int:
    proto_dir, request_path, target = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="bench-stubs-") as out_dir:
        bench_pb2, bench_pb2_grpc = load_stubs(proto_dir, out_dir)
        order = order_from_request_body(request_path, bench_pb2)
        with grpc.insecure_channel(target) as channel:
            stub = bench_pb2_grpc.BenchStub(channel)
            try:
                reply, call = stub.Echo.with_call(order, timeout=10)
            except grpc.RpcError as error:
                print(f"FAIL {target}: {error.code()} {error.details()}")
                return 1
        if call.code() != grpc.StatusCode.OK:
            print(f"FAIL {target}: grpc-status {call.code()}")
            return 1
        if reply != order:
            print(f"FAIL {target}: reply differs from the order sent\n{reply}")
            return 1
        print(f"ok   {target}: grpc-status 0, order {order.id} echoed "
              f"({order.ByteSize()} bytes, {len(order.items)} items)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
