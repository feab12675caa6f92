"""Plumbing of scripts/drill.py: Python stubs generated from proto/ at run time, the drill's
own API keys (made for one run, revoked at its end, leftovers of an interrupted run found and
revoked), the development SMS provider's file, and how times, amounts and gRPC errors read.

Not a library of its own: only scripts/drill.py imports it."""
from __future__ import annotations

import importlib
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import grpc

# What drill.py needs: the services of every part of the drill and their imports.
SERVICES = ("gateway", "orders", "notifications", "customers", "proposals", "settlements")

def proto_files(proto_dir: Path) -> list[str]:
    """Every proto of those services' packages (a service's messages may live in more than one
    file, each imported by the service's own), plus the shared ones."""
    names = sorted(str(path.relative_to(proto_dir)) for name in (*SERVICES, "common")
                   for path in (proto_dir / "xsc" / name).rglob("*.proto"))
    return [*names, "google/rpc/status.proto"]


class Stubs:
    """Modules compiled by grpc_tools.protoc into `out` (a temporary folder): `common`,
    `gateway`, `orders`, `notifications`, `customers`, `proposals`, `settlements` (messages) and
    `gateway_grpc`, ... (stubs)."""

    def __init__(self, proto_dir: Path, out: Path):
        from grpc_tools import protoc
        import grpc_tools

        well_known = Path(grpc_tools.__file__).parent / "_proto"
        status = protoc.main(["grpc_tools.protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out}",
                              f"--grpc_python_out={out}", *proto_files(proto_dir)])
        if status != 0:
            raise RuntimeError(f"grpc_tools.protoc failed ({status}) on {proto_dir}")
        sys.path.insert(0, str(out))
        # `google` is an installed package: let it find the generated google.rpc too.
        google = importlib.import_module("google")
        if str(out / "google") not in list(google.__path__):
            google.__path__.append(str(out / "google"))
        self.common = importlib.import_module("xsc.common.v1.common_pb2")
        for name in SERVICES:
            setattr(self, name, importlib.import_module(f"xsc.{name}.v1.{name}_pb2"))
            setattr(self, name + "_grpc", importlib.import_module(f"xsc.{name}.v1.{name}_pb2_grpc"))


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", "Bearer " + token)]


class DrillKeys:
    """The partner and SMS-provider keys of one drill run. A key is shown only when it is made,
    so each run makes its own and revokes it at the end. The ids of keys made and not yet
    revoked are kept in a state file, so the next run revokes what an interrupted run left
    (at most two keys per partner may be active, and `xsc seed-drill` keeps one of them)."""

    def __init__(self, pb: Stubs, channel: grpc.Channel, admin: list[tuple[str, str]], state_file: Path,
                 say, timeout_s: float):
        self.pb = pb
        self.stub = pb.gateway_grpc.PartnerKeyServiceStub(channel)
        self.admin = admin
        self.state_file = state_file
        self.say = say
        self.timeout_s = timeout_s
        self.made: list[str] = []

    def _recorded(self) -> list[str]:
        try:
            return list(json.loads(self.state_file.read_text()).get("key_ids", []))
        except FileNotFoundError:
            return []
        except (ValueError, AttributeError):
            self.say(f"  (ignoring unreadable {self.state_file})")
            return []

    def _record(self, key_ids: list[str]) -> None:
        if not key_ids:
            self.state_file.unlink(missing_ok=True)
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_file.with_suffix(".tmp")
        partial.write_text(json.dumps({"key_ids": key_ids}) + "\n")
        os.replace(partial, self.state_file)

    def _revoke(self, key_id: str) -> None:
        try:
            self.stub.RevokeKey(self.pb.gateway.RevokeKeyRequest(key_id=key_id), metadata=self.admin,
                                timeout=self.timeout_s)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:  # gone already: nothing to revoke
                raise

    def _active(self, partner_id: str) -> list:
        keys = self.stub.ListKeys(self.pb.gateway.ListKeysRequest(partner_id=partner_id), metadata=self.admin,
                                  timeout=self.timeout_s).keys
        return sorted((key for key in keys if key.revoked_at_ms == 0), key=lambda key: key.created_at_ms)

    def revoke_leftovers(self, keep: dict[str, int]) -> None:
        """Revokes the keys an earlier, interrupted run recorded; then, should a drill partner
        still have more active keys than `keep` names (the state file was lost), keeps its
        oldest `keep` ones (those `xsc seed-drill` made) and revokes the newer ones, which only
        drill runs make. A partner may have two active keys."""
        recorded = self._recorded()
        for key_id in recorded:
            self._revoke(key_id)
            self.say(f"  revoked key {key_id}, left by an interrupted drill run")
        self._record([])
        for partner_id, kept in keep.items():
            active = self._active(partner_id)
            for key in active[kept:]:
                self._revoke(key.id)
                self.say(f"  revoked {partner_id}'s key {key.display_prefix}... (made {clock(key.created_at_ms)}): "
                         f"a drill run's leftover ({len(active)} active keys; the partner may have two)")

    def create(self, partner_id: str, channel: str) -> tuple[object, str]:
        made = self.stub.CreateKey(self.pb.gateway.CreateKeyRequest(partner_id=partner_id, channel=channel),
                                   metadata=self.admin, timeout=self.timeout_s)
        self.made.append(made.key.id)
        self._record(self.made)
        return made.key, made.secret

    def revoke_all(self) -> list[str]:
        """Revokes this run's keys; returns the ones it could not revoke (kept in the state file
        for the next run)."""
        failures, kept = [], []
        for key_id in self.made:
            try:
                self._revoke(key_id)
            except grpc.RpcError as error:
                failures.append(f"key {key_id}: {describe(error)}")
                kept.append(key_id)
        self.made = kept
        self._record(kept)
        return failures


class SmsFile:
    """The development SMS provider's file: one JSON line per SMS
    ({"id","to","text","segments","region","provider_id","at_ms"}), appended as they go out."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0  # only SMS sent from now on

    def new_lines(self) -> list[dict]:
        if not self.path.exists():
            return []
        if self.path.stat().st_size < self.offset:  # replaced or truncated: read it all again
            self.offset = 0
        with self.path.open("rb") as file:
            file.seek(self.offset)
            data = file.read()
        complete = data[:data.rfind(b"\n") + 1]  # a line still being written waits for the next poll
        self.offset += len(complete)
        lines = []
        for raw in complete.decode("utf-8", errors="replace").splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
        return lines

    def wait_for(self, phone: str, containing: str, timeout_s: float) -> dict | None:
        give_up = time.monotonic() + timeout_s
        while True:
            for line in self.new_lines():
                if line.get("to") == phone and containing in str(line.get("text", "")):
                    return line
            if time.monotonic() > give_up:
                return None
            time.sleep(0.2)


def until_accepted(attempt, timeout_s: float, codes=(grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)):
    """Runs `attempt` until a service stops refusing it with one of `codes`: the gateway feeds
    new accounts to the services asynchronously (its outbox), so a service may not know an
    account made a moment ago. After `timeout_s` the last refusal stands."""
    give_up = time.monotonic() + timeout_s
    while True:
        try:
            return attempt()
        except grpc.RpcError as error:
            if error.code() not in codes or time.monotonic() > give_up:
                raise
        time.sleep(0.3)


def describe(error: grpc.RpcError) -> str:
    """A gRPC failure as a person reads it: status name and message."""
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    return f"{code.name if code else 'UNKNOWN'}: {details}"


def clock(at_ms: int) -> str:
    """Local wall-clock time with milliseconds."""
    return datetime.fromtimestamp(at_ms / 1000).strftime("%H:%M:%S.%f")[:-3]


def day_and_time(at_ms: int) -> str:
    """Local date and time to the minute (a due date, days ahead)."""
    return datetime.fromtimestamp(at_ms / 1000).strftime("%Y-%m-%d %H:%M")


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d} yuan"


def seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s"
