"""The core must stay usable without a terminal or a remote: no UI or remote libraries.

Each module is imported in a fresh interpreter, so one module pulling in textual cannot
hide behind another test having imported it already.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

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
