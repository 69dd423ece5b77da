"""The command line: one sub-command per module in `tracking.commands`, plus `bench`.

Each command module exposes `register(subparsers)`, which adds its parser and sets
`func(args) -> int` as the default. The modules are imported here by plain `import` statements
and listed explicitly: a missing one fails at once, loudly, and the import contract
(`.importlinter`) sees every dependency. Only `python -m tracking` imports this module, so
importing `tracking` stays cheap.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from tracking import bench
from tracking.commands import demo, history, ingest, manual, parse, send, serve, store, users
from tracking.errors import SuiviError

COMMAND_MODULES: tuple[ModuleType, ...] = (demo, send, manual, history, parse, ingest, users,
                                           serve, store, bench)


def register_all(subparsers, modules: tuple[ModuleType, ...]) -> None:
    """Let each listed module add its sub-command."""
    for module in modules:
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
