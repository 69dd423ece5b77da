"""What happens to each recipient of a demo send: a scenario, then its events' times (numpy).

A scenario is the list of events one delivery goes through after `send_requested`, exactly as
the outbox (`tracking.outbox`) and the bounce reader record them. Which scenario a recipient
gets depends on the sending mode — only relay modes hear back from the recipient's side
(DESIGN §3) — and on the address's *fate*: a dead mailbox bounces every time, a mistyped
domain never resolves, a strict server blocks us now and then. Events later than "now" are
cut off, so the newest sends are naturally still `pending` or `sent`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracking.demo import catalogue as cat
from tracking.demo.calendar import DAY, MICROS
from tracking.models import EventType as E

GOOD, DEAD, BAD_DOMAIN, FULL, AWAY, COMPLAINER, STRICT = range(7)
FATE_SHARES = (0.84, 0.05, 0.03, 0.025, 0.035, 0.005, 0.015)

SCENARIOS: dict[str, tuple[tuple[E, str], ...]] = {
    "delivered": ((E.RECIPIENT_ACCEPTED, "outcome"), (E.DSN_DELIVERED, "dsn_success")),
    # Many receiving servers never send a positive DSN: the delivery stays `sent`.
    "accepted": ((E.RECIPIENT_ACCEPTED, "outcome"),),
    "failed": ((E.RECIPIENT_ACCEPTED, "outcome"), (E.DSN_FAILED, "dsn_failure")),
    "delayed_delivered": ((E.RECIPIENT_ACCEPTED, "outcome"), (E.DSN_DELAYED, "delay"),
                          (E.DSN_DELIVERED, "after_delay")),
    "delayed_expired": ((E.RECIPIENT_ACCEPTED, "outcome"), (E.DSN_DELAYED, "delay"),
                        (E.DSN_FAILED, "expiry")),
    "late_failure": ((E.RECIPIENT_ACCEPTED, "outcome"), (E.DSN_DELIVERED, "dsn_success"),
                     (E.DSN_FAILED, "late")),
    "autoreply": ((E.RECIPIENT_ACCEPTED, "outcome"), (E.DSN_DELIVERED, "dsn_success"),
                  (E.AUTOREPLY_RECEIVED, "autoreply")),
    "complaint": ((E.RECIPIENT_ACCEPTED, "outcome"), (E.DSN_DELIVERED, "dsn_success"),
                  (E.COMPLAINT_RECEIVED, "complaint")),
    "refused": ((E.RECIPIENT_REFUSED, "outcome"),),
    "retried_delivered": ((E.SEND_ATTEMPT_FAILED, "attempt1"), (E.RECIPIENT_ACCEPTED, "outcome"),
                          (E.DSN_DELIVERED, "dsn_success")),
    "retried_accepted": ((E.SEND_ATTEMPT_FAILED, "attempt1"), (E.RECIPIENT_ACCEPTED, "outcome")),
    "retries_exhausted": ((E.SEND_ATTEMPT_FAILED, "attempt1"), (E.SEND_ATTEMPT_FAILED, "attempt2"),
                          (E.RECIPIENT_REFUSED, "outcome")),
    # The process died mid-handoff; the next start reports it and never sends twice.
    "interrupted": ((E.SEND_INTERRUPTED, "restart"),),
}
NAMES = tuple(SCENARIOS)
SMTP_TIME = (E.SEND_ATTEMPT_FAILED, E.RECIPIENT_ACCEPTED, E.RECIPIENT_REFUSED, E.SEND_INTERRUPTED)

_RELAY = {
    GOOD: {"delivered": 0.755, "accepted": 0.10, "failed": 0.02, "delayed_delivered": 0.035,
           "delayed_expired": 0.005, "late_failure": 0.008, "autoreply": 0.035,
           "complaint": 0.002, "refused": 0.004, "retried_delivered": 0.03,
           "retries_exhausted": 0.006},
    DEAD: {"failed": 0.88, "refused": 0.07, "accepted": 0.05},
    BAD_DOMAIN: {"failed": 0.85, "refused": 0.15},
    FULL: {"failed": 0.45, "delayed_expired": 0.15, "delayed_delivered": 0.15, "delivered": 0.25},
    AWAY: {"autoreply": 0.55, "delivered": 0.45},
    COMPLAINER: {"complaint": 0.35, "delivered": 0.65},
    STRICT: {"failed": 0.5, "delivered": 0.4, "delayed_delivered": 0.1},
}
_SMTP_GOOD = {"accepted": 0.95, "retried_accepted": 0.035, "refused": 0.009,
              "retries_exhausted": 0.006}
_SMTP = {GOOD: _SMTP_GOOD, FULL: _SMTP_GOOD, AWAY: _SMTP_GOOD, COMPLAINER: _SMTP_GOOD,
         STRICT: _SMTP_GOOD, DEAD: {"refused": 0.35, "accepted": 0.65},
         BAD_DOMAIN: {"refused": 0.5, "retries_exhausted": 0.3, "accepted": 0.2}}

# Gaps between events, seconds: (median, spread of the log-normal, minimum, maximum).
_GAPS = {
    "dsn_success": (25, 1.2, 2, 6 * 3600), "dsn_failure": (8, 1.3, 1, 2 * 3600),
    "delay": (2400, 0.8, 600, 8 * 3600), "after_delay": (10800, 0.9, 1200, 2 * 86400),
    "late": (36000, 1.2, 1800, 5 * 86400), "autoreply": (120, 1.4, 5, 6 * 3600),
    "complaint": (72000, 1.0, 600, 10 * 86400), "restart": (1800, 1.0, 300, 3 * 3600),
}
_EXPIRY = 5 * DAY          # Postfix maximal_queue_lifetime
# The demo's outbox has been stopped for the last minutes (the console is not running): what
# was asked since is still queued, `pending`, and goes out when the console starts.
OUTBOX_PAUSE = 20 * 60 * MICROS


def _bounce(key: str) -> int:
    return next(i for i, b in enumerate(cat.FAILURES) if b.key == key)


def _delay(key: str) -> int:
    return next(i for i, b in enumerate(cat.DELAYS) if b.key == key)


def _host(key: str) -> int:
    return next(i for i, h in enumerate(cat.MAIL_HOSTS) if h.key == key)


@dataclass
class Outcome:
    deliveries: dict[str, np.ndarray]
    steps: dict[str, np.ndarray]
    handed_over: np.ndarray          # per send: the outbox took it (outcome recorded by now)


def plan_deliveries(rng: np.random.Generator, sends: dict[str, np.ndarray],
                    addresses: dict[str, np.ndarray], address_start: np.ndarray,
                    address_count: np.ndarray, corrected_pairs: np.ndarray | None,
                    now: int) -> Outcome:
    """One delivery per client address of each online send, its scenario and its events."""
    n_sends = len(sends["send_no"])
    count = address_count[sends["client_no"]]
    send_row = np.repeat(np.arange(n_sends), count)
    idx = np.arange(len(send_row)) - np.repeat(np.cumsum(count) - count, count)
    address_no = address_start[sends["client_no"]][send_row] + idx
    fate = addresses["fate"][address_no]
    corrected = np.zeros(len(send_row), dtype=bool)
    if corrected_pairs is not None:
        key = sends["doc_no"][send_row] * len(addresses["fate"]) + address_no
        corrected = np.isin(key, corrected_pairs) & np.isin(fate, (DEAD, BAD_DOMAIN))
    fate = np.where(corrected, GOOD, fate)
    relay = sends["relay"][send_row]
    scenario = _draw_scenarios(rng, relay, fate)
    _send_level_trouble(sends, send_row, scenario)

    host = addresses["host_no"][address_no]
    n = len(send_row)
    failure, delay, refusal, transient = _variants(rng, fate, host, relay, n)
    transient = np.where(sends["trouble"][send_row], sends["trouble_error"][send_row], transient)
    deliveries = {"send_no": sends["send_no"][send_row], "idx": idx, "address_no": address_no,
                  "corrected": corrected, "scenario": scenario}
    steps, handed = _steps(rng, sends, send_row, idx, scenario, failure, delay, refusal,
                           transient, now)
    return Outcome(deliveries, steps, handed)


def _draw_scenarios(rng, relay: np.ndarray, fate: np.ndarray) -> np.ndarray:
    scenario = np.zeros(len(fate), dtype=np.int16)
    for is_relay, table in ((True, _RELAY), (False, _SMTP)):
        for fate_value, shares in table.items():
            rows = np.flatnonzero((relay == is_relay) & (fate == fate_value))
            names = list(shares)
            p = np.array([shares[name] for name in names])
            picked = rng.choice(len(names), size=len(rows), p=p / p.sum())
            scenario[rows] = np.array([NAMES.index(name) for name in names])[picked]
    return scenario


def _send_level_trouble(sends, send_row, scenario) -> None:
    """Connection trouble and crashes hit a whole send, never a single recipient."""
    trouble = sends["trouble"][send_row]
    recovers = np.where(sends["relay"][send_row], NAMES.index("retried_delivered"),
                        NAMES.index("retried_accepted"))
    chosen = np.where(sends["trouble_recovers"][send_row], recovers,
                      NAMES.index("retries_exhausted"))
    scenario[trouble] = chosen[trouble]
    scenario[sends["interrupted"][send_row]] = NAMES.index("interrupted")


def _variants(rng, fate, host, relay, n):
    """Which failure, delay, refusal and temporary error each delivery would show."""
    soft = [_bounce(k) for k in ("mailboxfull", "suspend", "spamdetected", "policyviolation",
                                 "mesgtoobig", "contenterror", "systemerror", "blocked",
                                 "rejected", "filtered")]
    strict = [_bounce(k) for k in ("blocked", "spamdetected", "policyviolation", "rejected",
                                   "badreputation", "filtered")]
    dead = [_bounce(k) for k in ("userunknown",) * 8 + ("hasmoved", "suspend")]
    failure = rng.choice(soft, size=n)
    failure = np.where(fate == STRICT, rng.choice(strict, size=n), failure)
    failure = np.where(fate == DEAD, rng.choice(dead, size=n), failure)
    failure = np.where(fate == FULL, _bounce("mailboxfull"), failure)
    failure = np.where(fate == BAD_DOMAIN, _bounce("hostunknown"), failure)
    # The same fact in each provider's own words.
    gmail = np.isin(host, (_host("gmail"), _host("google_workspace")))
    microsoft = np.isin(host, (_host("outlook"), _host("m365")))
    failure = np.where(gmail & (failure == _bounce("userunknown")),
                       _bounce("userunknown_gmail"), failure)
    failure = np.where(microsoft & (failure == _bounce("userunknown")),
                       _bounce("userunknown_m365"), failure)
    failure = np.where(gmail & (failure == _bounce("mailboxfull")),
                       _bounce("mailboxfull_gmail"), failure)
    failure = np.where(microsoft & (failure == _bounce("blocked")), _bounce("blocked_m365"),
                       failure)
    delay = rng.choice([_delay(k) for k in ("delay_timeout", "delay_system",
                                            "delay_connections", "delay_full")], size=n)
    delay = np.where(fate == FULL, _delay("delay_full"), delay)
    delay = np.where(fate == STRICT, _delay("delay_rate"), delay)
    refusal = np.where(relay, cat.REFUSAL_SUPPRESSED,
                       rng.choice([cat.REFUSAL_RELAY, cat.REFUSAL_SIZE, cat.REFUSAL_SEND_AS],
                                  size=n))
    refusal = np.where(relay & (rng.random(n) < 0.3), cat.REFUSAL_SIZE, refusal)
    refusal = np.where(fate == DEAD, np.where(relay, cat.REFUSAL_SUPPRESSED, cat.REFUSAL_USER),
                       refusal)
    refusal = np.where(fate == BAD_DOMAIN, cat.REFUSAL_DOMAIN, refusal)
    transient = np.where(fate == BAD_DOMAIN, cat.TRANSIENT_DOMAIN, cat.TRANSIENT_LOOKUP)
    return failure, delay, refusal, transient


def _gap(rng, key: str, n: int) -> np.ndarray:
    median, spread, low, high = _GAPS[key]
    seconds = np.clip(median * np.exp(spread * rng.standard_normal(n)), low, high)
    return (seconds * MICROS).astype(np.int64)


def _steps(rng, sends, send_row, idx, scenario, failure, delay, refusal, transient, now):
    """Every event after the request, with its time; what lies after `now` is cut off."""
    n_sends = len(sends["send_no"])
    uses = {name: np.zeros(n_sends, dtype=bool) for name in ("attempt1", "attempt2")}
    for number, name in enumerate(NAMES):
        timings = {timing for _, timing in SCENARIOS[name]}
        rows = send_row[scenario == number]
        for timing in ("attempt1", "attempt2"):
            if timing in timings:
                uses[timing][rows] = True
    first_try = sends["requested"] + (rng.uniform(0.2, 6.0, n_sends) * MICROS).astype(np.int64)
    retry1 = np.round(rng.uniform(1.0, 2.0, n_sends), 1)     # RetryPolicy: 2 s base, doubled,
    retry2 = np.round(rng.uniform(2.0, 4.0, n_sends), 1)     # with equal jitter
    outcome = (first_try + (uses["attempt1"] * retry1 * MICROS).astype(np.int64)
               + (uses["attempt2"] * retry2 * MICROS).astype(np.int64)
               + (rng.uniform(0.05, 0.5, n_sends) * MICROS).astype(np.int64))
    handed = (outcome <= now) & (sends["requested"] < now - OUTBOX_PAUSE)
    anchors = {"attempt1": first_try, "attempt2": first_try + (retry1 * MICROS).astype(np.int64),
               "outcome": outcome}

    columns: dict[str, list[np.ndarray]] = {k: [] for k in (
        "send_no", "idx", "ord", "type", "at", "variant", "attempt", "retry_in", "exhausted")}
    for number, name in enumerate(NAMES):
        rows = np.flatnonzero(scenario == number)
        if not len(rows):
            continue
        srow = send_row[rows]
        previous = np.zeros(len(rows), dtype=np.int64)
        for order, (event_type, timing) in enumerate(SCENARIOS[name], start=1):
            if timing in anchors:
                at = anchors[timing][srow]
            elif timing == "expiry":
                at = outcome[srow] + _EXPIRY + _gap(rng, "restart", len(rows))
            elif timing == "restart":
                at = outcome[srow] + _gap(rng, "restart", len(rows))
            else:
                at = previous + _gap(rng, timing, len(rows))
            previous = at
            keep = handed[srow] & (at <= now)
            variant, attempt, retry_in, exhausted = _step_details(
                event_type, timing, rows, failure, delay, refusal, transient, retry1, retry2,
                srow, name)
            for key, values in (("send_no", sends["send_no"][srow]), ("idx", idx[rows]),
                                ("ord", np.full(len(rows), order)), ("at", at),
                                ("type", np.full(len(rows), str(event_type), dtype=object)),
                                ("variant", variant), ("attempt", attempt),
                                ("retry_in", retry_in), ("exhausted", exhausted)):
                columns[key].append(np.asarray(values)[keep])
    steps = {key: np.concatenate(parts) if parts else np.array([]) for key, parts in
             columns.items()}
    return steps, handed


def _step_details(event_type, timing, rows, failure, delay, refusal, transient, retry1, retry2,
                  srow, scenario_name):
    n = len(rows)
    attempt = np.zeros(n, dtype=np.int32)
    retry_in = np.zeros(n)
    exhausted = np.zeros(n, dtype=bool)
    variant = np.full(n, -1, dtype=np.int32)
    if event_type is E.SEND_ATTEMPT_FAILED:
        attempt[:] = 1 if timing == "attempt1" else 2
        retry_in = retry1[srow] if timing == "attempt1" else retry2[srow]
        variant = transient[rows]
    elif event_type is E.RECIPIENT_REFUSED:
        exhausted[:] = scenario_name == "retries_exhausted"
        variant = transient[rows] if scenario_name == "retries_exhausted" else refusal[rows]
    elif event_type is E.DSN_FAILED:
        variant = failure[rows]
        if timing == "expiry":
            variant = np.full(n, _bounce("expired"))
        elif timing == "late":
            late = [_bounce(k) for k in ("userunknown", "mailboxfull", "filtered", "suspend")]
            variant = np.asarray(late)[rows % len(late)]
    elif event_type is E.DSN_DELAYED:
        variant = delay[rows]
    return variant, attempt, retry_in, exhausted
