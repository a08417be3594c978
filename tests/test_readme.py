"""The README is a newcomer's first page: it must stay short and true."""

from __future__ import annotations

import re
from pathlib import Path

from tropconsole.cli import build_parser, subcommands
from tropconsole.remote.inventory import load_inventory

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_it_starts_with_the_two_commands_ci_runs() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["bash scripts/dev demo", "bash scripts/dev test"]
    assert "exec bash scripts/dev test" in (ROOT / ".ci" / "run").read_text()


def test_it_stays_under_10_kb() -> None:
    assert len(README.encode("utf-8")) < 10_000


def test_it_shows_the_committed_screenshot() -> None:
    assert "](docs/console.svg)" in README
    assert (ROOT / "docs" / "console.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")


def test_the_cli_table_lists_every_command() -> None:
    table = {m.group(1) for m in re.finditer(r"^\| `([a-z][a-z-]*)", README, re.M)}
    missing = sorted(set(subcommands(build_parser())) - table)
    assert not missing, f"README's command table lacks: {', '.join(missing)}"


def test_the_inventory_example_loads(tmp_path: Path) -> None:
    block = README.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "inventory.toml"
    path.write_text(block, encoding="utf-8")
    inv = load_inventory(path)
    assert inv.repo == "/var/local/projects/heliodines/git"
    assert inv.host_names[:2] == ("trop01", "trop02")


def _bound_keys() -> set[str]:
    """Every key any screen or widget of the console binds (found by walking the ui
    package, so moving a screen to another module does not break this)."""
    import importlib
    import inspect
    import pkgutil

    import tropconsole.ui as ui

    keys: set[str] = set()
    for info in pkgutil.walk_packages(ui.__path__, "tropconsole.ui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            for binding in getattr(cls, "BINDINGS", ()):
                key = binding.key if hasattr(binding, "key") else binding[0]
                keys.update(k.strip() for k in key.split(","))
    return keys


def test_the_tour_names_only_real_keys() -> None:
    tour = README.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    names = {"/": "slash", "?": "question_mark", "Esc": "escape", "↑": "up", "↓": "down"}
    names |= {"PgUp": "pageup", "PgDn": "pagedown", "Home": "home", "End": "end"}
    names |= {"←": "left", "→": "right", "ctrl+p": "ctrl+p", "ctrl+s": "ctrl+s"}
    cited: set[str] = set()
    for cell in re.findall(r"`([^`]+)`", tour):
        for word in cell.replace("\u2013", " ").split():
            if (len(word) == 1 and word.isalnum()) or word in names:
                cited.add(names.get(word, word))
    for first, last in re.findall(r"`(\d)`\u2013`(\d)`", tour):  # a range of view keys
        cited.update(str(n) for n in range(int(first), int(last) + 1))
    cited.discard("ctrl+p")  # Textual's own command palette
    must = {"1", "5", "8", "u", "h", "slash", "r", "a", "d", "f", "e", "q", "question_mark"}
    assert must <= cited
    missing = sorted(cited - _bound_keys())
    assert not missing, f"the README's tour names keys nothing binds: {missing}"
