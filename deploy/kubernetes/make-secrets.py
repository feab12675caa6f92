#!/usr/bin/env python3
"""Prints the Kubernetes Secrets XSC needs, with fresh random values, as YAML on stdout:

    deploy/kubernetes/make-secrets.py --dev | kubectl -n xsc-dev apply --server-side -f -
    deploy/kubernetes/make-secrets.py --superuser-url 'postgresql://postgres:PW@db.internal:5432/xsc' \\
        | kubectl -n xsc apply --server-side -f -

Secrets (their names and keys: secrets.example.yaml, whose placeholder values every service refuses):
  xsc-actor            XSC_ACTOR_SECRET, the HMAC key of the signed actor (shared by all six)
  xsc-db-<service>     DATABASE_URL, the service's OWN role on the server holding its schema
  xsc-db-bootstrap     SUPERUSER_URL_<SERVICE> and XSC_DB_PASSWORD_<SERVICE> for the bootstrap Job
  xsc-gateway-admin    XSC_ADMIN_PASSWORD, the hq_admin's password on the gateway's first start
  xsc-postgres         POSTGRES_PASSWORD of the dev overlay's in-cluster PostgreSQL (--dev only)
  xsc-sms-gateway      the https SMS provider's URL, key and secret (production; when given)

One PostgreSQL for every schema is the default. To move a schema to its own server, give
--superuser-url-for SERVICE=URL: only that service's DATABASE_URL and its bootstrap URL change
(then rerun the bootstrap Job and `kubectl rollout restart deployment/SERVICE`).

Nothing is written to disk. Running it again makes new passwords: apply them, rerun the bootstrap
Job (it sets each role's password to the new one) and restart the services.
"""
from __future__ import annotations

import argparse
import base64
import secrets
import sys
from urllib.parse import quote, urlsplit, urlunsplit

SERVICES = ("gateway", "orders", "customers", "proposals", "notifications", "settlements", "campaigns")
DEV_SUPERUSER = "postgresql://postgres:{password}@postgres:5432/xsc"


def secret(name: str, values: dict[str, str]) -> str:
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}",
             "  labels: {app.kubernetes.io/part-of: xsc}", "type: Opaque", "data:"]
    for key, value in values.items():
        lines.append(f"  {key}: {base64.b64encode(value.encode()).decode()}")
    return "\n".join(lines) + "\n"


def service_url(superuser_url: str, service: str, password: str) -> str:
    """The superuser URL with the service's role and password (same server, port, database, options)."""
    parts = urlsplit(superuser_url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
        raise SystemExit(f"make-secrets: the superuser URL of {service} must be postgresql://user:password@host:port/db")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{quote(service, safe='')}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def render(args: argparse.Namespace) -> str:
    token = lambda: secrets.token_hex(32)
    documents = [secret("xsc-actor", {"XSC_ACTOR_SECRET": token()})]
    superuser = args.superuser_url
    if args.dev:
        postgres_password = secrets.token_hex(24)
        documents.append(secret("xsc-postgres", {"POSTGRES_PASSWORD": postgres_password}))
        superuser = superuser or DEV_SUPERUSER.format(password=postgres_password)
    if not superuser:
        raise SystemExit("make-secrets: give --superuser-url (or --dev for the dev overlay's PostgreSQL)")
    per_service = {}
    for item in args.superuser_url_for:
        name, _, url = item.partition("=")
        if name not in SERVICES or not url:
            raise SystemExit(f"make-secrets: --superuser-url-for wants SERVICE=URL with SERVICE one of {', '.join(SERVICES)}")
        per_service[name] = url
    bootstrap = {}
    for service in SERVICES:
        password = secrets.token_hex(24)
        server = per_service.get(service, superuser)
        documents.append(secret(f"xsc-db-{service}", {"DATABASE_URL": service_url(server, service, password)}))
        bootstrap[f"SUPERUSER_URL_{service.upper()}"] = server
        bootstrap[f"XSC_DB_PASSWORD_{service.upper()}"] = password
    documents.append(secret("xsc-db-bootstrap", bootstrap))
    documents.append(secret("xsc-gateway-admin", {"XSC_ADMIN_PASSWORD": args.admin_password or secrets.token_urlsafe(18)}))
    sms = {"XSC_SMS_GATEWAY_URL": args.sms_gateway_url, "XSC_SMS_GATEWAY_KEY": args.sms_gateway_key,
           "XSC_SMS_GATEWAY_SECRET": args.sms_gateway_secret}
    if any(sms.values()):
        if not all(sms.values()):
            raise SystemExit("make-secrets: give all three of --sms-gateway-url, --sms-gateway-key, --sms-gateway-secret")
        documents.append(secret("xsc-sms-gateway", sms))
    return "---\n".join(documents)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", action="store_true",
                        help="also the in-cluster PostgreSQL's password (dev overlay); the superuser URL then defaults to it")
    parser.add_argument("--superuser-url", metavar="URL", help="a superuser of the PostgreSQL holding every schema")
    parser.add_argument("--superuser-url-for", action="append", default=[], metavar="SERVICE=URL",
                        help="a superuser of the server holding this service's schema (repeatable)")
    parser.add_argument("--admin-password", metavar="PASSWORD", help="the hq_admin's first password (default: random)")
    parser.add_argument("--sms-gateway-url", metavar="URL")
    parser.add_argument("--sms-gateway-key", metavar="KEY")
    parser.add_argument("--sms-gateway-secret", metavar="SECRET")
    sys.stdout.write(render(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
