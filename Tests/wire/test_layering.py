"""The layering check (scripts/check-layers.sh) passes on this tree and fails, naming the file
and line, when an upward, sideways or fenced import is planted in a copy of it."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check-layers.sh"


def run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHECK), str(root)], capture_output=True, text=True, timeout=60)


def copy_tree(tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "Sources", copy / "Sources", ignore=shutil.ignore_patterns("*.c", "*.h"))
    shutil.copy(ROOT / "Package.swift", copy / "Package.swift")
    return copy


def plant(root: Path, relative: str, line: str) -> None:
    path = root / relative
    path.write_text(line + "\n" + path.read_text())


def test_this_tree_follows_the_layers():
    result = run(ROOT)
    assert result.returncode == 0, result.stderr
    assert "follow the layers" in result.stdout


@pytest.mark.parametrize("relative, line, expected", [
    ("Sources/RPC/API/RPCMessage.swift", "import Orders",
     "Sources/RPC/API/RPCMessage.swift:1: RPC (layer 3, runtime) imports Orders (layer 6, domain): upward import"),
    ("Sources/Orders/OrdersService.swift", "import Gateway",
     "Sources/Orders/OrdersService.swift:1: Orders (layer 6, domain) imports Gateway (layer 6, domain): sideways import"),
    ("Sources/Orders/OrdersService.swift", "import LibPQ", "Sources/Orders/OrdersService.swift:1: domain module Orders imports LibPQ"),
    ("Sources/Gateway/Flow/FirstRun.swift", "import Glibc", "Sources/Gateway/Flow/FirstRun.swift:1: domain module Gateway imports Glibc"),
    ("Sources/ServiceKit/Support/WallClock.swift", "@testable import CLibPQ",
     "Sources/ServiceKit/Support/WallClock.swift:1: ServiceKit (kit) imports the C module CLibPQ"),
    ("Sources/DomainKit/Money/Fen.swift", "import ServiceKitStore",
     "Sources/DomainKit/Money/Fen.swift:1: DomainKit (layer 5, kit) imports ServiceKitStore (layer 5.1, kit): sideways import"),
])
def test_a_planted_import_fails_with_its_file_and_line(tmp_path, relative, line, expected):
    tree = copy_tree(tmp_path)
    assert run(tree).returncode == 0
    plant(tree, relative, line)
    result = run(tree)
    assert result.returncode == 1
    assert expected in result.stderr, result.stderr


def test_a_package_dependency_and_an_unknown_module_fail(tmp_path):
    tree = copy_tree(tmp_path)
    package = tree / "Package.swift"
    package.write_text(package.read_text().replace('.target(name: "CodeGen")', '.target(name: "CodeGen", dependencies: ["ServiceKit"])'))
    (tree / "Sources" / "Mystery").mkdir()
    (tree / "Sources" / "Mystery" / "A.swift").write_text("struct A {}\n")
    result = run(tree)
    assert result.returncode == 1
    assert "(CodeGen): CodeGen (layer 3, runtime) imports ServiceKit (layer 5, kit): upward import" in result.stderr
    assert "Sources/Mystery: module has no layer" in result.stderr
