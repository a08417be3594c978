"""The core must stay usable without a terminal or a remote: no UI or remote libraries.

Each module is imported in a fresh interpreter, so one module pulling in textual cannot
hide behind another test having imported it already.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tropconsole
import tropconsole.core

FORBIDDEN = ("textual", "rich", "paramiko", "libvirt", "libvirtmod")
CORE_MODULES = sorted(
    f"tropconsole.core.{m.name}" for m in pkgutil.iter_modules(tropconsole.core.__path__)
)

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps(loaded))
"""


def loaded_after_import(module: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"importing {module} failed:\n{done.stderr}"
    return set(json.loads(done.stdout))


def test_core_modules_were_found() -> None:
    assert {"tropconsole.core.models", "tropconsole.core.netxml"} <= set(CORE_MODULES)


@pytest.mark.parametrize("module", ["tropconsole.core", *CORE_MODULES])
def test_core_module_imports_no_ui_or_remote_library(module: str) -> None:
    assert loaded_after_import(module).isdisjoint(FORBIDDEN)


def test_the_probe_would_notice_textual() -> None:
    assert "textual" in loaded_after_import("textual")


# The console's start-up path: what it imports before the first frame. The fleet source
# (paramiko, libvirt), the reservation service and netaddr come later, in the poll worker.
STARTUP_MODULES = ("tropconsole.cli.console", "tropconsole.ui.app", "tropconsole.ui.screens.main")
NOT_AT_STARTUP = ("paramiko", "libvirt", "libvirtmod", "netaddr")

PROBE_FULL = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(sys.modules)))
"""


def test_the_console_start_up_path_leaves_the_heavy_imports_to_the_poll_worker() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE_FULL, *STARTUP_MODULES],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert {name.split(".")[0] for name in loaded}.isdisjoint(NOT_AT_STARTUP)
    assert "tropconsole.core.service" not in loaded
    assert "tropconsole.core.drift" not in loaded
    assert "textual" in loaded  # the probe did import the console
    assert "tropconsole.view.build" not in loaded  # the row builders: the poll worker's


# The console's row models: plain data, no Textual or Rich (a cell is text or
# (text, style name); the table widget makes the Rich Text when it paints).
import tropconsole.view  # noqa: E402

VIEW_MODULES = sorted(
    f"tropconsole.view.{m.name}" for m in pkgutil.iter_modules(tropconsole.view.__path__)
)


def test_view_modules_were_found() -> None:
    assert {"tropconsole.view.common", "tropconsole.view.leases"} <= set(VIEW_MODULES)


@pytest.mark.parametrize("module", ["tropconsole.view", *VIEW_MODULES])
def test_view_module_imports_no_ui_or_remote_library(module: str) -> None:
    assert loaded_after_import(module).isdisjoint(FORBIDDEN)


# No import loop among the console's modules: every import counts, at the top, inside a
# function or under ``if TYPE_CHECKING:`` (a loop there still ties the modules together).
PACKAGE_ROOT = Path(tropconsole.__file__).resolve().parent
GRAPHED = ("ui", "view")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(files: dict[str, str]) -> dict[str, set[str]]:
    """Module -> the modules among ``files`` (name -> source) it imports."""
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, source in files.items():
        for node in ast.walk(ast.parse(source)):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.rsplit(".", node.level)[0]
                    base = f"{anchor}.{base}" if base else anchor
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            graph[name] |= {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def console_sources() -> dict[str, str]:
    files = {}
    for sub in GRAPHED:
        for path in sorted((PACKAGE_ROOT / sub).rglob("*.py")):
            files[module_name(path)] = path.read_text(encoding="utf-8")
    return files


def test_the_ui_and_view_modules_import_each_other_in_one_direction() -> None:
    files = console_sources()
    assert "tropconsole.ui.app" in files and "tropconsole.view.common" in files
    assert cycles(import_graph(files)) == []


def test_the_loop_check_would_notice_a_loop_under_type_checking() -> None:
    files = {
        "pkg.a": "from pkg.b import B\n",
        "pkg.b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import C\n",
        "pkg.c": "def f():\n    from pkg import a\n",
        "pkg": "",
    }
    assert cycles(import_graph(files)) == [["pkg.a", "pkg.b", "pkg.c"]]
