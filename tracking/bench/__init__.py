"""`python -m tracking bench <name>`: benchmarks that print their baseline beside them.

Each benchmark module exposes `register(subparsers)`; the last line a benchmark prints is one
JSON object {"bench", "unit", "value", "baseline", "ratio", ...}.

The console benchmark drives Streamlit, so it lives with the console and has its own entry
point, `python -m ui.bench`: the core never imports `ui`.
"""

from __future__ import annotations

from tracking.bench import ingest, parse, send

BENCH_MODULES = (send, parse, ingest)


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="run a benchmark against its baseline "
                                                 "(the console's: python -m ui.bench)")
    bench_parsers = parser.add_subparsers(dest="bench", required=True, metavar="BENCH")
    for module in BENCH_MODULES:
        module.register(bench_parsers)
