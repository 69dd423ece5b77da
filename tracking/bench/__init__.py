"""`python -m tracking bench <name>`: benchmarks that print their baseline beside them.

Each benchmark module exposes `register(subparsers)`; the last line a benchmark prints is one
JSON object {"bench", "unit", "value", "baseline", "ratio", ...}.
"""

from __future__ import annotations

import importlib

BENCH_MODULES = (
    "tracking.bench.send",
    "tracking.bench.parse",
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark against its baseline")
    benches = parser.add_subparsers(dest="bench", required=True, metavar="BENCH")
    for module_name in BENCH_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name != module_name:
                raise
            continue
        module.register(benches)
