"""docker-compose.yml and services/<name>/ against ARCHITECTURE.md's conventions.

No Docker engine runs here, so this reads the files: every service must have its port from the
table, its admin port, a health check through `xsc health`, its own role's DATABASE_URL, the
shared actor secret, and an image built from the repository root with its own Dockerfile. The
environment each service would get is also handed to the real binary's `--print-config`, so a
value the service would refuse at start fails here.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

import wire_support

REPO = wire_support.REPO_ROOT
SERVICES = ["gateway", "orders", "customers", "proposals", "notifications", "settlements", "campaigns"]
RPC_PORT = {name: 7100 + i for i, name in enumerate(SERVICES)}
ADMIN_PORT = {name: 9100 + i for i, name in enumerate(SERVICES)}

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")

# What an operator sets on the host (compose refuses to start without each of them).
DEPLOY_ENV = {
    "XSC_ACTOR_SECRET": "3f9c2a8e71d64b05a1c7e0f2d9b84a6c5e1f3d7b9a2c4e6f8091a3b5c7d9e1f3",
    "POSTGRES_PASSWORD": "pg-from-the-host",
    **{f"XSC_DB_PASSWORD_{name.upper()}": f"{name}-from-the-host" for name in SERVICES},
}


class MissingVariable(Exception):
    pass


def interpolate(value, environment: dict[str, str]):
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} substitution (enough for this file)."""
    if not isinstance(value, str):
        return value

    def substitute(match):
        name, operator, argument = match.group(1), match.group(2) or "", match.group(3) or ""
        if environment.get(name):
            return environment[name]
        if operator.endswith("?"):
            raise MissingVariable(f"{name}: {argument}")
        return argument
    return _VARIABLE.sub(substitute, value)


@pytest.fixture(scope="module")
def compose() -> dict:
    with open(REPO / "docker-compose.yml") as f:
        return yaml.safe_load(f)


def environment_of(service: dict, host_env: dict[str, str] | None = None) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: interpolate(str(value), {**DEPLOY_ENV, **(host_env or {})}) for key, value in env.items()}


def test_every_service_and_nothing_unexpected(compose):
    assert set(compose["services"]) == set(SERVICES) | {"postgres", "db-bootstrap"}


def test_postgres_is_15_with_a_health_check(compose):
    pg = compose["services"]["postgres"]
    assert pg["image"].split(":")[1].startswith("15")
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])


@pytest.mark.parametrize("name", SERVICES)
def test_ports_follow_the_table(compose, name):
    service = compose["services"][name]
    rpc, admin = RPC_PORT[name], ADMIN_PORT[name]
    # Only the gateway is published (issue 16): a backend port on the host would let anyone
    # reaching the host call a service with a forged or replayed actor, or scrape /metrics.
    # The gateway's 7443 is its TLS listener (XSC_TLS_LISTEN, off until a certificate is named),
    # 7180 its partner HTTP/1.1 JSON listener (XSC_HTTP_LISTEN).
    assert service.get("ports", []) == (["7100:7100", "7180:7180", "7443:7443"] if name == "gateway" else [])
    env = environment_of(service)
    assert env["XSC_LISTEN"] == f"0.0.0.0:{rpc}"
    assert env["XSC_ADMIN_LISTEN"] == f"0.0.0.0:{admin}"


@pytest.mark.parametrize("name", SERVICES)
def test_health_check_uses_xsc_health_on_its_port(compose, name):
    check = compose["services"][name]["healthcheck"]
    assert check["test"] == ["CMD", "xsc", "health", f"127.0.0.1:{RPC_PORT[name]}"]
    assert check.get("retries", 0) >= 1


@pytest.mark.parametrize("name", SERVICES)
def test_database_url_is_the_services_own_role(compose, name):
    services = compose["services"]
    url = urlsplit(environment_of(services[name])["DATABASE_URL"])
    assert url.scheme in ("postgres", "postgresql")
    assert url.username == name, "each service connects as its own role, never as the superuser"
    assert url.hostname == "postgres" and url.port == 5432
    # The password the service uses is the one db-bootstrap gives its role.
    bootstrap_env = environment_of(services["db-bootstrap"])
    assert url.password and url.password == bootstrap_env[f"XSC_DB_PASSWORD_{name.upper()}"]
    # Changing the bootstrap password variable changes both sides together.
    host_env = {f"XSC_DB_PASSWORD_{name.upper()}": "from-the-host"}
    assert urlsplit(environment_of(services[name], host_env)["DATABASE_URL"]).password == "from-the-host"
    assert environment_of(services["db-bootstrap"], host_env)[f"XSC_DB_PASSWORD_{name.upper()}"] == "from-the-host"


def test_no_secret_has_a_fallback(compose):
    """Deployment secrets (issue 16): without them on the host, compose stops naming the
    variable. Before, each fell back to a value published in this file."""
    text = (REPO / "docker-compose.yml").read_text()
    for variable in ["XSC_ACTOR_SECRET", "POSTGRES_PASSWORD"] + [f"XSC_DB_PASSWORD_{n.upper()}" for n in SERVICES]:
        uses = re.findall(r"\$\{" + variable + r"(:?[-?][^}]*)?\}", text)
        assert uses and all(use.startswith(":?") for use in uses), f"{variable} must be required (${{{variable}:?...}})"
    for name in SERVICES:
        with pytest.raises(MissingVariable):
            interpolate(str(compose["services"][name]["environment"]["XSC_ACTOR_SECRET"]), {})
    assert "dev-only" not in text and "change-me" not in text


def test_every_service_shares_one_actor_secret(compose):
    secrets = {environment_of(compose["services"][name]).get("XSC_ACTOR_SECRET") for name in SERVICES}
    assert len(secrets) == 1
    (secret,) = secrets
    assert secret and len(secret.encode()) >= 32


@pytest.mark.parametrize("name", SERVICES)
def test_build_context_is_the_repository_with_the_services_dockerfile(compose, name):
    build = compose["services"][name]["build"]
    assert (REPO / build["context"]).resolve() == REPO
    assert build["dockerfile"] == f"services/{name}/Dockerfile"
    assert (REPO / build["dockerfile"]).is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_starts_after_postgres_and_the_bootstrap(compose, name):
    depends = compose["services"][name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["db-bootstrap"]["condition"] == "service_completed_successfully"


def test_gateway_reaches_every_service_by_name_and_waits_for_them(compose):
    gateway = compose["services"]["gateway"]
    env = environment_of(gateway)
    for name in SERVICES[1:]:
        assert env[f"XSC_{name.upper()}_ADDR"] == f"{name}:{RPC_PORT[name]}"
        assert gateway["depends_on"][name]["condition"] == "service_healthy"


def test_bootstrap_runs_xsc_db_bootstrap_as_superuser(compose):
    bootstrap = compose["services"]["db-bootstrap"]
    assert bootstrap["entrypoint"][:2] == ["xsc", "db-bootstrap"]
    url = urlsplit(environment_of(bootstrap)["DATABASE_URL"])
    assert url.username == compose["services"]["postgres"]["environment"]["POSTGRES_USER"]
    assert bootstrap["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_builds_on_swift_and_runs_on_debian_slim(name):
    text = (REPO / "services" / name / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.MULTILINE)
    assert len(stages) == 2, "multi-stage: a Swift builder and a slim runtime"
    assert re.search(r"^ARG SWIFT_IMAGE=swift:6\.\d+", text, re.MULTILINE)
    assert stages[1][0] == "debian:12-slim"
    for package in ("libnghttp2-14", "libprotobuf-c1", "libpq5"):
        assert package in text
    if name == "notifications":  # the https SMS gateway: OpenSSL and the system's trusted CAs
        assert "libssl-dev" in text and "libssl3" in text and "ca-certificates" in text
    assert f"--product xsc-{name}" in text and "--product xsc " in text
    assert f'ENTRYPOINT ["xsc-{name}"]' in text
    assert re.search(rf"^EXPOSE {RPC_PORT[name]} {ADMIN_PORT[name]}$", text, re.MULTILINE)
    assert f"COPY services/{name}/migrations /app/services/{name}/migrations" in text
    assert re.search(r"^WORKDIR /app$", text, re.MULTILINE)
    assert re.search(r"^USER (?!root)\S+", text, re.MULTILINE), "the service must not run as root"


@pytest.mark.parametrize("name", SERVICES)
def test_service_folder_is_complete(name):
    folder = REPO / "services" / name
    migrations = sorted((folder / "migrations").glob("*.sql"))
    assert migrations and migrations[0].name.startswith("0001_")
    assert (folder / "README.md").is_file()
    assert (folder / "example.env").is_file()


def print_config(name: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    binary = wire_support.binary(f"xsc-{name}")
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([str(binary), "--print-config"], env={**clean, **env}, cwd=REPO,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", SERVICES)
def test_the_binary_accepts_the_compose_environment(compose, name):
    result = print_config(name, environment_of(compose["services"][name]))
    assert result.returncode == 0, result.stderr
    assert f"XSC_LISTEN=0.0.0.0:{RPC_PORT[name]}" in result.stdout
    assert "from-the-host" not in result.stdout and DEPLOY_ENV["XSC_ACTOR_SECRET"] not in result.stdout, \
        "--print-config must hide the secrets"
    # Inside a container 127.0.0.1 is the container itself: a peer left at its default
    # address would never be reached (its outbox rows would wait forever).
    local_peers = re.findall(r"^(XSC_\w+_ADDR)=127\.0\.0\.1:", result.stdout, re.MULTILINE)
    assert not local_peers, f"{name}: set {', '.join(local_peers)} in docker-compose.yml"


@pytest.mark.parametrize("name", SERVICES)
def test_the_binary_accepts_example_env(name):
    env = {}
    for line in (REPO / "services" / name / "example.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    # The example leaves the secret empty on purpose: as it stands the service refuses it.
    assert env.get("XSC_ACTOR_SECRET", "") == ""
    refused = print_config(name, env)
    assert refused.returncode == 2 and "XSC_ACTOR_SECRET" in refused.stderr
    result = print_config(name, {**env, "XSC_ACTOR_SECRET": DEPLOY_ENV["XSC_ACTOR_SECRET"]})
    assert result.returncode == 0, result.stderr
    for variable in ("XSC_MAX_CALLS_IN_FLIGHT", "XSC_MAX_CONNECTIONS", "XSC_DB_MAX_WAITERS", "XSC_DB_ACQUIRE_TIMEOUT_MS"):
        assert f"\n{variable}=" in result.stdout, f"--print-config lacks {variable}"


@pytest.mark.parametrize("placeholder", ["dev-only-actor-secret-change-me-0123456789",
                                         "change-me-to-32-or-more-random-bytes-0000"])
def test_print_config_refuses_a_published_placeholder_secret(compose, placeholder):
    """The old compose fallback and the old example.env value: a service must not start."""
    env = environment_of(compose["services"]["orders"])
    env["XSC_ACTOR_SECRET"] = placeholder
    result = print_config("orders", env)
    assert result.returncode == 2 and "placeholder" in result.stderr and placeholder not in result.stderr


def test_print_config_shows_admission_limits_from_the_environment(compose):
    env = {**environment_of(compose["services"]["orders"]), "XSC_MAX_CALLS_IN_FLIGHT": "150", "XSC_DB_MAX_WAITERS": "7"}
    result = print_config("orders", env)
    assert result.returncode == 0, result.stderr
    assert "\nXSC_MAX_CALLS_IN_FLIGHT=150\n" in result.stdout and "\nXSC_DB_MAX_WAITERS=7\n" in result.stdout


def test_print_config_rejects_a_short_actor_secret(compose):
    """The two tests above can fail: the same check refuses a bad environment."""
    env = environment_of(compose["services"]["orders"])
    env["XSC_ACTOR_SECRET"] = "too-short"
    result = print_config("orders", env)
    assert result.returncode == 2 and "XSC_ACTOR_SECRET" in result.stderr
