"""`python -m tracking parse FILE... [--jsonl]`: read bounce messages from files, print what the
parser finds — one line per reported recipient (index 1-based), or one line with index 0 and
the kind when a message reports nobody. A file saved as an mbox with several messages gives
each its `message` number (1-based; the field is present only for such files).

Output stays linear in the input: each line carries its own recipient only — its
`correlation.original_recipients` names that recipient's Original-Recipient (RFC 3464 §2.3.1),
not the whole list — and the message-wide parts repeated on every line (the keys, the
defects) are bounded in size. A DSN naming 100,000 recipients used to repeat all of them on
each of its 100,000 lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tracking.inbound.parse import parse_message, split_mailbox
from tracking.inbound.result import ParseResult


def register(subparsers) -> None:
    parser = subparsers.add_parser("parse", help="parse bounce messages (.eml files) and print the findings")
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=run)


def rows(path: str, result: ParseResult, message: int = 0) -> list[dict[str, object]]:
    """The printed records of one parsed message (the CLI's contract, see issue 3); `message` is
    its 1-based position in an mbox file holding several (0: the file is one message)."""
    common: dict[str, object] = {"file": path, "kind": result.kind.value, "detector": result.detector}
    if message:
        common["message"] = message
    keys = result.correlation.as_dict()
    originals = list(keys.pop("original_recipients", ()))
    defects = _bounded_defects(result.defects)
    if not result.recipients:
        return [{**common, "index": 0, "recipient": None,
                 "correlation": {**keys, **_originals(originals[:MAX_UNASSIGNED_ORIGINALS])}, "defects": defects}]
    records = []
    aligned = len(originals) == len(result.recipients)
    for index, report in enumerate(result.recipients, start=1):
        own = [originals[index - 1]] if aligned else [a for a in (report.recipient,) if a in originals]
        correlation = {**keys, **_originals(own)}
        record: dict[str, object] = {
            **common,
            "index": index,
            "recipient": report.recipient,
            "action": report.action,
            "status": report.status,
            "status_derived": report.status_derived,
            "replycode": report.replycode,
            "reason": report.reason.value,
            "hardbounce": report.hardbounce,
            "diagnostic": report.diagnostic,
            "remote_mta": report.remote_mta,
            "correlation": correlation,
        }
        if report.feedback_type:
            record["feedback_type"] = report.feedback_type
        if defects:
            record["defects"] = defects
        records.append(record)
    return records


MAX_DEFECTS = 20           # defects repeated on each line of a message: the first ones
MAX_DEFECT_CHARS = 300
MAX_UNASSIGNED_ORIGINALS = 20  # Original-Recipient addresses on a message's single index-0 line


def _bounded_defects(defects: tuple[str, ...]) -> list[str]:
    kept = [defect[:MAX_DEFECT_CHARS] for defect in defects[:MAX_DEFECTS]]
    if len(defects) > MAX_DEFECTS:
        kept.append(f"… and {len(defects) - MAX_DEFECTS} more defects")
    return kept


def _originals(addresses: list[str]) -> dict[str, list[str]]:
    return {"original_recipients": addresses} if addresses else {}


def run(args) -> int:
    status = 0
    for path in args.files:
        try:
            raw = path.read_bytes()
        except OSError as err:
            print(f"error: {path}: {err.strerror}", file=sys.stderr)
            status = 1
            continue
        messages = split_mailbox(raw)
        for number, message in enumerate(messages, start=1):
            for record in rows(str(path), parse_message(message), number if len(messages) > 1 else 0):
                if args.jsonl:
                    print(json.dumps(record, ensure_ascii=False))
                else:
                    print(_human(record))
    return status


def _human(record: dict[str, object]) -> str:
    where = f"{record['file']}[{record['message']}]" if "message" in record else str(record["file"])
    if record["index"] == 0:
        return f"{where}: {record['kind']} (nothing to report)"
    hard = "hard" if record["hardbounce"] else "soft"
    derived = "*" if record["status_derived"] else ""
    return (
        f"{where} #{record['index']}: {record['kind']} {record['recipient']} "
        f"{record['status']}{derived} {record['replycode'] or '-'} {record['reason']} ({hard})"
        f"  {str(record['diagnostic'])[:100]}"
    )
