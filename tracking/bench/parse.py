"""`python -m tracking bench parse [--json] [--corpus DIR] [--rounds N]`: bounce parser speed.

Parses every message of the corpus several times with `parse_message`, and in the same run the
baseline — the stdlib `email.message_from_bytes` (compat32) over the same bytes — so the ratio
compares like with like on this machine. Also reports peak RSS before and after the timed
rounds: memory must stay flat whatever the number of messages.

The timing runs in a fresh interpreter (`python -m tracking.bench.parse`) that imports the
parser and nothing else: the command line imports every command's module (the store, pandas…),
and that heap would show in the RSS figure and slow the garbage collector's passes during the
timed rounds, measuring the CLI rather than the parser.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "bounce-corpus"


def register(subparsers) -> None:
    parser = subparsers.add_parser("parse", help="bounce parser throughput vs stdlib email parsing")
    _add_arguments(parser)
    parser.set_defaults(func=run)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result line as JSON only")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the corpus (default 5)")


def run(args) -> int:
    """Run the measurement in a clean child interpreter and relay what it prints."""
    command = [sys.executable, "-m", "tracking.bench.parse", "--corpus", str(args.corpus), "--rounds", str(args.rounds)]
    if args.json:
        command.append("--json")
    # the child finds this same `tracking` package wherever the command was started from
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
    completed = subprocess.run(command, check=False, capture_output=True, text=True, env=env)
    sys.stdout.write(completed.stdout)
    sys.stderr.write(completed.stderr)
    return completed.returncode


def load_messages(corpus: Path) -> list[bytes]:
    """The messages of the corpus (an mbox file counts each message it holds)."""
    from tracking.inbound.parse import split_mailbox

    folder = corpus / "emails" if (corpus / "emails").is_dir() else corpus
    return [message for path in sorted(folder.glob("*.eml")) for message in split_mailbox(path.read_bytes())]


def _rates(functions: tuple, messages: list[bytes], rounds: int) -> list[float]:
    """Best-of-rounds messages per second of each function (the least disturbed pass). The
    passes alternate between the functions, so a burst of load on the machine falls on both
    rather than on whichever happened to be running."""
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for index, function in enumerate(functions):
            started = time.perf_counter()
            for raw in messages:
                function(raw)
            best[index] = min(best[index], time.perf_counter() - started)
    return [len(messages) / elapsed if elapsed > 0 else 0.0 for elapsed in best]


def _peak_rss_mb() -> float:
    """Peak resident memory of this process. Linux's VmHWM (/proc/self/status) is this
    process's own peak; `ru_maxrss` would still include the parent's, whose image a forked
    child inherits before exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure(corpus: Path, rounds: int, as_json: bool) -> int:
    from tracking.inbound.parse import parse_message

    messages = load_messages(corpus)
    if not messages:
        print(f"error: no .eml files under {corpus}", file=sys.stderr)
        return 2
    rounds = max(1, rounds)
    for raw in messages:  # warm-up: imports, regex compilation, caches
        parse_message(raw)
    rss_before = _peak_rss_mb()
    baseline, value = _rates((message_from_bytes, parse_message), messages, rounds)
    rss_after = _peak_rss_mb()
    result = {
        "bench": "parse",
        "unit": "msg/s",
        "value": round(value, 1),
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 3) if baseline else 0.0,
        "messages": len(messages),
        "rounds": rounds,
        "peak_rss_mb_before": round(rss_before, 1),
        "peak_rss_mb_after": round(rss_after, 1),
    }
    if not as_json:
        print(f"{len(messages)} messages x {rounds} rounds (clean interpreter: parser only)")
        print(f"parse_message: {value:,.0f} msg/s; stdlib compat32 baseline: {baseline:,.0f} msg/s")
        print(f"peak RSS {rss_before:.1f} MB before the timed rounds, {rss_after:.1f} MB after")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="python -m tracking.bench.parse", description=__doc__.splitlines()[0])
    _add_arguments(_parser)
    _args = _parser.parse_args()
    raise SystemExit(measure(_args.corpus, _args.rounds, _args.json))
