"""Bounded work per message: cut hostile input short before the stdlib parser sees it.

A returned message is data from outside; its shape must not decide how long we work on it.
The stdlib FeedParser spends ~20 µs per MIME part and recurses once per nested multipart
or message/* part (200,000 flat parts took 8.8 s; a thousand nested ones exhaust Python's
recursion limit, and so would walking such a tree). Real bounces hold a handful of parts, two or three levels deep, a few dozen header
lines and a few recipients, so the limits below are far above anything a mail server writes.

Each cut keeps the beginning of the message — where the notice and the delivery-status
report are — and is recorded as a defect: malformed input is data, it never raises.

Normal input pays one `bytes.count` of line ends (the deeper checks run only when a cheap
count is already high), so `bench parse` does not move.
"""

from __future__ import annotations

import re

MAX_BYTES = 50_000_000          # a 20 MB attachment returned whole must still be read
MAX_DELIMITER_LINES = 1_000     # `--boundary` lines: MIME parts (a bounce has 2 to 5)
MAX_CONTAINERS = 250            # multipart/* and message/* parts: each can nest another level
                                # (measured: 600 levels still parse; the recursion limit is 1000)
MAX_BLANK_LINES = 20_000        # blank lines: each delivery-status block (one per recipient)
                                # becomes a Message in the stdlib parser, ~30 µs apiece
MAX_HEADER_LINES = 5_000        # lines of the top-level header block (folded lines count)
MAX_RECIPIENTS = 10_000         # reported recipients per message (RFC 5321 §4.5.3.1.8: 100
                                # per transaction is the minimum a server must accept)
MAX_DIAGNOSTIC_CHARS = 4_000    # one recipient's diagnostic: a notice line naming every
                                # recipient must not be copied whole into each of them
MAX_KEY_CHARS = 998             # a correlation key is one header value (RFC 5322 §2.1.1)

# A Content-Type that opens a container: the stdlib parser recurses into each one.
_CONTAINER_TYPE = re.compile(rb"content-type:\s{0,20}(?:multipart|message)\s{0,5}/", re.IGNORECASE)


def bound_input(raw: bytes) -> tuple[bytes, tuple[str, ...]]:
    """`raw` cut to the limits, with one defect per limit that cut it. Each line-based limit
    is looked at only when the message has more lines than that limit allows for (one
    `bytes.count` of line ends, ~1 µs on a bounce)."""
    defects: list[str] = []
    if len(raw) > MAX_BYTES:
        raw = raw[:MAX_BYTES]
        defects.append(_cut(f"message larger than {MAX_BYTES} bytes"))
    has_cr = b"\r" in raw
    if has_cr and raw.count(b"\r") - raw.count(b"\r\n") > _FEWEST_LINES_TO_CHECK:
        # many bare CRs: the stdlib parser ends a line at a lone CR too (as at CRLF and LF),
        # so the line-based limits must see them as line ends; the parse itself reads the
        # same. (A few stray CRs, seen in real bounces, cannot reach any limit.)
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        defects.append("bare CR line ends (forbidden by RFC 5322 §2.3) read as line ends")
    lines = raw.count(b"\n")
    if lines <= _FEWEST_LINES_TO_CHECK:
        return raw, tuple(defects)
    for limit, bound in ((MAX_HEADER_LINES, _bound_header_lines), (MAX_BLANK_LINES, _bound_blank_lines)):
        if lines > limit:
            raw, defect = bound(raw)
            if defect:
                defects.append(defect)
    # a part (or a nesting level) needs a delimiter line or a blank line after its header
    if raw.count(b"\n--") > _FEWEST_LINES_TO_CHECK or _blank_lines(raw, has_cr) > MAX_CONTAINERS:
        raw, defect = _bound_structure(raw)
        if defect:
            defects.append(defect)
    return raw, tuple(defects)


# Up to this many lines no limit can be reached: a container part needs at least two lines (its
# Content-Type and the blank line after its header), a delimiter, header or blank line one.
_FEWEST_LINES_TO_CHECK = min(MAX_DELIMITER_LINES, 2 * MAX_CONTAINERS, MAX_HEADER_LINES, MAX_BLANK_LINES)


def _bound_header_lines(raw: bytes) -> tuple[bytes, str]:
    ends = [where for where in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if where >= 0]
    end = min(ends) if ends else len(raw)
    if raw.count(b"\n", 0, end) <= MAX_HEADER_LINES:
        return raw, ""
    cut = _nth(raw, b"\n", MAX_HEADER_LINES, 0, end)
    return raw[:cut] + raw[end:], _cut(f"more than {MAX_HEADER_LINES} header lines; the rest of the header skipped")


def _blank_lines(raw: bytes, has_cr: bool = True) -> int:
    return raw.count(b"\n\n") + (raw.count(b"\n\r\n") if has_cr else 0)


def _bound_blank_lines(raw: bytes) -> tuple[bytes, str]:
    lf, crlf = raw.count(b"\n\n"), raw.count(b"\n\r\n")
    if lf + crlf <= MAX_BLANK_LINES:
        return raw, ""
    needle = b"\n\n" if lf >= crlf else b"\n\r\n"
    cut = _nth(raw, needle, MAX_BLANK_LINES + 1, 0, len(raw)) + 1
    return raw[:cut], _cut(f"more than {MAX_BLANK_LINES} blank lines")


def _bound_structure(raw: bytes) -> tuple[bytes, str]:
    """Cut before the delimiter line or the container part over the limit, whichever comes
    first."""
    cuts: list[tuple[int, str]] = []
    if raw.count(b"\n--") > MAX_DELIMITER_LINES:
        cuts.append((_nth(raw, b"\n--", MAX_DELIMITER_LINES + 1, 0, len(raw)) + 1,
                     f"more than {MAX_DELIMITER_LINES} MIME part delimiters"))
    for count, match in enumerate(_CONTAINER_TYPE.finditer(raw), start=1):
        if count > MAX_CONTAINERS:
            cuts.append((raw.rfind(b"\n", 0, match.start()) + 1,
                         f"more than {MAX_CONTAINERS} multipart or message parts"))
            break
    if not cuts:
        return raw, ""
    where, why = min(cuts)
    return raw[:where], _cut(why)


def _nth(raw: bytes, needle: bytes, n: int, start: int, end: int) -> int:
    """Position of the n-th (1-based) occurrence of `needle` in raw[start:end]."""
    where = start - 1
    for _ in range(n):
        where = raw.find(needle, where + 1, end)
        if where < 0:
            return end
    return where


def _cut(why: str) -> str:
    return f"reading limit reached: {why}; the rest of the message was not read"


def bound_recipients(findings: list, defects: list[str]) -> list:
    """The first MAX_RECIPIENTS findings, with a defect when more were reported."""
    if len(findings) <= MAX_RECIPIENTS:
        return findings
    defects.append(f"reading limit reached: more than {MAX_RECIPIENTS} recipients; "
                   f"the first {MAX_RECIPIENTS} of {len(findings)} kept")
    return findings[:MAX_RECIPIENTS]
