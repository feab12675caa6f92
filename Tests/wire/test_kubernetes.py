"""deploy/kubernetes/ (the many-host deployment) against the Kubernetes schemas and our conventions.

No cluster is needed. Each overlay is rendered by a small renderer of the kustomize subset the
manifests use (resources, namespace, images, replicas, patches as strategic-merge files), so the
test runs on a fresh Debian 12 without kustomize; where `kubectl kustomize` exists, its output must
be the same objects. Every object is then validated with kubernetes-validate (strict: unknown
fields fail) and checked against the project's rules: every service present, gRPC probes on its
port, only the gateway exposed, peer addresses naming existing Services, no secret value in the
manifests, a termination grace longer than the drain, images as the Dockerfiles build them. The
environment each Deployment would get (Secrets filled by make-secrets.py) goes through the real
binary's `--print-config`, and the placeholders of secrets.example.yaml must be refused by it.
"""
from __future__ import annotations

import base64
import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

import wire_support

REPO = wire_support.REPO_ROOT
K8S = REPO / "deploy" / "kubernetes"
OVERLAYS = ("dev", "production")
SERVICES = ("gateway", "orders", "customers", "proposals", "notifications", "settlements", "campaigns")
RPC_PORT = {name: 7100 + i for i, name in enumerate(SERVICES)}
ADMIN_PORT = {name: 9100 + i for i, name in enumerate(SERVICES)}
# The drain a pod must be given (ServiceKit): RPCServer's shutdownGracePeriod (10 s) + the 100 ms
# notice, then ServiceRunner's workerStopTimeout (10 s).
DRAIN_S = 10.0 + 0.1 + 10.0
# Kubernetes version whose schemas the objects must satisfy (the grpc probe needs >= 1.27).
KUBERNETES_VERSION = "1.30.0"
SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|DATABASE_URL|_KEY$|SUPERUSER)")


# -- the renderer ------------------------------------------------------------------------------

def _identity(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def strategic_merge(base, patch):
    """Kubernetes' strategic merge as far as these manifests need it: maps merge key by key,
    lists of named items (containers, env, volumes) merge by name, other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = strategic_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if (isinstance(base, list) and isinstance(patch, list) and patch
            and all(isinstance(item, dict) and "name" in item for item in base + patch)):
        merged = [copy.deepcopy(item) for item in base]
        for item in patch:
            index = next((i for i, old in enumerate(merged) if old["name"] == item["name"]), None)
            if index is None:
                merged.append(copy.deepcopy(item))
            else:
                merged[index] = strategic_merge(merged[index], item)
        return merged
    return copy.deepcopy(patch)


def _load(path: Path) -> list[dict]:
    with open(path) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}
KNOWN_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}


def render(directory: Path) -> list[dict]:
    """The objects `kubectl kustomize directory` would print (for the subset above)."""
    kustomization = _load(directory / "kustomization.yaml")[0]
    unknown = set(kustomization) - KNOWN_FIELDS
    assert not unknown, f"{directory}: kustomization fields this renderer does not know: {unknown}"
    objects: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        objects += render(path) if path.is_dir() else _load(path)
    for patch_entry in kustomization.get("patches", []):
        assert set(patch_entry) == {"path"}, f"only `path:` patches are supported: {patch_entry}"
        for patch in _load(directory / patch_entry["path"]):
            targets = [i for i, obj in enumerate(objects) if _identity(obj) == _identity(patch)]
            assert len(targets) == 1, f"{directory}: patch {_identity(patch)} matches {len(targets)} objects"
            objects[targets[0]] = strategic_merge(objects[targets[0]], patch)
    for replica in kustomization.get("replicas", []):
        targets = [obj for obj in objects
                   if obj["kind"] in ("Deployment", "StatefulSet") and obj["metadata"]["name"] == replica["name"]]
        assert targets, f"replicas: no workload named {replica['name']}"
        for obj in targets:
            obj["spec"]["replicas"] = replica["count"]
    for image in kustomization.get("images", []):
        for obj in objects:
            for container in _pod_containers(obj):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = image.get("newName", name) + ":" + str(image.get("newTag", tag or "latest"))
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    return objects


def _pod_spec(obj: dict) -> dict | None:
    if obj["kind"] in ("Deployment", "StatefulSet", "Job"):
        return obj["spec"]["template"]["spec"]
    return None


def _pod_containers(obj: dict) -> list[dict]:
    spec = _pod_spec(obj)
    return [] if spec is None else spec.get("initContainers", []) + spec["containers"]


# -- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request) -> tuple[str, dict[tuple[str, str], dict]]:
    objects = render(K8S / "overlays" / request.param)
    by_identity = {_identity(obj): obj for obj in objects}
    assert len(by_identity) == len(objects), "two objects share a kind and a name"
    return request.param, by_identity


def make_secrets(*args: str) -> dict[str, dict[str, str]]:
    result = subprocess.run([sys.executable, str(K8S / "make-secrets.py"), *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return {doc["metadata"]["name"]: {key: base64.b64decode(value).decode() for key, value in doc["data"].items()}
            for doc in yaml.safe_load_all(result.stdout) if doc}


def deployment(objects, name: str) -> dict:
    return objects[("Deployment", name)]


def container_of(objects, name: str) -> dict:
    (container,) = deployment(objects, name)["spec"]["template"]["spec"]["containers"]
    return container


def env_values(container: dict, secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The container's environment as the kubelet would give it, Secrets taken from `secrets`."""
    env = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            if ref["name"] in secrets:
                env[item["name"]] = secrets[ref["name"]][ref["key"]]
            else:
                assert ref.get("optional"), f"{item['name']}: Secret {ref['name']} is not made by make-secrets.py"
    return env


# -- schemas -----------------------------------------------------------------------------------

def _validate(obj: dict) -> None:
    import kubernetes_validate
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        raise AssertionError(f"{_identity(obj)}: {error.message} at {list(error.path)}") from None


def test_every_object_matches_the_kubernetes_schemas(overlay):
    _, objects = overlay
    for obj in objects.values():
        _validate(obj)


def test_the_secrets_made_and_the_example_match_the_schemas():
    for path_or_text in (K8S / "secrets.example.yaml",):
        for doc in _load(path_or_text):
            _validate(doc)
    result = subprocess.run([sys.executable, str(K8S / "make-secrets.py"), "--dev"], capture_output=True, text=True)
    for doc in yaml.safe_load_all(result.stdout):
        _validate(doc)


def test_the_schema_check_can_fail():
    """A misspelt field and a string where a port number belongs are both refused."""
    import kubernetes_validate
    broken = copy.deepcopy(render(K8S / "overlays" / "dev"))
    service = next(obj for obj in broken if obj["kind"] == "Service")
    service["spec"]["ports"][0]["port"] = "seven-thousand"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(service, KUBERNETES_VERSION, strict=True)
    deploy = next(obj for obj in broken if obj["kind"] == "Deployment")
    deploy["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"grpc": {"port": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deploy, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed: the renderer alone is used")
@pytest.mark.parametrize("name", OVERLAYS)
def test_the_renderer_agrees_with_kubectl_kustomize(name):
    result = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / name)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    theirs = {_identity(doc): doc for doc in yaml.safe_load_all(result.stdout) if doc}
    ours = {_identity(doc): doc for doc in render(K8S / "overlays" / name)}
    assert set(theirs) == set(ours)
    for key in ours:
        assert _env_sorted(ours[key]) == _env_sorted(theirs[key]), f"{name}: {key} renders differently"


def _env_sorted(value):
    """kustomize moves patched entries of named lists first; the order of env entries, ports,
    volumes and their mounts means nothing."""
    if isinstance(value, dict):
        return {key: (sorted(map(_env_sorted, item), key=lambda e: e["name"])
                      if key in ("env", "ports", "volumes", "volumeMounts") else _env_sorted(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_env_sorted(item) for item in value]
    return value


# -- the project's rules -----------------------------------------------------------------------

def test_every_service_has_a_deployment_a_service_and_a_disruption_budget(overlay):
    _, objects = overlay
    for name in SERVICES:
        labels = deployment(objects, name)["spec"]["template"]["metadata"]["labels"]
        for kind in ("Service", "PodDisruptionBudget"):
            assert (kind, name) in objects, f"{kind} {name} is missing"
        selector = objects[("Service", name)]["spec"]["selector"]
        assert selector.items() <= labels.items(), f"Service {name} does not select its pods"
        budget = objects[("PodDisruptionBudget", name)]["spec"]
        assert budget["selector"]["matchLabels"].items() <= labels.items()
        assert budget.get("maxUnavailable") == 1 or budget.get("minAvailable") is not None
        assert deployment(objects, name)["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_probes_are_grpc_health_on_the_service_port(overlay):
    _, objects = overlay
    for name in SERVICES:
        container = container_of(objects, name)
        env = {item["name"]: item.get("value") for item in container["env"]}
        assert env["XSC_LISTEN"] == f"0.0.0.0:{RPC_PORT[name]}"
        assert env["XSC_ADMIN_LISTEN"] == f"0.0.0.0:{ADMIN_PORT[name]}"
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        expected = {"grpc": RPC_PORT[name], "admin": ADMIN_PORT[name]}
        if name == "gateway" and env.get("XSC_TLS_CERT_FILE"):
            expected["tls"] = int(env["XSC_TLS_LISTEN"].rpartition(":")[2])  # the edge's TLS listener
        if name == "gateway":
            expected["http-json"] = int(env["XSC_HTTP_LISTEN"].rpartition(":")[2])  # partner HTTP/1.1 JSON
        assert ports == expected
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == RPC_PORT[name], f"{name}: {probe}"
            assert container[probe]["grpc"].get("service", "") == ""
        service_ports = {port["name"]: port for port in objects[("Service", name)]["spec"]["ports"]}
        assert service_ports["grpc"]["port"] == RPC_PORT[name]
        assert service_ports["grpc"]["targetPort"] in ("grpc", RPC_PORT[name])


def test_production_exposes_only_the_gateways_tls_port_with_its_certificate_from_a_secret(overlay):
    """TLS at the edge: the public Service reaches the gateway's TLS listener only (7100 stays
    h2c, for the probes), and the certificate files are a mounted Secret (never in a manifest)."""
    overlay_name, objects = overlay
    if overlay_name != "production":
        return
    container = container_of(objects, "gateway")
    env = {item["name"]: item.get("value") for item in container["env"]}
    public = [obj for (kind, _), obj in objects.items() if kind == "Service" and obj["spec"].get("type") == "LoadBalancer"]
    assert [[port["targetPort"] for port in obj["spec"]["ports"]] for obj in public] == [["tls"]]
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in deployment(objects, "gateway")["spec"]["template"]["spec"]["volumes"]}
    for variable in ("XSC_TLS_CERT_FILE", "XSC_TLS_KEY_FILE"):
        folder = env[variable].rpartition("/")[0]
        assert volumes[mounts[folder]]["secret"]["secretName"] == "xsc-gateway-tls", variable
    example = {doc["metadata"]["name"]: doc for doc in _load(K8S / "secrets.example.yaml")}
    assert example["xsc-gateway-tls"]["type"] == "kubernetes.io/tls"
    assert {env["XSC_TLS_CERT_FILE"].rpartition("/")[2], env["XSC_TLS_KEY_FILE"].rpartition("/")[2]} == \
        set(example["xsc-gateway-tls"]["stringData"])


def test_termination_grace_is_longer_than_prestop_and_drain(overlay):
    _, objects = overlay
    for name in SERVICES:
        spec = deployment(objects, name)["spec"]["template"]["spec"]
        container = container_of(objects, name)
        pre_stop = container.get("lifecycle", {}).get("preStop", {})
        sleep = float(pre_stop["exec"]["command"][1]) if "exec" in pre_stop else 0.0
        assert spec["terminationGracePeriodSeconds"] > sleep + DRAIN_S, name


def test_only_the_gateway_is_exposed(overlay):
    overlay_name, objects = overlay
    exposed = []
    for (kind, name), obj in objects.items():
        if kind == "Service" and obj["spec"].get("type", "ClusterIP") != "ClusterIP":
            exposed.append(obj["spec"]["selector"])
        if kind == "Ingress":
            for rule in obj["spec"].get("rules", []):
                for path in rule["http"]["paths"]:
                    exposed.append({"app.kubernetes.io/name": path["backend"]["service"]["name"]})
        spec = _pod_spec(obj)
        if spec is not None:
            assert not spec.get("hostNetwork"), f"{name} uses the host's network"
            for container in _pod_containers(obj):
                assert all("hostPort" not in port for port in container.get("ports", [])), name
    assert all(selector == {"app.kubernetes.io/name": "gateway"} for selector in exposed), exposed
    if overlay_name == "production":
        assert exposed, "production exposes the gateway (LoadBalancer Service or Ingress)"


def test_every_peer_address_names_an_existing_service(overlay):
    _, objects = overlay
    for name in SERVICES:
        env = {item["name"]: item.get("value") for item in container_of(objects, name)["env"]}
        peers = {key: value for key, value in env.items() if re.fullmatch(r"XSC_[A-Z]+_ADDR", key)}
        for key, value in peers.items():
            peer = key[len("XSC_"):-len("_ADDR")].lower()
            host, _, port = value.rpartition(":")
            assert ("Service", host) in objects, f"{name}: {key}={value} names no Service"
            service = objects[("Service", host)]
            assert int(port) in [p["port"] for p in service["spec"]["ports"]], f"{name}: {key}={value}"
            assert service["spec"]["selector"] == {"app.kubernetes.io/name": peer}, f"{name}: {key} reaches another service"
            assert int(port) == RPC_PORT[peer]
    gateway = {item["name"] for item in container_of(objects, "gateway")["env"]}
    assert {f"XSC_{name.upper()}_ADDR" for name in SERVICES[1:]} <= gateway


def test_no_secret_value_in_the_manifests(overlay):
    _, objects = overlay
    assert not [key for key in objects if key[0] == "Secret"], "Secrets are made by make-secrets.py, never committed"
    for obj in objects.values():
        for container in _pod_containers(obj):
            for item in container.get("env", []):
                if SECRET_NAME.search(item["name"]) and item["name"] not in ("XSC_SMS_PROVIDER",):
                    assert "value" not in item, f"{obj['metadata']['name']}: {item['name']} must come from a Secret"
                    assert "secretKeyRef" in item["valueFrom"]
                value = item.get("value", "")
                assert not re.search(r"://[^/@\s]*:[^/@\s]*@", value), f"{item['name']}: credentials in a URL"


def test_gateway_replicas_setting_matches_the_deployment(overlay):
    _, objects = overlay
    env = {item["name"]: item.get("value") for item in container_of(objects, "gateway")["env"]}
    assert int(env["XSC_GATEWAY_REPLICAS"]) == deployment(objects, "gateway")["spec"]["replicas"]


def test_images_are_the_ones_the_dockerfiles_build(overlay):
    overlay_name, objects = overlay
    kustomization = _load(K8S / "overlays" / overlay_name / "kustomization.yaml")[0]
    renamed = {image["name"]: image.get("newName", image["name"]) for image in kustomization.get("images", [])}
    for name in SERVICES:
        dockerfile = (REPO / "services" / name / "Dockerfile").read_text()
        assert f"-t xsc/{name} " in dockerfile or f"-t xsc/{name}\n" in dockerfile
        container = container_of(objects, name)
        assert container["image"].rpartition(":")[0] == renamed.get(f"xsc/{name}", f"xsc/{name}")
        assert "command" not in container and "args" not in container, "the image's ENTRYPOINT (xsc-<name>) runs"
        assert re.search(rf'^ENTRYPOINT \["xsc-{name}"\]', dockerfile, re.MULTILINE)
        # The image runs as a non-root user; the manifests insist on it.
        assert deployment(objects, name)["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    gateway_dockerfile = (REPO / "services" / "gateway" / "Dockerfile").read_text()
    assert "--product xsc " in gateway_dockerfile, "the bootstrap Job runs `xsc` from the gateway image"


def test_the_bootstrap_job_covers_every_service_once(overlay):
    overlay_name, objects = overlay
    job = objects[("Job", "xsc-db-bootstrap")]
    containers = _pod_containers(job)
    assert [c["command"][-1] for c in containers] == list(SERVICES)
    secrets = make_secrets("--dev")
    for container, name in zip(containers, SERVICES):
        assert container["command"][:2] == ["xsc", "db-bootstrap"]
        assert container["image"] == container_of(objects, "gateway")["image"]
        env = env_values(container, secrets)
        assert set(env) == {"DATABASE_URL", f"XSC_DB_PASSWORD_{name.upper()}"}
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")


def test_every_secret_reference_is_made_by_make_secrets(overlay):
    overlay_name, objects = overlay
    args = ["--dev"] if overlay_name == "dev" else [
        "--superuser-url", "postgresql://postgres:x@db.internal:5432/xsc", "--sms-gateway-url",
        "https://sms.example.com/v1/sms", "--sms-gateway-key", "k", "--sms-gateway-secret", "s"]
    made = make_secrets(*args)
    example = {doc["metadata"]["name"]: set(doc["stringData"]) for doc in _load(K8S / "secrets.example.yaml")}
    for name, values in made.items():
        assert set(values) == example[name], f"secrets.example.yaml and make-secrets.py disagree on {name}"
    for obj in objects.values():
        for container in _pod_containers(obj):
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in made.get(ref["name"], {}), f"{item['name']}: {ref} is never made"


def test_database_urls_are_each_services_own_role_on_one_server():
    made = make_secrets("--dev")
    superuser = urlsplit(made["xsc-db-bootstrap"]["SUPERUSER_URL_ORDERS"])
    assert superuser.username == "postgres" and superuser.hostname == "postgres"
    assert superuser.password == made["xsc-postgres"]["POSTGRES_PASSWORD"]
    for name in SERVICES:
        url = urlsplit(made[f"xsc-db-{name}"]["DATABASE_URL"])
        assert url.username == name and url.hostname == "postgres" and url.port == 5432 and url.path == "/xsc"
        assert url.password == made["xsc-db-bootstrap"][f"XSC_DB_PASSWORD_{name.upper()}"]
        assert made["xsc-db-bootstrap"][f"SUPERUSER_URL_{name.upper()}"] == superuser.geturl()
    assert len(made["xsc-actor"]["XSC_ACTOR_SECRET"]) >= 32


def test_one_server_per_service_changes_only_that_services_urls():
    """Moving orders' schema to its own server is configuration alone: its DATABASE_URL and its
    bootstrap URL change, nothing else (the manifests are the same objects)."""
    one = "postgresql://postgres:p@db-main.internal:5432/xsc"
    own = "postgresql://postgres:q@db-orders.internal:5433/orders?sslmode=require"
    made = make_secrets("--superuser-url", one, "--superuser-url-for", f"orders={own}")
    orders = urlsplit(made["xsc-db-orders"]["DATABASE_URL"])
    assert (orders.hostname, orders.port, orders.path, orders.query) == ("db-orders.internal", 5433, "/orders", "sslmode=require")
    assert orders.username == "orders"
    assert made["xsc-db-bootstrap"]["SUPERUSER_URL_ORDERS"] == own
    for name in SERVICES:
        if name != "orders":
            assert urlsplit(made[f"xsc-db-{name}"]["DATABASE_URL"]).hostname == "db-main.internal"
            assert made["xsc-db-bootstrap"][f"SUPERUSER_URL_{name.upper()}"] == one


def print_config(name: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    binary = wire_support.binary(f"xsc-{name}")
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([str(binary), "--print-config"], env={**clean, **env}, cwd=REPO,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", SERVICES)
def test_the_binary_accepts_each_deployments_environment(overlay, name):
    overlay_name, objects = overlay
    made = make_secrets("--dev", "--sms-gateway-url", "https://sms.example.com/v1/sms",
                        "--sms-gateway-key", "key-1", "--sms-gateway-secret", "secret-0123456789")
    env = env_values(container_of(objects, name), made)
    # The image's WORKDIR is /app; here the repository plays that part.
    result = print_config(name, env)
    assert result.returncode == 0, result.stderr
    assert made["xsc-actor"]["XSC_ACTOR_SECRET"] not in result.stdout, "--print-config must hide the secrets"
    local_peers = re.findall(r"^(XSC_\w+_ADDR)=127\.0\.0\.1:", result.stdout, re.MULTILINE)
    assert not local_peers, f"{overlay_name}/{name}: set {', '.join(local_peers)} in the manifests"


@pytest.mark.parametrize("name", SERVICES)
def test_the_binary_refuses_the_placeholder_secrets(name):
    placeholders = {doc["metadata"]["name"]: doc["stringData"] for doc in _load(K8S / "secrets.example.yaml")}
    objects = {_identity(obj): obj for obj in render(K8S / "overlays" / "dev")}
    result = print_config(name, env_values(container_of(objects, name), placeholders))
    assert result.returncode == 2, result.stdout
    assert "DATABASE_URL" in result.stderr and "XSC_ACTOR_SECRET" in result.stderr
    if name == "gateway":
        assert "XSC_ADMIN_PASSWORD" in result.stderr


def test_the_rules_catch_broken_manifests():
    """Each rule above fails on a manifest broken the way a careless edit would break it."""
    def broken(edit):
        objects = {_identity(obj): obj for obj in copy.deepcopy(render(K8S / "overlays" / "production"))}
        edit(objects)
        return "production", objects

    def probe_on_admin_port(objects):
        container_of(objects, "orders")["readinessProbe"]["grpc"]["port"] = ADMIN_PORT["orders"]

    def orders_exposed(objects):
        objects[("Service", "orders")]["spec"]["type"] = "NodePort"

    def peer_typo(objects):
        for item in container_of(objects, "gateway")["env"]:
            if item["name"] == "XSC_ORDERS_ADDR":
                item["value"] = "order:7101"

    def short_grace(objects):
        deployment(objects, "customers")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 15

    def plaintext_secret(objects):
        container_of(objects, "settlements")["env"].append({"name": "XSC_ACTOR_SECRET", "value": "x" * 40})

    def wrong_image(objects):
        container_of(objects, "proposals")["image"] = "registry.example.com/xsc/proposal:0.19.0"

    def missing_budget(objects):
        del objects[("PodDisruptionBudget", "notifications")]

    for rule, edit in [(test_probes_are_grpc_health_on_the_service_port, probe_on_admin_port),
                       (test_only_the_gateway_is_exposed, orders_exposed),
                       (test_every_peer_address_names_an_existing_service, peer_typo),
                       (test_termination_grace_is_longer_than_prestop_and_drain, short_grace),
                       (test_no_secret_value_in_the_manifests, plaintext_secret),
                       (test_images_are_the_ones_the_dockerfiles_build, wrong_image),
                       (test_every_service_has_a_deployment_a_service_and_a_disruption_budget, missing_budget)]:
        rule(broken(lambda objects: None))  # unbroken: passes
        with pytest.raises(AssertionError):
            rule(broken(edit))
