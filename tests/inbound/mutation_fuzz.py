"""Mutation fuzzing of the bounce parser over real messages.

Mutates the project's own samples (`tests/data/bounces`) and, when present, the shared corpus
(`../shared/bounce-corpus`, read in place, never copied) with a deterministic seed, and checks
two promises of `parse_message`:

1. no internal error ever escapes into the result (a `parser failure: …` defect means an
   exception was caught: the message came back `undecodable` because of our bug, not its
   bytes), and every string of the result can be written as UTF-8;
2. the recipients found in the unmutated message are still found when the mutation did not
   touch them: "local" mutations (byte flips, NULs, 8-bit bytes, long runs) applied only to
   body lines of the returned original that are no header field, no MIME delimiter, not blank
   and name no recipient (see `neutral_lines`).

The test suite runs a small budget (a few seconds); a larger run is this script:

    .venv/bin/python -m tests.inbound.mutation_fuzz --budget 100000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tracking.commands.parse import rows
from tracking.inbound.parse import parse_message
from tracking.inbound.result import ParseResult

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / "tests" / "data" / "bounces"
CORPUS_DIR = REPO_ROOT.parent / "shared" / "bounce-corpus" / "emails"

_FIELD_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9\-]{0,60}[ \t]*:")
_SNIPPETS = (
    b"=?utf-8?b?", b"=?x-unknown?q?=ff?=", b"\xff\xfe", b"\xc3\xa9", b"\xe9\xe8", b'"', b"<", b">",
    b"\\", b";", b"charset*=utf-8''%e9", b'; charset="utf-16"', b"=?utf-16?b?AAA=?=", b"\r",
    b"; boundary*=utf-8''%ff", b"rfc822; ", b"\x00", b"\x1b$B",
)


@dataclass(frozen=True)
class Problem:
    source: str
    mutation: str
    seed: int
    what: str


# ---- mutations that may touch anything: only "no internal error" is checked ----------------

def _flip_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 30)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _truncate(raw: bytes, rng: random.Random) -> bytes:
    return raw[: rng.randrange(len(raw))]


def _insert_nuls(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 10)):
        data.insert(rng.randrange(len(data)), 0)
    return bytes(data)


def _boundaries(raw: bytes, rng: random.Random) -> bytes:
    lines = raw.split(b"\n")
    delimiters = [i for i, line in enumerate(lines) if line.startswith(b"--")]
    if not delimiters:
        return _truncate(raw, rng)
    where = rng.choice(delimiters)
    choice = rng.randrange(3)
    if choice == 0:
        del lines[where]                       # a part delimiter removed
    elif choice == 1:
        lines.insert(where, lines[where])      # duplicated: an empty part
    else:
        lines[where] = lines[where] + b"--"    # closed too early
    return b"\n".join(lines)


def _fold_damage(raw: bytes, rng: random.Random) -> bytes:
    lines = raw.split(b"\n")
    where = rng.randrange(len(lines))
    if lines[where][:1] in (b" ", b"\t"):
        lines[where] = lines[where].lstrip()   # a continuation line becomes a header of its own
    else:
        lines[where] = b" " + lines[where]     # a header line becomes a continuation
    return b"\n".join(lines)


def _eight_bit_headers(raw: bytes, rng: random.Random) -> bytes:
    head_end = raw.find(b"\n\n")
    where = rng.randrange(max(1, head_end if head_end > 0 else min(len(raw), 2000)))
    return raw[:where] + rng.choice(_SNIPPETS) + raw[where:]


def _huge_line(raw: bytes, rng: random.Random) -> bytes:
    where = rng.randrange(len(raw))
    return raw[:where] + rng.choice((b"x", b"a@", b"5.", b" ", b"=")) * rng.randint(1_000, 60_000) + raw[where:]


def _swap_lines(raw: bytes, rng: random.Random) -> bytes:
    lines = raw.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _nest_deep(raw: bytes, rng: random.Random) -> bytes:
    """The message wrapped in thousands of container levels (the stdlib parser recurses)."""
    wrapper = rng.choice((b"Content-Type: message/rfc822\n\n", b"Content-Type: MESSAGE/global\r\n\r\n",
                          b'Content-Type: multipart/mixed; boundary="n"\n\n--n\n'))
    return wrapper * rng.randint(200, 1_500) + raw


def _many_parts(raw: bytes, rng: random.Random) -> bytes:
    """Thousands of tiny parts after the first delimiter line (the per-part cost)."""
    lines = raw.split(b"\n")
    delimiters = [i for i, line in enumerate(lines) if line.startswith(b"--")]
    if not delimiters:
        return _nest_deep(raw, rng)
    delimiter = lines[delimiters[0]].rstrip(b"-\r")
    filler = (delimiter + b"\nContent-Type: text/plain\n\nx\n") * rng.randint(300, 3_000)
    where = delimiters[-1]
    return b"\n".join(lines[:where]) + b"\n" + filler + b"\n".join(lines[where:])


ANYWHERE: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "flip": _flip_bytes, "truncate": _truncate, "nul": _insert_nuls, "boundary": _boundaries,
    "folding": _fold_damage, "8bit-header": _eight_bit_headers, "huge-line": _huge_line,
    "swap-lines": _swap_lines, "nest-deep": _nest_deep, "many-parts": _many_parts,
}


# ---- local mutations away from everything that carries a recipient ------------------------

def neutral_lines(raw: bytes, recipients: list[str]) -> list[tuple[int, int]]:
    """(start, end) of lines no parser should need for the recipients: the body lines of the
    returned original (after a message/rfc822 or text/rfc822-headers part starts) that are
    not blank, not a header field or its continuation, not a MIME delimiter and name no
    recipient. The notice is left alone: its wording is how text detectors recognise an MTA
    (flipping a byte in "This message was created automatically by mail delivery software"
    rightly changes the reading)."""
    spans: list[tuple[int, int]] = []
    names = [r.encode() for r in recipients]
    in_header, returned = True, False
    start = 0
    for line in raw.split(b"\n"):
        end = start + len(line)
        stripped = line.strip()
        lowered = line.lower()
        if in_header and lowered.startswith(b"content-type:") and _RETURNED_TYPES.search(lowered):
            returned = True
        if not stripped:
            in_header = False
        elif line.startswith(b"--"):
            in_header = True
        elif returned and not in_header and not _FIELD_LINE.match(line) and line[:1] not in (b" ", b"\t") \
                and not any(name in lowered for name in names):
            spans.append((start, end))
        start = end + 1
    return spans


_RETURNED_TYPES = re.compile(rb"message/(?:rfc822|global)|text/rfc822-headers")


def mutate_locally(raw: bytes, spans: list[tuple[int, int]], rng: random.Random) -> tuple[str, bytes]:
    start, end = rng.choice(spans)
    where = rng.randrange(start, end)
    kind = rng.choice(("flip", "nul", "8bit", "long-run"))
    if kind == "flip":
        return kind, raw[:where] + bytes([rng.choice(_SAFE_BYTES)]) + raw[where + 1:]
    if kind == "nul":
        return kind, raw[:where] + b"\x00" + raw[where:]
    if kind == "8bit":
        return kind, raw[:where] + bytes(rng.randrange(128, 256) for _ in range(rng.randint(1, 12))) + raw[where:]
    return kind, raw[:where] + b"x" * rng.randint(100, 5_000) + raw[where:]


# a flip must not create a line break, a delimiter or a field: those are not local
_SAFE_BYTES = [b for b in range(256) if b not in b"\r\n-:@<>;\"\\="]


# ---- the checks ----------------------------------------------------------------------------

def internal_errors(result: ParseResult) -> list[str]:
    found = [d for d in result.defects if d.startswith("parser failure")]
    try:
        for record in rows("fuzz", result):
            json.dumps(record, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, TypeError, ValueError) as err:
        found.append(f"result not writable as UTF-8 JSON: {type(err).__name__}: {err}"[:300])
    return found


def sources(include_corpus: bool = True, corpus: Path = CORPUS_DIR) -> list[Path]:
    files = sorted(SAMPLES_DIR.rglob("*.eml"))
    if include_corpus and corpus.is_dir():
        files += sorted(corpus.glob("*.eml"))
    return files


def run(budget: int, seed: int, files: list[Path] | None = None) -> tuple[list[Problem], Counter]:
    """`budget` mutated messages spread over `files` (round robin, in a seeded order); half
    anywhere (internal errors), half local (internal errors and recipients kept)."""
    files = files if files is not None else sources()
    rng = random.Random(seed)
    order = files[:]
    rng.shuffle(order)
    problems: list[Problem] = []
    counts: Counter = Counter()
    originals: dict[Path, tuple[bytes, list[str]]] = {}
    for n in range(budget):
        path = order[n % len(order)]
        if path not in originals:
            raw = path.read_bytes()
            originals[path] = (raw, [r.recipient for r in parse_message(raw).recipients if r.recipient])
        raw, recipients = originals[path]
        if not raw:
            continue
        case_seed = rng.randrange(2**32)
        case_rng = random.Random(case_seed)
        spans = neutral_lines(raw, recipients) if n % 2 else []
        if spans:
            name, mutated = mutate_locally(raw, spans, case_rng)
            name = "local-" + name
        else:
            name = case_rng.choice(sorted(ANYWHERE))
            mutated = ANYWHERE[name](raw, case_rng)
        counts[name] += 1
        result = parse_message(mutated)
        where = str(path.relative_to(REPO_ROOT.parent) if REPO_ROOT.parent in path.parents else path)
        problems.extend(Problem(where, name, case_seed, what) for what in internal_errors(result))
        if spans:
            found = {r.recipient for r in result.recipients}
            lost = [r for r in recipients if r not in found]
            if lost:
                problems.append(Problem(where, name, case_seed, f"recipients lost: {lost}"))
    return problems, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=20_000, help="mutated messages to parse")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-corpus", action="store_true", help="the project's samples only")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="the corpus emails directory")
    args = parser.parse_args(argv)
    problems, counts = run(args.budget, args.seed, sources(not args.no_corpus, args.corpus))
    print(json.dumps({"messages": sum(counts.values()), "by_mutation": counts, "problems": len(problems)}))
    for problem in problems[:200]:
        print(f"{problem.source} {problem.mutation} seed={problem.seed}: {problem.what}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
