"""``tropconsole sample-repo DIR``: make a heliodines-like repo to try the console on."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sample-repo",
        help="create a sample config repo (git) laid out like heliodines, for trop01-trop04",
        description="Create a git repo in DIR laid out like the heliodines config repo, "
        "with sample data for trop01-trop04. DIR must be new or empty.",
    )
    parser.add_argument("dir", metavar="DIR", type=Path, help="new or empty directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tropconsole.core.sample import write_sample_repo

    head = write_sample_repo(args.dir)
    print(f"sample config repo created in {args.dir} at {head}")
    return 0
