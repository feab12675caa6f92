"""Processes and stubs of the gateway wire tests: a fresh database with the gateway's own role,
xsc-gateway itself, a Python backend that echoes the metadata it receives, the interop server."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import uuid
from concurrent import futures
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc

import wire_support
from wire_support import run_psql as psql

ACTOR_SECRET = "gateway-wire-test-secret-0123456789abcdef"
ADMIN_PHONE = "13800000000"
ADMIN_PASSWORD = "admin-password-for-tests"


def generate_gateway_stubs(out_dir: Path):
    """Python modules for xsc.gateway.v1, xsc.common.v1 and google.rpc error details."""
    from grpc_tools import protoc
    import grpc_tools

    src = wire_support.proto_dir()
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = ["xsc/common/v1/common.proto", "xsc/gateway/v1/gateway.proto",
             "google/rpc/status.proto", "google/rpc/error_details.proto"]
    status = protoc.main(["grpc_tools.protoc", f"-I{src}", f"-I{well_known}", f"--python_out={out_dir}",
                          f"--grpc_python_out={out_dir}", *files])
    if status != 0:
        raise RuntimeError(f"protoc failed ({status})")
    sys.path.insert(0, str(out_dir))
    import google
    extra = str(out_dir / "google")
    if extra not in list(google.__path__):
        google.__path__.append(extra)
    mods = {}
    for name in ["xsc.common.v1.common_pb2", "xsc.gateway.v1.gateway_pb2", "xsc.gateway.v1.gateway_pb2_grpc",
                 "google.rpc.status_pb2", "google.rpc.error_details_pb2"]:
        mods[name.split(".")[-1]] = importlib.import_module(name)
    return mods


def gateway_database(superuser_url: str, secrets_dir: Path) -> str:
    """A new database with the gateway schema and role (xsc db-bootstrap); the role's URL."""
    name = "xsc_gw_" + uuid.uuid4().hex[:12]
    created = psql(superuser_url, f"CREATE DATABASE {name} STRATEGY FILE_COPY")
    assert created.returncode == 0, created.stderr
    url = urlunsplit(urlsplit(superuser_url)._replace(path="/" + name))
    result = subprocess.run([str(wire_support.binary("xsc")), "db-bootstrap", "--secrets-dir", str(secrets_dir), "gateway"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return (secrets_dir / "gateway.database-url").read_text().strip()


def start_gateway(database_url: str, backends: dict[str, str], extra_env: dict[str, str] | None = None,
                  name: str = "xsc-gateway") -> wire_support.ServerProcess:
    port = wire_support.free_port()
    env = {
        "DATABASE_URL": database_url,
        "XSC_LISTEN": f"127.0.0.1:{port}",
        "XSC_ADMIN_LISTEN": f"127.0.0.1:{wire_support.free_port()}",
        "XSC_HTTP_LISTEN": f"127.0.0.1:{wire_support.free_port()}",
        "XSC_ACTOR_SECRET": ACTOR_SECRET,
        "XSC_ADMIN_PHONE": ADMIN_PHONE,
        "XSC_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "XSC_MIGRATIONS_DIR": str(wire_support.REPO_ROOT / "services" / "gateway" / "migrations"),
        "LOG_LEVEL": "warning",
        **backends,
        **(extra_env or {}),
    }
    return wire_support.ServerProcess(name, [str(wire_support.binary("xsc-gateway"))], port, env=env).start()


class MetadataEcho(grpc.GenericRpcHandler):
    """A stand-in backend for xsc.orders.v1: any unary method answers its request bytes and
    returns, as trailing metadata, the actor entries and credentials it was sent."""

    def service(self, handler_call_details):
        if not handler_call_details.method.startswith("/xsc.orders.v1."):
            return None

        def echo(request: bytes, context):
            seen = [(k, v) for k, v in context.invocation_metadata()
                    if k.startswith("x-xsc-actor") or k in ("authorization", "x-probe")]
            names = ",".join(k for k, _ in seen) or "-"
            context.set_trailing_metadata([("x-seen-names", names)] + [("x-seen-" + k, v) for k, v in seen
                                                                       if not k.endswith("-bin")]
                                          + [("x-seen-" + k, v) for k, v in seen if k.endswith("-bin")])
            return request

        return grpc.unary_unary_rpc_method_handler(echo)


def start_metadata_echo():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((MetadataEcho(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port
