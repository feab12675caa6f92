#!/usr/bin/env python3
"""The layering of ../shared/ARCHITECTURE.md, checked: every module of Sources/ has a layer in
LAYERS below; a module may depend on (Package.swift) and import (every `import` line of its
Swift files) only modules of a lower rank. Fails, naming the file and line, on an upward or
sideways import, on a C module imported outside the wrapper layer, on what a domain module
must not import, and on a module missing from the table.

Usage: scripts/check-layers.sh [ROOT]   (ROOT: a checkout; default: this repository)
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

# Module -> rank. The integer part is ARCHITECTURE.md's layer; a fraction orders modules of one
# layer that build on each other (Messages on ProtoCodec, ServiceKitStore on ServiceKit).
# Departures from ARCHITECTURE.md (README, "Layout"): Messages sits with the wrappers because
# its conversions touch protobuf-c's C structs; NetIO wraps sockets and epoll (CLinux).
LAYERS: dict[str, float] = {
    # 1. C shims: module map + shim header, and the protoc-c output.
    "CNGHTTP2": 1, "CLinux": 1, "CLibPQ": 1, "COpenSSL": 1, "CXSCProto": 1, "CCairo": 1,
    # 2. Safe wrappers: the only importers of the C modules.
    "HTTP2": 2, "NetIO": 2, "LibPQ": 2, "TLS": 2, "ProtoCodec": 2, "Messages": 2.1, "PDF": 2,
    # 3. Runtime.
    "RPC": 3, "Postgres": 3, "CodeGen": 3, "HTTPClient": 3,
    # 4. Generated API.
    "ServiceAPI": 4,
    # 5. ServiceKit and, beside it, the shared domain kit; the platform store and host on them.
    "ServiceKit": 5, "DomainKit": 5, "ServiceKitStore": 5.1, "ServiceHost": 5.2,
    # 6. Domain modules (one per service; Interop is the conformance test service).
    "Interop": 6, "Gateway": 6, "Orders": 6, "Customers": 6, "Proposals": 6, "Notifications": 6, "Settlements": 6, "Campaigns": 6,
    # 7. Executables.
    "InteropServer": 7, "InteropClient": 7, "BenchServer": 7, "OrdersBench": 7, "CodeGenTool": 7, "XscCLI": 7,
    "GatewayServer": 7, "OrdersServer": 7, "CustomersServer": 7, "ProposalsServer": 7, "NotificationsServer": 7,
    "SettlementsServer": 7, "CampaignsServer": 7, "LoadTool": 7,
}

# What no domain module imports: C, sockets, HTTP/2 framing, libpq, TLS, the protobuf-c runtime
# and the C library (ARCHITECTURE.md: "A domain module never imports another domain module, a C
# module or a transport").
DOMAIN_FORBIDDEN = {"NetIO", "HTTP2", "LibPQ", "TLS", "ProtoCodec", "Glibc", "Darwin", "CLinux"}
# Toolchain and package modules: not ours, allowed where their use is.
EXTERNAL = {"Foundation", "Glibc", "Darwin", "Dispatch", "Synchronization", "XCTest", "Crypto", "_CryptoExtras",
            "ArgumentParser", "Logging", "Histogram", "Testing", "os"}

IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][\w]*)")


def rank_name(rank: float) -> str:
    return {1: "C shim", 2: "wrapper", 3: "runtime", 4: "generated API", 5: "kit", 6: "domain", 7: "executable"}[int(rank)]


def check_edge(module: str, imported: str, where: str, problems: list[str]) -> None:
    if imported in EXTERNAL and imported not in DOMAIN_FORBIDDEN:
        return
    mine = LAYERS[module]
    if int(mine) == 6 and imported in DOMAIN_FORBIDDEN:
        problems.append(f"{where}: domain module {module} imports {imported}: domain code reaches C, sockets and "
                        f"transports only through the runtime and kits")
        return
    if imported in EXTERNAL:
        return
    if imported not in LAYERS:
        problems.append(f"{where}: {module} imports {imported}, which has no layer: add it to LAYERS in scripts/check_layers.py")
        return
    theirs = LAYERS[imported]
    if theirs == 1 and int(mine) != 2:
        problems.append(f"{where}: {module} ({rank_name(mine)}) imports the C module {imported}: only wrapper modules (layer 2) may")
    elif theirs >= mine:
        kind = "sideways" if int(theirs) == int(mine) else "upward"
        problems.append(f"{where}: {module} (layer {mine:g}, {rank_name(mine)}) imports {imported} (layer {theirs:g}, "
                        f"{rank_name(theirs)}): {kind} import")


def package_targets(root: Path) -> dict[str, tuple[list[str], int]]:
    """Target name -> (its dependencies named as strings, line of its declaration)."""
    text = (root / "Package.swift").read_text()
    targets: dict[str, tuple[list[str], int]] = {}
    for match in re.finditer(r"\.(?:target|executableTarget|systemLibrary)\(\s*name:\s*\"(\w+)\"", text):
        name = match.group(1)
        # The dependency list: the first [...] after the name, before the next target.
        rest = text[match.end():]
        end = re.search(r"\n\s*\.(?:target|executableTarget|systemLibrary|testTarget)\(", rest)
        body = rest[:end.start()] if end else rest
        deps: list[str] = []
        dep_match = re.search(r"dependencies:\s*\[(.*?)\]\s*(?:,|\))", body, re.S)
        if dep_match:
            deps = re.findall(r"^\s*\"(\w+)\"|[\[,]\s*\"(\w+)\"", dep_match.group(1), re.M)
            deps = [a or b for a, b in deps]
            deps += re.findall(r"\.product\(name:\s*\"(\w+)\"", dep_match.group(1))
        if "path: \"Tests/" in body:
            continue  # helpers of the tests (XSCTestSupport) are not part of the layering
        targets[name] = (deps, text[:match.start()].count("\n") + 1)
    return targets


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    problems: list[str] = []
    targets = package_targets(root)
    for name, (deps, line) in sorted(targets.items()):
        if name not in LAYERS:
            problems.append(f"Package.swift:{line}: target {name} has no layer: add it to LAYERS in scripts/check_layers.py")
            continue
        for dep in deps:
            check_edge(name, dep, f"Package.swift:{line} ({name})", problems)
    sources = root / "Sources"
    for module_dir in sorted(p for p in sources.iterdir() if p.is_dir()):
        module = module_dir.name
        if module not in LAYERS:
            problems.append(f"Sources/{module}: module has no layer: add it to LAYERS in scripts/check_layers.py")
            continue
        for swift in sorted(module_dir.rglob("*.swift")):
            for number, text in enumerate(swift.read_text(errors="replace").splitlines(), 1):
                match = IMPORT.match(text)
                if match:
                    check_edge(module, match.group(1), f"{swift.relative_to(root)}:{number}", problems)
    if problems:
        print("layering check failed (ARCHITECTURE.md, \"Layers\"):", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        return 1
    print(f"layering check: {len(targets)} targets and their imports follow the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
