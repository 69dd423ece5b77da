"""The command line: one sub-command per module in `tracking.commands`, plus `bench`.

Each command module exposes `register(subparsers)`, which adds its parser and sets
`func(args) -> int` as the default. Modules are listed here explicitly (no discovery), and
imported only when the command line runs, so importing `tracking` stays cheap.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tracking.errors import SuiviError

COMMAND_MODULES = (
    "tracking.commands.demo",
    "tracking.commands.send",
    "tracking.commands.manual",
    "tracking.commands.history",
    "tracking.commands.parse",
    "tracking.commands.ingest",
    "tracking.bench",
)


def register_all(subparsers, module_names: tuple[str, ...]) -> None:
    """Let each listed module add its sub-command; a module not (yet) present is skipped."""
    for module_name in module_names:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            continue
        module.register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tracking", description="Suivi tracking core")
    register_all(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"),
                 COMMAND_MODULES)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SuiviError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
