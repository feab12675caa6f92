"""Shared plumbing of the wire tests: stub generation, finding binaries, running servers.

Stubs are generated from proto/ at test time (never committed) with grpc_tools.protoc.
Binaries are the ones `make` built: $XSC_BIN_DIR, else <repo>/.build/debug.
"""
from __future__ import annotations

import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
WIRE_DIR = Path(__file__).resolve().parent

# How long a freshly started server may take to accept connections. A liveness bound for a
# loaded 2-core machine, not a performance assertion.
STARTUP_TIMEOUT_S = 60.0


def proto_dir() -> Path:
    """proto/ of the repository, or $XSC_PROTO_DIR (to try the tests on other protos)."""
    return Path(os.environ.get("XSC_PROTO_DIR", REPO_ROOT / "proto")).resolve()


def bin_dir() -> Path:
    return Path(os.environ.get("XSC_BIN_DIR", REPO_ROOT / ".build" / "debug")).resolve()


def binary(name: str) -> Path:
    path = bin_dir() / name
    if not path.is_file() or not os.access(path, os.X_OK):
        raise FileNotFoundError(
            f"{path} not found: build first (`swift build`, or `make test`), "
            f"or point XSC_BIN_DIR at the folder holding {name}"
        )
    return path


def generate_stubs(out_dir: Path) -> Path:
    """Compiles proto/grpc/testing/*.proto into Python modules under out_dir."""
    from grpc_tools import protoc
    import grpc_tools

    src = proto_dir()
    wanted = sorted((src / "grpc" / "testing").glob("*.proto"))
    if not wanted:
        raise FileNotFoundError(f"no grpc/testing/*.proto under {src}")
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{src}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(p.relative_to(src)) for p in wanted],
    ]
    status = protoc.main(args)
    if status != 0:
        raise RuntimeError(f"protoc failed ({status}) for {wanted}")
    return out_dir


@dataclass
class Stubs:
    """The generated modules of grpc.testing."""

    dir: Path
    empty_pb2: object
    messages_pb2: object
    test_pb2: object
    test_pb2_grpc: object


def load_stubs(out_dir: Path) -> Stubs:
    # The generated modules live in the package `grpc.testing`, but `grpc` is grpcio's own
    # (regular) package, so Python would never look in out_dir for it. Adding out_dir/grpc to
    # grpc's package path makes `grpc.testing` (a namespace package there) importable, and the
    # generated `from grpc.testing import ...` lines work unchanged.
    import grpc

    extra = str(out_dir / "grpc")
    if extra not in grpc.__path__:
        grpc.__path__.append(extra)
    return Stubs(
        dir=out_dir,
        empty_pb2=importlib.import_module("grpc.testing.empty_pb2"),
        messages_pb2=importlib.import_module("grpc.testing.messages_pb2"),
        test_pb2=importlib.import_module("grpc.testing.test_pb2"),
        test_pb2_grpc=importlib.import_module("grpc.testing.test_pb2_grpc"),
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server child process: started, awaited until it accepts TCP connections, stopped.

    Its stderr and stdout go to a temp file, shown when it fails to start. Its pid is written to
    $XSC_PID_DIR (when set) so scripts/test-all.sh can stop it if pytest itself dies.
    """

    def __init__(self, name: str, argv: list[str], port: int, env: dict | None = None):
        self.name = name
        self.argv = argv
        self.port = port
        self.env = env
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None
        self.pid_file: Path | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def output(self) -> str:
        try:
            return Path(self.log.name).read_text(errors="replace")[-8000:]
        except OSError:
            return "<no output>"

    def start(self) -> "ServerProcess":
        self.proc = subprocess.Popen(
            self.argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **(self.env or {})},
        )
        pid_dir = os.environ.get("XSC_PID_DIR")
        if pid_dir and Path(pid_dir).is_dir():
            self.pid_file = Path(pid_dir) / f"{self.name}-{self.proc.pid}.pid"
            self.pid_file.write_text(str(self.proc.pid))
        self._wait_until_accepting()
        return self

    def _wait_until_accepting(self) -> None:
        give_up_at = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            code = self.proc.poll()
            if code is not None:
                raise RuntimeError(
                    f"{self.name} exited with status {code} before accepting connections.\n"
                    f"command: {' '.join(self.argv)}\n--- its output ---\n{self.output()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > give_up_at:
                self.stop()
                raise RuntimeError(
                    f"{self.name} did not accept connections on port {self.port} within "
                    f"{STARTUP_TIMEOUT_S:.0f}s.\n--- its output ---\n{self.output()}"
                )
            time.sleep(0.05)

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)
        self.log.close()


def start_interop_target(stubs: Stubs) -> ServerProcess:
    """The server under test: xsc-interop-server, or grpcio's reference implementation when
    XSC_WIRE_TARGET=reference (to check the tests themselves)."""
    port = free_port()
    if os.environ.get("XSC_WIRE_TARGET", "xsc") == "reference":
        return start_reference_server(stubs, port)
    exe = binary("xsc-interop-server")
    return ServerProcess("xsc-interop-server", [str(exe), "--port", str(port)], port).start()


def start_reference_server(stubs: Stubs, port: int | None = None) -> ServerProcess:
    port = port or free_port()
    argv = [sys.executable, str(WIRE_DIR / "interop_server.py"),
            "--port", str(port), "--stubs-dir", str(stubs.dir)]
    return ServerProcess("grpcio-interop-server", argv, port).start()


def run_psql(url: str, sql: str) -> subprocess.CompletedProcess:
    """psql -c SQL against `url` (unaligned, tuples only, stop on the first error)."""
    binary = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
    return subprocess.run([binary, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                          capture_output=True, text=True, timeout=60)


def run_xsc(*args: str, env: dict[str, str] | None = None, timeout_s: float = 120) -> subprocess.CompletedProcess:
    """The `xsc` CLI with only PATH and the given variables in its environment."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([str(binary("xsc")), *args], env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout_s)
