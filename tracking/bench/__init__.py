"""`python -m tracking bench <name>`: benchmarks that print their baseline beside them.

Each benchmark module exposes `register(subparsers)`; the last line a benchmark prints is one
JSON object {"bench", "unit", "value", "baseline", "ratio", ...}.
"""

from __future__ import annotations

BENCH_MODULES = (
    "tracking.bench.send",
    "tracking.bench.parse",
    "ui.bench",  # the console benchmark drives Streamlit, so it lives with the console
    "tracking.bench.ingest",
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark against its baseline")
    from tracking.cli import register_all

    register_all(parser.add_subparsers(dest="bench", required=True, metavar="BENCH"),
                 BENCH_MODULES)
