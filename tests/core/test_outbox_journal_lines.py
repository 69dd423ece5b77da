"""The journal's lines are written by hand for speed: they must be exactly what
`json.dumps(entry, separators=(",", ":"))` wrote before, and `read` must give them back, whatever
a server put in its reply (quotes, backslashes, non-ASCII, control characters)."""

from __future__ import annotations

import json
import random

from tracking.outbox_journal import OutboxJournal

_ODD = ['"', "\\", "\n", "\r", "\t", "\x00", "\x01", "\x1b", "\x7f", "é", "ß", "€", "日",
        "\u2028", "\U0001f600", "\ufffd", "/", "<", ">", "'", " ", "a", "5", "-"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_ODD) for _ in range(rng.randrange(0, 12)))


def _outcome(rng: random.Random) -> dict:
    return {"address": _text(rng) + "@example.test", "role": rng.choice(["to", "cc", "bcc"]),
            "index": rng.randrange(0, 10 ** rng.randrange(1, 12)),
            "accepted": rng.random() < 0.5, "code": rng.choice([0, 250, 421, 550]),
            "reply": rng.choice([_text(rng), "250 2.0.0 Ok: queued", ""]),
            "transient": rng.random() < 0.5, "stage": rng.choice(["data", "rcpt", "", None])}


def _lines(path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_lines_are_what_json_dumps_writes_and_read_gives_them_back(tmp_path):
    rng = random.Random(20261203)
    journal = OutboxJournal(tmp_path / "j.outbox-journal")
    journal.acquire()
    expected: list[dict] = []
    for number in range(300):
        send_id = f"send-{number}-" + _text(rng)
        outcomes = [_outcome(rng) for _ in range(rng.randrange(0, 4))]
        journal.begin(send_id)
        journal.end(send_id, outcomes)
        expected += [{"begin": send_id}, {"end": send_id, "outcomes": outcomes}]
    lines = _lines(journal.path)
    assert lines == [json.dumps(entry, separators=(",", ":")).encode() + b"\n"
                     for entry in expected]
    state = journal.read()
    assert state.begun == {entry["begin"] for entry in expected if "begin" in entry}
    assert state.ended == {entry["end"]: entry["outcomes"] for entry in expected if "end" in entry}
    journal.release()


def test_other_value_types_still_go_through_json(tmp_path):
    journal = OutboxJournal(tmp_path / "j.outbox-journal")
    journal.acquire()
    outcome = {"code": 1.5, "reply": ["a", {"b": None}], "accepted": True, "n": -3}
    journal.end("s", [outcome])
    assert _lines(journal.path) == [b'{"end":"s","outcomes":[' +
                                    json.dumps(outcome, separators=(",", ":")).encode() + b"]}\n"]
    assert journal.read().ended == {"s": [outcome]}
    journal.release()
