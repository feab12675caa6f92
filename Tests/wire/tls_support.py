"""Test certificates for the TLS tests (test_tls_edge.py, test_tls_partner_http.py): a CA made
with the `openssl` command and certificates it signs."""
from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

SERVER_EXT = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
CLIENT_EXT = "extendedKeyUsage=clientAuth\n"


def openssl(*args: str, cwd) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def require_tools(*tools: str) -> None:
    for tool in tools:
        if not shutil.which(tool):
            pytest.fail(f"the {tool} command is missing (scripts/install-deps.sh installs it)")


def make_ca(folder, name: str) -> None:
    """name.pem/name.key: a self-signed CA."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=XSC test {name}",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=folder)


def issue(folder, name: str, subject: str, ca: str, extensions: str) -> None:
    """name.pem/name.key: a certificate for `subject` signed by `ca`."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", f"{name}.key", "-out", f"{name}.csr",
            cwd=folder)
    (folder / f"{name}.ext").write_text(extensions)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=folder)


def file_fingerprint(folder, name: str) -> str:
    """SHA-256 of the DER form of name.pem, lower-case hex (what a partner key is bound to)."""
    der = subprocess.run(["openssl", "x509", "-in", str(folder / f"{name}.pem"), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return hashlib.sha256(der).hexdigest()
