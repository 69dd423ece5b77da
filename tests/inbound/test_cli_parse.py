"""`python -m tracking parse FILE... --jsonl` prints the issue's fields, one line per recipient."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "data" / "bounces" / "standard"
FIELDS = {"file", "index", "kind", "recipient", "status", "status_derived", "replycode", "reason",
          "hardbounce", "diagnostic", "remote_mta", "correlation"}


def run_cli(*files: Path) -> list[dict]:
    completed = subprocess.run(
        [sys.executable, "-m", "tracking", "parse", *map(str, files), "--jsonl"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )
    return [json.loads(line) for line in completed.stdout.splitlines()]


def test_jsonl_one_line_per_recipient_and_index_zero_for_nothing_to_report():
    lines = run_cli(SAMPLES / "dsn-failure-userunknown.eml", SAMPLES / "negative-ordinary.eml",
                    SAMPLES / "arf-abuse.eml", SAMPLES / "autoreply-vacation.eml")
    failure, ordinary, complaint, vacation = lines
    assert FIELDS <= failure.keys()
    assert failure["index"] == 1 and failure["reason"] == "userunknown" and failure["hardbounce"] is True
    assert failure["correlation"]["verp_token"] == "s42r1.AbCdEf0123"
    assert ordinary["index"] == 0 and ordinary["kind"] == "not_a_bounce"
    assert complaint["reason"] == "feedback" and complaint["feedback_type"] == "abuse"
    assert complaint["hardbounce"] is False
    assert vacation["reason"] == "vacation" and vacation["recipient"] == "marie.durand@client.example.org"


def test_unreadable_file_is_reported_and_the_others_still_parsed(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "tracking", "parse", str(tmp_path / "missing.eml"),
         str(SAMPLES / "dsn-success.eml"), "--jsonl"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 1
    assert "missing.eml" in completed.stderr
    (line,) = completed.stdout.splitlines()
    assert json.loads(line)["reason"] == "delivered"


def test_bench_parse_prints_its_result_line_last_with_the_baseline_beside_it():
    """A smoke run of the benchmark command on the project's samples (no speed is asserted:
    benchmarks are commands, run on purpose; this checks the contract of the output)."""
    completed = subprocess.run(
        [sys.executable, "-m", "tracking", "bench", "parse", "--json", "--rounds", "1", "--corpus", str(SAMPLES)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=True,
    )
    last = json.loads(completed.stdout.strip().splitlines()[-1])
    assert (last["bench"], last["unit"]) == ("parse", "msg/s")
    assert last["value"] > 0 and last["baseline"] > 0
    assert abs(last["ratio"] - last["value"] / last["baseline"]) < 0.002
    assert last["messages"] == len(list(SAMPLES.glob("*.eml"))) + 1  # the mbox sample holds two
    assert 0 < last["peak_rss_mb_before"] <= last["peak_rss_mb_after"]
