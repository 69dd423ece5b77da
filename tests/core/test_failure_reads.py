"""The Failures page's reads (`failure_summary`, `failing_deliveries`) say what a plain recount
of the deliveries says, on random data and on both engines: whole days (the `delivery_counts`
rollup) and a period off whole days (the deliveries), with an account, a scope, and more
failing domains than the top 20 shown, ties at the cut included."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.core.conftest import seed
from tracking.labels import reason_group
from tracking.models import DeliveryState, RecipientRole, SendingMode
from tracking.records import Delivery, Send
from tracking.store import console_queries as q
from tracking.store import box, delivery_counts, writes

pytestmark = pytest.mark.engines("duckdb", "postgres")

START = datetime(2026, 11, 1)
DAYS = 6
FAILED = {DeliveryState.NOT_SENT, DeliveryState.NOT_DELIVERED}
# Mixed case on purpose: the domain is the lower-cased part after the @.
DOMAINS = [f"d{n:02d}.test" for n in range(30)] + ["Gmail.com", "gmail.com", "ORANGE.fr"]
REASONS = [None, "userunknown", "mailboxfull", "hostunknown", "blocked",
           "550 a raw reply kept by an older version"]


@pytest.fixture
def random_db(db):
    """~300 sends over DAYS days, in every mode's account, recipients in random states."""
    documents = seed(db, documents_per_account=4)
    rng = random.Random(12)
    reasons = []
    with db.transaction() as cursor:
        for n in range(300):
            mode = rng.choice([SendingMode.RELAY, SendingMode.RELAY_OWN_ADDRESS,
                               SendingMode.SMTP])
            at = START + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
            send_id = f"send-{n:03d}"
            send = Send(send_id, rng.choice(documents[mode]), f"acct-{mode}", mode,
                        at.replace(tzinfo=UTC), "tester", None, None, send_id, "done")
            writes.insert_send(cursor, send)
            recipients = []
            for idx in range(rng.randint(1, 3)):
                state = rng.choice(list(DeliveryState))
                recipients.append(Delivery(
                    send_id=send_id, idx=idx, address=f"r{idx}@{rng.choice(DOMAINS)}",
                    role=RecipientRole.TO, verp_token=None, state=state,
                    state_at=(at + timedelta(minutes=rng.randrange(90))).replace(tzinfo=UTC)))
                reasons.append((rng.choice(REASONS) if state in FAILED else None, send_id, idx))
            writes.insert_deliveries(cursor, recipients, [send])
        # The ledger sets reasons from events; here they are set directly and recounted.
        for reason, send_id, idx in reasons:
            if reason is not None:
                cursor.execute("UPDATE deliveries SET reason = ? WHERE send_id = ? AND idx = ?",
                               [reason, send_id, idx])
        delivery_counts.rebuild(cursor)
        # Resent long after: their numbers are not among the latest documents'.
        for mode in (SendingMode.RELAY, SendingMode.SMTP):
            cursor.execute("UPDATE documents SET issue_date = ? WHERE id = ?",
                           [date(2025, 1, 6), documents[mode][0]])
    return db


def _recipients(cursor, since: datetime, until: datetime, account_id=None, scope=None):
    rows = cursor.execute(
        """SELECT s.mode, s.account_id, x.address, x.state, x.reason, s.requested_at,
                  x.state_at, s.document_id, x.send_id, x.idx
           FROM deliveries x JOIN sends s ON s.id = x.send_id""").fetchall()
    return [row for row in rows if since <= row[5] < until
            and account_id in (None, row[1]) and (scope is None or row[1] in scope)]


def _ranked(counts: dict, top: int | None = None) -> list[tuple]:
    """(key, failures, total) most failures first, ties by key (a missing key last)."""
    rows = sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0] is None, kv[0] or ""))
    return [(key, failures, total) for key, (failures, total) in rows][:top]


def _recount(rows) -> dict:
    """The summary by its definition, one recipient at a time."""
    def count(key_of) -> dict:
        counts: dict = {}
        for row in rows:
            failures, total = counts.get(key_of(row), (0, 0))
            counts[key_of(row)] = (failures + (row[3] in FAILED), total + 1)
        return counts

    total = len(rows)
    reasons = {key: value for key, value in count(lambda r: r[4]).items() if value[0]}
    groups: dict = {}
    for reason, (failures, _) in reasons.items():
        group = str(reason_group(reason) or "unknown")
        groups[group] = (groups.get(group, (0, 0))[0] + failures, total)
    day_totals = count(lambda r: r[5].replace(hour=0, minute=0, second=0, microsecond=0))
    by_day: dict = {}
    for row in rows:
        if row[3] in FAILED:
            key = (row[5].replace(hour=0, minute=0, second=0, microsecond=0),
                   str(reason_group(row[4]) or "unknown"))
            by_day[key] = by_day.get(key, 0) + 1
    domains = {key: value for key, value in
               count(lambda r: r[2].split("@")[1].lower()).items() if value[0]}
    return {
        "total": total, "failures": sum(row[3] in FAILED for row in rows),
        "by_reason": [(r, str(reason_group(r) or "unknown"), f, f / total)
                      for r, f, _ in _ranked(reasons)],
        "by_group": [(g, f, f / total) for g, f, _ in _ranked(groups)],
        "by_domain": [(d, f, t, f / t) for d, f, t in _ranked(domains, 20)],
        "by_mode": [(m, f, t, f / t) for m, f, t in _ranked(count(lambda r: r[0]))],
        "by_account": [(a, f"Compte {a.removeprefix('acct-')}", f, t, f / t)
                       for a, f, t in _ranked(count(lambda r: r[1]))],
        "by_day": [(day, group, f, day_totals[day][1], f / day_totals[day][1])
                   for (day, group), f in sorted(by_day.items())],
    }


def _as_rows(summary: q.FailureSummary) -> dict:
    def rows(frame):
        return [tuple(None if value != value else value for value in row)   # NaN: missing
                for row in frame.itertuples(index=False)]
    return {"total": summary.total, "failures": summary.failures,
            **{part: rows(getattr(summary, part)) for part in (
                "by_reason", "by_group", "by_domain", "by_mode", "by_account", "by_day")}}


PERIODS = {"whole days": (START + timedelta(days=1), START + timedelta(days=DAYS - 1)),
           "off whole days": (START + timedelta(days=1, hours=5),
                              START + timedelta(days=DAYS - 1, minutes=7))}
FILTERS = {"everything": {}, "one account": {"account_id": f"acct-{SendingMode.RELAY}"},
           "a scope": {"scope": frozenset({f"acct-{SendingMode.SMTP}",
                                           f"acct-{SendingMode.RELAY_OWN_ADDRESS}"})}}


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("filters", FILTERS)
def test_the_failure_summary_equals_a_recount_of_the_deliveries(random_db, period, filters):
    cursor = random_db.cursor()
    since, until = PERIODS[period]
    expected = _recount(_recipients(cursor, since, until, **FILTERS[filters]))
    assert expected["failures"] > 0
    if filters == "everything":   # the top 20 cuts something, and ties sit at the cut
        assert len(expected["by_domain"]) == 20
    assert _as_rows(q.failure_summary(cursor, since, until, **FILTERS[filters])) == expected


def test_an_empty_period_gives_empty_tables_with_their_columns(random_db):
    empty = q.failure_summary(random_db.cursor(), datetime(2025, 1, 1), datetime(2025, 1, 2))
    assert (empty.total, empty.failures) == (0, 0)
    assert list(empty.by_domain.columns) == ["domain", "failures", "total", "rate"]
    assert list(empty.by_day.columns) == ["day", "group", "failures", "total", "rate"]
    assert all(frame.empty for frame in (empty.by_reason, empty.by_group, empty.by_mode,
                                         empty.by_account, empty.by_day))


@pytest.mark.parametrize("period", PERIODS)
def test_the_failing_deliveries_are_the_newest_failures_with_their_documents(random_db,
                                                                            period):
    cursor = random_db.cursor()
    since, until = PERIODS[period]
    numbers = dict(cursor.execute("SELECT id, number FROM documents").fetchall())
    failed = sorted((row for row in _recipients(cursor, since, until) if row[3] in FAILED),
                    key=lambda row: (-row[5].timestamp(), row[8], row[9]))
    for limit in (7, 1000):
        chosen = q.failing_deliveries(cursor, since, until, limit=limit)
        assert list(zip(chosen["document_number"], chosen["recipient"])) == [
            (numbers[row[7]], row[2]) for row in failed[:limit]]
        assert chosen["account"].notna().all()


def test_the_domains_each_account_reached_equal_a_recount_read_at_once_or_one_by_one(
        random_db):
    """The Failures page's suggestions read every account's reached domains at once; the
    resend form one account's: both say what the deliveries say (most reached first, ties by
    name, the top `limit`)."""
    cursor = random_db.cursor()
    rows = _recipients(cursor, datetime(2000, 1, 1), datetime(2100, 1, 1))
    accounts = sorted({row[1] for row in rows})
    expected = {}
    for account in accounts:
        reached: dict[str, int] = {}
        for mode, owner, address, state, *_ in rows:
            if owner == account and (state == DeliveryState.DELIVERED or (
                    state == DeliveryState.SENT and mode == SendingMode.SMTP)):
                domain = address.split("@")[1].lower()
                reached[domain] = reached.get(domain, 0) + 1
        expected[account] = [domain for domain, _ in sorted(
            reached.items(), key=lambda kv: (-kv[1], kv[0]))][:5]
    assert all(expected.values())
    assert box.delivered_domains_by_account(cursor, [*accounts, "acct-none"], limit=5) == {
        **expected, "acct-none": []}
    for account in accounts:
        assert box.delivered_domains(cursor, account, limit=5) == expected[account]
