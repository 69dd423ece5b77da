"""The parser scored on the shared labelled corpus (../shared/bounce-corpus), with the issue's
targets. Prints the per-family and per-reason tables so a regression shows where."""

from __future__ import annotations

import pytest

from tests.inbound.corpus_score import report_lines, score_corpus

pytestmark = pytest.mark.corpus

LABELS_TARGET = 0.98  # issue 9 target; 0.984 (440/447) measured on this branch
RECIPIENT_TARGET = 0.99


@pytest.fixture(scope="module")
def score(shared_corpus):
    result = score_corpus(shared_corpus)
    print("\n" + "\n".join(report_lines(result)))
    return result


def test_every_labelled_email_was_scored(score):
    assert len(score.entries) == 447


def test_all_four_labels_right_for_96_percent(score):
    assert score.rate("labels_ok") >= LABELS_TARGET, "\n".join(report_lines(score, failures=True)[-80:])


def test_recipient_right_for_99_percent(score):
    assert score.rate("recipient_ok") >= RECIPIENT_TARGET


def test_no_failure_for_vacation_feedback_or_delivered(score):
    assert [entry.expected["file"] for entry in score.false_failures] == []


def test_no_detector_leaves_reference_cycles_behind(shared_corpus):
    """Memory stays flat and the parser fast only if each parsed tree is freed with its result
    (every detector's caches included): no cyclic garbage after parsing the whole corpus."""
    import gc

    from tracking.inbound.parse import parse_message

    messages = [path.read_bytes() for path in sorted((shared_corpus / "emails").glob("*.eml"))]
    gc.collect()
    gc.disable()
    try:
        for raw in messages:
            parse_message(raw)
        assert gc.collect() == 0
    finally:
        gc.enable()
