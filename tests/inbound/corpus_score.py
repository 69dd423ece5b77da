"""Score the bounce parser on the shared labelled corpus (`../shared/bounce-corpus`).

Usable from tests (`score_corpus()`) and as a script:

    .venv/bin/python -m tests.inbound.corpus_score [--family Postfix] [--failures] [--corpus DIR]

Scoring follows the corpus README: per email, expected entries are matched to reported
recipients as a multiset (recipient compared case-insensitively, `recipient_alt` accepted);
an entry counts as *labels right* when status, replycode, reason and hard/soft are all equal.
Non-bounces (feedback, vacation, delivered) must never be reported as a failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from tracking.inbound.parse import parse_message, split_mailbox
from tracking.inbound.result import ParseResult, RecipientReport
from tracking.models import BounceKind

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "bounce-corpus"
NOT_BOUNCES = frozenset(("feedback", "vacation", "delivered"))
LABELS = ("status", "replycode", "reason", "hardbounce")


@dataclass
class EntryScore:
    expected: dict
    got: RecipientReport | None
    kind: str
    detector: str

    @property
    def recipient_ok(self) -> bool:
        wanted = {self.expected["recipient"]} | set(self.expected.get("recipient_alt") or ())
        got = self.got.recipient if self.got else None
        return (got.lower() if got else None) in {w.lower() if w else None for w in wanted}

    def label_ok(self, label: str) -> bool:
        if self.got is None:
            return False
        return _got_label(self.got, label) == self.expected[label]

    @property
    def labels_ok(self) -> bool:
        return all(self.label_ok(label) for label in LABELS)

    @property
    def matches_older_label(self) -> bool:
        """Wrong against the label, right against p5-sisimai 5.1.0's different (contested) one."""
        older = self.expected.get("p5_sisimai_5_1_0")
        if not isinstance(older, dict) or self.got is None:
            return False
        return all(_got_label(self.got, label) == older.get(label) for label in LABELS)

    @property
    def false_failure(self) -> bool:
        """A non-bounce sample reported as a failure (or delay)."""
        return self.expected["reason"] in NOT_BOUNCES and self.kind in (BounceKind.FAILURE, BounceKind.DELAY)


def _got_label(report: RecipientReport, label: str) -> object:
    if label == "reason":
        return report.reason.value
    return getattr(report, label)


@dataclass
class CorpusScore:
    entries: list[EntryScore] = field(default_factory=list)

    def rate(self, attribute: str, entries: list[EntryScore] | None = None) -> float:
        chosen = self.entries if entries is None else entries
        if not chosen:
            return 1.0
        return sum(1 for entry in chosen if _value(entry, attribute)) / len(chosen)

    @property
    def false_failures(self) -> list[EntryScore]:
        return [entry for entry in self.entries if entry.false_failure]

    def failures(self) -> list[EntryScore]:
        return [entry for entry in self.entries if not (entry.labels_ok and entry.recipient_ok)]


def _value(entry: EntryScore, attribute: str) -> bool:
    if attribute in LABELS:
        return entry.label_ok(attribute)
    return bool(getattr(entry, attribute))


def load_expected(corpus: Path) -> dict[str, list[dict]]:
    by_file: dict[str, list[dict]] = defaultdict(list)
    with (corpus / "expected.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                by_file[row["file"]].append(row)
    return by_file


def _pair(expected: list[dict], result: ParseResult) -> list[EntryScore]:
    """Multiset matching: exact (recipient+labels) first, then labels, then recipient, then order."""
    remaining = list(result.recipients)
    pairs: dict[int, RecipientReport | None] = {}

    def take(index: int, predicate) -> None:
        for position, report in enumerate(remaining):
            if predicate(EntryScore(expected[index], report, "", "")):
                pairs[index] = remaining.pop(position)
                return

    for predicate in (
        lambda e: e.recipient_ok and e.labels_ok,
        lambda e: e.labels_ok,
        lambda e: e.recipient_ok,
        lambda e: True,
    ):
        for index in range(len(expected)):
            if index not in pairs:
                take(index, predicate)
    kind = result.kind.value
    return [EntryScore(row, pairs.get(i), kind, result.detector) for i, row in enumerate(expected)]


def parse_file(raw: bytes) -> ParseResult:
    """One result for a corpus file: a file saved as an mbox of several messages (rfc3464-28)
    counts as one email whose recipients are those of all its messages."""
    results = [parse_message(message) for message in split_mailbox(raw)]
    if len(results) == 1:
        return results[0]
    recipients = tuple(report for result in results for report in result.recipients)
    return replace(results[0], recipients=recipients)


def score_corpus(corpus: Path = CORPUS_DIR, family: str | None = None) -> CorpusScore:
    score = CorpusScore()
    for name, expected in sorted(load_expected(corpus).items()):
        if family and expected[0]["mta"].lower() != family.lower():
            continue
        score.entries.extend(_pair(expected, parse_file((corpus / name).read_bytes())))
    return score


def _table(title: str, groups: dict[str, list[EntryScore]], score: CorpusScore) -> list[str]:
    lines = [f"{title:<18} {'n':>4} {'labels':>7} {'rcpt':>7} {'status':>7} {'reply':>7} {'reason':>7} {'hard':>7}"]
    for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        chosen = groups[key]
        cells = [score.rate(a, chosen) for a in ("labels_ok", "recipient_ok", *LABELS)]
        lines.append(f"{key:<18} {len(chosen):>4} " + " ".join(f"{100 * c:>6.1f}%" for c in cells))
    return lines


def report_lines(score: CorpusScore, failures: bool = False) -> list[str]:
    by_family: dict[str, list[EntryScore]] = defaultdict(list)
    by_reason: dict[str, list[EntryScore]] = defaultdict(list)
    for entry in score.entries:
        by_family[entry.expected["mta"]].append(entry)
        by_reason[entry.expected["reason"]].append(entry)
    lines = _table("family", by_family, score) + [""] + _table("reason", by_reason, score) + [""]
    lines.append(
        f"TOTAL {len(score.entries)} entries: labels {100 * score.rate('labels_ok'):.1f}%  "
        f"recipient {100 * score.rate('recipient_ok'):.1f}%  "
        f"false failures on non-bounces: {len(score.false_failures)}"
    )
    wrong = [entry for entry in score.entries if not entry.labels_ok]
    contested = sum(1 for entry in wrong if entry.matches_older_label)
    lines.append(f"label mismatches: {len(wrong)}, of which {contested} agree with p5-sisimai 5.1.0's (contested) label")
    if failures:
        lines.append("")
        for entry in score.failures():
            exp = entry.expected
            got = entry.got
            wanted = f"{exp['recipient']} {exp['status']} {exp['replycode']} {exp['reason']} {exp['hardbounce']}"
            found = (
                f"{got.recipient} {got.status} {got.replycode} {got.reason.value} {got.hardbounce}"
                if got else "(nothing)"
            )
            lines.append(f"{exp['file']}#{exp['index']} [{entry.kind}/{entry.detector}]\n    want {wanted}\n    got  {found}")
            if got is not None and got.diagnostic:
                lines.append(f"    diag {got.diagnostic[:200]}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", help="only this corpus `mta` (e.g. Postfix, Exim, RFC3464)")
    parser.add_argument("--failures", action="store_true", help="list each mismatching entry")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR)
    args = parser.parse_args(argv)
    if not (args.corpus / "expected.jsonl").exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    print("\n".join(report_lines(score_corpus(args.corpus, args.family), args.failures)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
