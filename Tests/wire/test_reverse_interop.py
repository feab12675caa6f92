"""The interop cases the other way round: our Swift client (xsc-interop-client) against a
grpcio TestService (interop_server.py), one process per case, as the stock interop runner
drives clients."""
from __future__ import annotations

import subprocess

import pytest

import interop_cases
import wire_support

# A case that has not finished by then is hung; a liveness bound, not a performance assertion.
CLIENT_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def grpcio_server(stubs):
    server = wire_support.start_reference_server(stubs)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def interop_client():
    return wire_support.binary("xsc-interop-client")


@pytest.mark.parametrize("case", interop_cases.ALL_CASES)
def test_swift_client_against_grpcio_server(case, interop_client, grpcio_server):
    argv = [str(interop_client), "--server_host", "127.0.0.1",
            "--server_port", str(grpcio_server.port), "--test_case", case]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{case} did not finish within {CLIENT_TIMEOUT_S}s: {exc.stdout!r} {exc.stderr!r}")
    assert result.returncode == 0, (
        f"{' '.join(argv)} exited {result.returncode}\n--- stdout ---\n{result.stdout}"
        f"\n--- stderr ---\n{result.stderr}"
    )
    assert f"PASS {case}" in result.stdout
    assert grpcio_server.is_running(), grpcio_server.output()


def test_swift_client_rejects_unknown_case(interop_client):
    result = subprocess.run([str(interop_client), "--server_port", "1", "--test_case", "no_such_case"],
                            capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S)
    assert result.returncode == 2, result
