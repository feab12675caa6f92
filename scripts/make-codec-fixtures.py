#!/usr/bin/env python3
"""Writes Tests/ProtoCodecTests/PythonFixtures.swift: messages encoded by Python's protobuf
(stubs generated from proto/ by grpcio-tools at run time, never committed), so the Swift tests
can check byte compatibility with the reference implementation.

Run: python3 scripts/make-codec-fixtures.py
The values here must match the ones built in PythonCompatibilityTests.swift.
"""
import os, sys, tempfile, importlib
from grpc_tools import protoc
import grpc_tools

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "Tests", "ProtoCodecTests", "PythonFixtures.swift")
ECHO_REQUEST = os.path.join(ROOT, "..", "shared", "bench", "echo-request.bin")

def compile_protos(target):
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    files = ["bench/v1/bench.proto", "xsc/codectest/v1/features.proto"]
    code = protoc.main(["protoc", f"-I{ROOT}/proto", f"-I{well_known}", f"--python_out={target}"] + files)
    if code != 0:
        sys.exit("protoc failed")
    sys.path.insert(0, target)

def sample_order(bench):
    order = bench.Order(id="ord_01J9Z3K4M5N6P7Q8R9S0T1V2W3", external_id="EXT-2024-000123",
                        customer_phone="13812345678", customer_name="张三", address="上海市浦东新区世纪大道100号",
                        total_cents=45900, channel="partner", team_path="/east/shanghai/team-3",
                        created_at_unix_ms=1718000000123)
    order.items.add(sku="SKU-001", name="Widget", qty=2, unit_price_cents=12950)
    order.items.add(sku="SKU-002", name="Gadget \U0001F680", qty=1, unit_price_cents=20000)
    return order

def sample_everything(features):
    e = features.Everything()
    s = e.scalars
    s.f_double, s.f_float, s.f_int32, s.f_int64 = -1.5, 3.25, -42, -9000000000
    s.f_uint32, s.f_uint64, s.f_sint32, s.f_sint64 = 4000000000, 18446744073709551615, -7, -9000000000000
    s.f_fixed32, s.f_fixed64, s.f_sfixed32, s.f_sfixed64 = 7, 8, -9, -10
    s.f_bool, s.f_string, s.f_bytes, s.f_color = True, "héllo", bytes([0, 1, 2, 255]), features.COLOR_BLUE
    e.nested.label, e.nested.kind = "n", features.Everything.Nested.KIND_LEAF
    e.r_double.extend([1.0, -2.5]); e.r_float.extend([0.5]); e.r_int32.extend([1, -1, 300])
    e.r_int64.extend([-(1 << 40)]); e.r_uint32.extend([0, 4294967295]); e.r_uint64.extend([1 << 63])
    e.r_sint32.extend([-3, 3]); e.r_sint64.extend([-(1 << 50)]); e.r_fixed32.extend([5]); e.r_fixed64.extend([6])
    e.r_sfixed32.extend([-5]); e.r_sfixed64.extend([-6]); e.r_bool.extend([True, False, True])
    e.r_string.extend(["a", "", "ccc"]); e.r_bytes.extend([b"", b"\x00\x01"])
    e.r_color.extend([features.COLOR_RED, features.COLOR_GREEN])
    e.r_nested.add(label="x"); e.r_nested.add(label="y", kind=features.Everything.Nested.KIND_LEAF)
    e.r_unpacked_int32.extend([10, 20])
    e.c_nested.label = "chosen"
    e.o_int32 = 0          # present although zero
    e.o_string = ""        # present although empty
    e.o_color = features.COLOR_GREEN
    e.o_bool = False
    e.created_at.seconds, e.created_at.nanos = 1718000000, 5
    e.nothing.SetInParent()
    return e

def sample_maps(features):
    e = features.Everything()
    e.m_string_string["k1"] = "v1"; e.m_string_string[""] = "empty key"
    e.m_int32_int64[-1] = 1 << 40; e.m_int32_int64[7] = 0
    e.m_uint64_bool[1 << 63] = True
    e.m_string_nested["n"].label = "nested value"
    e.m_sint32_bytes[-2] = b"\xff"
    e.m_bool_color[True] = features.COLOR_BLUE
    e.m_fixed64_double[9] = 2.5
    e.c_string = "choice string"
    return e

def sample_tree(features):
    root = features.TreeNode(name="root")
    root.left.name = "l"
    root.left.left.name = "ll"
    root.right.parent_name = "root"
    root.children.add(name="c1").children.add(name="c1a")
    root.parent.name = "virtual parent"
    return root

def swift_bytes(name, data):
    body = ", ".join(f"0x{b:02x}" for b in data)
    return f"    static let {name}: [UInt8] = [{body}]\n"

def main():
    with tempfile.TemporaryDirectory() as tmp:
        compile_protos(tmp)
        bench = importlib.import_module("bench.v1.bench_pb2")
        features = importlib.import_module("xsc.codectest.v1.features_pb2")
        fixtures = {
            "order": sample_order(bench).SerializeToString(deterministic=True),
            "everything": sample_everything(features).SerializeToString(deterministic=True),
            "maps": sample_maps(features).SerializeToString(deterministic=True),
            "tree": sample_tree(features).SerializeToString(deterministic=True),
        }
        with open(ECHO_REQUEST, "rb") as f:
            framed = f.read()
        # gRPC framing: 1 flag byte + 4 byte big-endian length, then the message.
        length = int.from_bytes(framed[1:5], "big")
        echo = framed[5:5 + length]
        parsed = bench.Order(); parsed.ParseFromString(echo)
        fixtures["echoRequest"] = echo
        fixtures["echoRequestReserialized"] = parsed.SerializeToString(deterministic=True)
    with open(OUT, "w") as out:
        out.write("// Generated by scripts/make-codec-fixtures.py with Python protobuf. DO NOT EDIT.\n")
        out.write("enum PythonFixtures {\n")
        for name in sorted(fixtures):
            out.write(swift_bytes(name, fixtures[name]))
        out.write("}\n")
    print(f"wrote {OUT}")

main()
