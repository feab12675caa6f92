"""The `xsc` command-line client: mint-actor (checked against an independent HMAC in Python),
health (against the conformance server and a closed port) and db-bootstrap (against the test
PostgreSQL of `make test`)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

import wire_support
from wire_support import run_psql as psql, run_xsc as xsc

SECRET = "wire-test-actor-secret-0123456789abcdef"


def test_help_lists_every_command():
    result = xsc("--help")
    assert result.returncode == 0
    for command in ("mint-actor", "db-bootstrap", "health"):
        assert command in result.stdout


def test_unknown_command_and_option_are_usage_errors():
    assert xsc("frobnicate").returncode == 2
    assert xsc("health", "--no-such-option").returncode == 2


def test_mint_actor_prints_grpcurl_headers_signed_with_the_secret():
    result = xsc("mint-actor", "--audience", "orders", "--account", "acct-42", "--role", "manager", "--team", "/east/7",
                 env={"XSC_ACTOR_SECRET": SECRET})
    assert result.returncode == 0, result.stderr
    headers = {}
    for line in result.stdout.splitlines():
        assert line.startswith("-H '") and line.endswith("'"), line
        name, _, value = line[4:-1].partition(": ")
        headers[name] = base64.b64decode(value)
    actor, signature = headers["x-xsc-actor-bin"], headers["x-xsc-actor-sig-bin"]
    expected = hmac.new(SECRET.encode(), b"xsc-actor-v2\x00orders\x00" + actor, hashlib.sha256).digest()
    assert hmac.compare_digest(signature, expected)
    # Bound to its audience: the same bytes signed for another service differ.
    other = hmac.new(SECRET.encode(), b"xsc-actor-v2\x00notifications\x00" + actor, hashlib.sha256).digest()
    assert not hmac.compare_digest(signature, other)
    assert b"acct-42" in actor and b"/east/7" in actor


def test_mint_actor_plain_lines_and_a_wrong_secret_does_not_verify():
    result = xsc("mint-actor", "--audience", "orders", "--account", "a", "--plain", env={"XSC_ACTOR_SECRET": SECRET})
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    actor = base64.b64decode(lines["x-xsc-actor-bin"])
    other = hmac.new(b"another-secret-of-enough-length-000000", b"xsc-actor-v2\x00orders\x00" + actor, hashlib.sha256).digest()
    assert base64.b64decode(lines["x-xsc-actor-sig-bin"]) != other


@pytest.mark.parametrize("env, args, fragment", [
    ({}, ["--account", "a"], "XSC_ACTOR_SECRET is not set"),
    ({"XSC_ACTOR_SECRET": "short"}, ["--account", "a"], "at least 32 bytes"),
    ({"XSC_ACTOR_SECRET": SECRET}, [], "--account is required"),
    ({"XSC_ACTOR_SECRET": SECRET}, ["--account", "a", "--role", "emperor"], "unknown role"),
    ({"XSC_ACTOR_SECRET": SECRET}, ["--account", "a"], "--audience is required"),
    ({"XSC_ACTOR_SECRET": SECRET}, ["--audience", "orders", "--account", "a", "--ttl", "86400"], "at most 3600"),
])
def test_mint_actor_refuses_bad_input(env, args, fragment):
    result = xsc("mint-actor", *args, env=env)
    assert result.returncode == 2
    assert fragment in result.stderr


def test_health_of_a_serving_server(live_server):
    result = xsc("health", live_server.address)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"{live_server.address} SERVING"
    named = xsc("health", live_server.address, "--service", "grpc.testing.TestService")
    assert named.returncode == 0 and "SERVING" in named.stdout


def test_health_of_an_unknown_service_and_a_closed_port_fail(live_server):
    unknown = xsc("health", live_server.address, "--service", "no.such.Service")
    assert unknown.returncode == 1 and "NOT_FOUND" in unknown.stdout
    closed = xsc("health", f"127.0.0.1:{wire_support.free_port()}", "--timeout", "2")
    assert closed.returncode == 1 and "UNAVAILABLE" in closed.stdout


@pytest.fixture
def fresh_database():
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.skip("needs DATABASE_URL (a superuser URL; `make test` provides one)")
    name = "xsc_cli_" + uuid.uuid4().hex[:12]
    created = psql(url, f"CREATE DATABASE {name} STRATEGY FILE_COPY")
    assert created.returncode == 0, created.stderr
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def test_db_bootstrap_creates_the_role_with_the_given_password(fresh_database, tmp_path):
    secrets = tmp_path / "secrets"
    env = {"DATABASE_URL": fresh_database, "XSC_DB_PASSWORD_NOTIFICATIONS": "pw-from-env-123"}
    for _ in range(2):  # idempotent
        result = xsc("db-bootstrap", "--secrets-dir", str(secrets), "notifications", env=env)
        assert result.returncode == 0, result.stderr
    url_file = secrets / "notifications.database-url"
    assert stat.S_IMODE(url_file.stat().st_mode) == 0o600
    service_url = url_file.read_text().strip()
    assert "pw-from-env-123" in service_url
    who = psql(service_url, "SELECT current_user || ' ' || current_schema()")
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == "notifications notifications"


def test_db_bootstrap_keeps_a_generated_password_across_runs(fresh_database, tmp_path):
    secrets = tmp_path / "secrets"
    env = {"DATABASE_URL": fresh_database}
    assert xsc("db-bootstrap", "--secrets-dir", str(secrets), "settlements", env=env).returncode == 0
    first = (secrets / "settlements.db-password").read_text()
    assert xsc("db-bootstrap", "--secrets-dir", str(secrets), "settlements", env=env).returncode == 0
    assert (secrets / "settlements.db-password").read_text() == first
    service_url = (secrets / "settlements.database-url").read_text().strip()
    assert psql(service_url, "SELECT 1").returncode == 0


def test_db_bootstrap_refuses_an_unknown_service(fresh_database):
    result = xsc("db-bootstrap", "billing", env={"DATABASE_URL": fresh_database})
    assert result.returncode == 2 and "unknown service billing" in result.stderr
