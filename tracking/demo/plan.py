"""The demo's decisions, as numpy columns: who, what, when — no text yet, no Python row loops.

Everything random comes from one seeded `numpy.random.Generator`, drawn in a fixed order, so
a seed and an anchor time give the same database every time. Text (names, numbers, replies,
ids) is written later, in SQL, from these integer columns and the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracking.demo import catalogue as cat
from tracking.demo import scenarios as sc
from tracking.demo.calendar import DAY, MICROS, Calendar
from tracking.models import SendingMode

MODES = tuple(SendingMode)
RESEND_WINDOW = 3 * DAY                  # tracking.service.RESEND_WINDOW
NO_TIME = np.iinfo(np.int64).max


@dataclass
class Plan:
    calendar: Calendar
    clients: dict[str, np.ndarray]
    addresses: dict[str, np.ndarray]
    documents: dict[str, np.ndarray]
    sends: dict[str, np.ndarray]
    deliveries: dict[str, np.ndarray]
    steps: dict[str, np.ndarray]
    edits: dict[str, np.ndarray]


def user_numbers() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every actor's login, and each account's first user number and user count."""
    logins, first, count = [], [], []
    for account in cat.ACCOUNTS:
        first.append(len(logins))
        count.append(len(account.users))
        logins.extend(login for login, _ in account.users)
    logins.extend(login for login, _ in cat.OPERATORS)
    return logins, np.array(first), np.array(count)


def make_plan(documents: int, seed: int, calendar: Calendar) -> Plan:
    rng = np.random.default_rng(seed)
    clients = _clients(rng, max(7 * 6, documents // 20))
    addresses, address_start, address_count = _addresses(rng, clients)
    docs = _documents(rng, documents, clients, calendar)
    first = _first_sends(rng, docs, calendar)
    first_outcome = sc.plan_deliveries(rng, _online(first), addresses, address_start,
                                       address_count, None, calendar.now)
    _mark_handed(first, first_outcome)
    resends, corrected = _resends(rng, docs, first, first_outcome, addresses, calendar)
    resend_outcome = sc.plan_deliveries(rng, _online(resends), addresses, address_start,
                                        address_count, corrected, calendar.now)
    _mark_handed(resends, resend_outcome)
    sends = {key: np.concatenate([first[key], resends[key]]) for key in first}
    deliveries = {key: np.concatenate([first_outcome.deliveries[key],
                                       resend_outcome.deliveries[key]])
                  for key in first_outcome.deliveries}
    steps = {key: np.concatenate([first_outcome.steps[key], resend_outcome.steps[key]])
             for key in first_outcome.steps}
    edits = _edits(rng, docs, sends, calendar)
    _statuses(rng, docs, sends, edits, calendar.now)
    return Plan(calendar, clients, addresses, docs, sends, deliveries, steps, edits)


def _clients(rng, n: int) -> dict[str, np.ndarray]:
    weights = np.array([a.weight for a in cat.ACCOUNTS])
    counts = np.maximum(6, np.round(n * weights / weights.sum()).astype(int))
    account_no = np.repeat(np.arange(len(cat.ACCOUNTS)), counts)
    n = len(account_no)
    return {"client_no": np.arange(n), "account_no": account_no,
            "form": rng.integers(0, 8, n), "surname": rng.integers(0, 40, n),
            "surname2": rng.integers(0, 40, n), "trade": rng.integers(0, 1 << 16, n),
            "start": np.cumsum(counts) - counts}


def _addresses(rng, clients) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    n_clients = len(clients["client_no"])
    count = rng.choice([1, 2, 3], size=n_clients, p=[0.55, 0.33, 0.12])
    start = np.cumsum(count) - count
    client_no = np.repeat(np.arange(n_clients), count)
    n = len(client_no)
    position = np.arange(n) - start[client_no]
    # `to` first, then `cc` — the order tracking.service gives a send's recipients.
    cc = (position == 2) | ((position == 1) & (rng.random(n) >= 0.3))
    fate = rng.choice(len(sc.FATE_SHARES), size=n, p=sc.FATE_SHARES)
    local_kind = np.where(rng.random(n) < np.where(position == 0, 0.5, 0.15), 0,
                          rng.choice([1, 2], size=n, p=[0.6, 0.4]))
    domain_kind = np.where(fate == sc.BAD_DOMAIN, 2, (rng.random(n) < 0.4).astype(int))
    webmail = rng.integers(0, 8, n)
    company_host = rng.integers(0, len(cat.COMPANY_HOSTS), n)
    english = np.array([a.language == "en" for a in cat.ACCOUNTS])[clients["account_no"]][client_no]
    host_keys = [h.key for h in cat.MAIL_HOSTS]
    webmail_host = np.array([[host_keys.index(h) for _, h in cat.WEBMAIL[lang]]
                             for lang in ("fr", "en")])
    company = np.array([host_keys.index(h) for h in cat.COMPANY_HOSTS])[company_host]
    host_no = np.where(domain_kind == 0, company,
                       np.where(domain_kind == 1, webmail_host[english.astype(int), webmail], -1))
    return ({"address_no": np.arange(n), "client_no": client_no, "position": position,
             "cc": cc, "fate": fate, "local_kind": local_kind,
             "role_word": rng.integers(0, 8, n), "first": rng.integers(0, 24, n),
             "last": rng.integers(0, 40, n), "domain_kind": domain_kind, "webmail": webmail,
             "typo": rng.integers(0, len(cat.TYPO_DOMAINS), n), "host_no": host_no},
            start, count)


def _documents(rng, n: int, clients, calendar: Calendar) -> dict[str, np.ndarray]:
    weights = np.array([a.weight for a in cat.ACCOUNTS])
    account_no = rng.choice(len(weights), size=n, p=weights / weights.sum())
    first_client = np.array([clients["client_no"][clients["account_no"] == a][0]
                             for a in range(len(weights))])
    per_account = np.bincount(clients["account_no"], minlength=len(weights))
    client_no = first_client[account_no] + (rng.random(n) * per_account[account_no]).astype(int)
    shares = np.array([k[1] for k in cat.KINDS])
    kind_no = rng.choice(len(shares), size=n, p=shares / shares.sum())
    # More documents lately: the business grows.
    back = (cat.HISTORY_DAYS * rng.random(n) ** 1.3).astype(np.int64)
    back = calendar.weekend_to_friday(account_no, back)
    seconds = rng.uniform(8 * 3600, 18.5 * 3600, n)
    issued = calendar.at(account_no, back, seconds)
    late = issued > calendar.now
    back = np.where(late, back + 1, back)
    issued = np.where(late, calendar.at(account_no, back, seconds), issued)
    medians = np.array([k[4] for k in cat.KINDS])[kind_no]
    scale = np.array([cat.CURRENCY_SCALE[a.currency] for a in cat.ACCOUNTS])[account_no]
    amount = medians * scale * np.exp(0.8 * rng.standard_normal(n))
    whole = np.array([a.currency == "JPY" for a in cat.ACCOUNTS])[account_no]
    amount = np.where(whole, np.round(amount, 0), np.round(amount, 2))
    return {"doc_no": np.arange(n), "account_no": account_no, "client_no": client_no,
            "kind_no": kind_no, "issued": issued, "issue_back": back, "amount": amount}


def _first_sends(rng, docs, calendar: Calendar) -> dict[str, np.ndarray]:
    n = len(docs["doc_no"])
    account_no = docs["account_no"]
    fresh = docs["issued"] > calendar.now - 2 * DAY
    wants = rng.random(n) < np.where(fresh, 0.6, 0.94)
    days_later = rng.choice([0, 1, 2, 3, 6], size=n, p=[0.58, 0.2, 0.1, 0.05, 0.07])
    same_day = docs["issued"] + (np.clip(1200 * np.exp(rng.standard_normal(n)), 30, 4 * 3600)
                                 * MICROS).astype(np.int64)
    later_back = calendar.weekend_to_friday(account_no, np.maximum(docs["issue_back"] - days_later, 0))
    later = calendar.at(account_no, later_back, rng.uniform(8 * 3600, 18 * 3600, n))
    requested = np.where(days_later == 0, same_day, np.maximum(later, same_day))
    # A few documents issued and sent in the last hour, while the outbox is paused.
    recent = rng.choice(n, size=min(n, max(3, n // 2500)), replace=False)
    docs["issued"][recent] = calendar.now - (rng.uniform(25, 60, len(recent)) * 60 * MICROS
                                             ).astype(np.int64)
    docs["issue_back"][recent] = calendar.days_back(account_no[recent], docs["issued"][recent])
    requested[recent] = calendar.now - (rng.uniform(1, 19, len(recent)) * 60 * MICROS
                                        ).astype(np.int64)
    wants[recent] = True
    sent = wants & (requested <= calendar.now)
    rows = np.flatnonzero(sent)
    mode_no = _account_modes()[account_no[rows]]
    manual = (mode_no == MODES.index(SendingMode.MANUAL)) | (rng.random(len(rows)) < 0.04)
    mode_no = np.where(manual, MODES.index(SendingMode.MANUAL), mode_no)
    return _send_columns(rng, docs, rows, requested[rows], mode_no,
                         _account_user(rng, account_no[rows]), np.full(len(rows), -1),
                         calendar.now, start=0)


def _send_columns(rng, docs, rows, requested, mode_no, actor_no, previous, now, start):
    n = len(rows)
    relay = np.isin(mode_no, [MODES.index(SendingMode.RELAY),
                              MODES.index(SendingMode.RELAY_OWN_ADDRESS)])
    online = mode_no != MODES.index(SendingMode.MANUAL)
    trouble = online & (rng.random(n) < np.where(relay, 0.002, 0.012))
    old_enough = requested < now - DAY
    interrupted = online & ~trouble & old_enough & (rng.random(n) < 0.002)
    return {"send_no": start + np.arange(n), "doc_no": docs["doc_no"][rows],
            "account_no": docs["account_no"][rows], "client_no": docs["client_no"][rows],
            "mode_no": mode_no, "relay": relay, "online": online, "requested": requested,
            "actor_no": actor_no, "previous": previous,
            "forced": (previous >= 0) & (requested - previous <= RESEND_WINDOW) & online,
            "note_no": rng.integers(0, 5, n), "trouble": trouble,
            "trouble_recovers": rng.random(n) < 0.7,
            "trouble_error": rng.choice([cat.TRANSIENT_421, cat.TRANSIENT_TIMEOUT,
                                         cat.TRANSIENT_LOST], size=n),
            "interrupted": interrupted, "handed": np.zeros(n, dtype=bool)}


def _account_modes() -> np.ndarray:
    return np.array([MODES.index(a.mode) for a in cat.ACCOUNTS])


def _account_user(rng, account_no: np.ndarray) -> np.ndarray:
    """Each account's first user does half the work; the others share the rest."""
    _, first, count = user_numbers()
    n = len(account_no)
    other = 1 + (rng.random(n) * (count[account_no] - 1)).astype(int)
    return first[account_no] + np.where(rng.random(n) < 0.5, 0, other)


def _online(sends) -> dict[str, np.ndarray]:
    rows = sends["online"]
    return {key: values[rows] for key, values in sends.items()}


def _mark_handed(sends, outcome: sc.Outcome) -> None:
    sends["handed"][np.flatnonzero(sends["online"])] = outcome.handed_over


def _resends(rng, docs, first, outcome: sc.Outcome, addresses, calendar: Calendar):
    """After a failure, about half the documents are sent again: online to a corrected
    address, or by hand. A resend within three days needs the force flag."""
    steps = outcome.steps
    failing = np.isin(steps["type"], ["recipient_refused", "dsn_failed"])
    send_no, at = steps["send_no"][failing], steps["at"][failing]
    failed_at = np.full(len(first["send_no"]), NO_TIME)
    np.minimum.at(failed_at, send_no, at)
    gap = (np.clip(72000 * np.exp(rng.standard_normal(len(failed_at))), 900, 8 * 86400)
           * MICROS).astype(np.int64)
    when = np.where(failed_at < NO_TIME, failed_at, 0) + gap
    chosen = (failed_at < NO_TIME) & (rng.random(len(failed_at)) < 0.5) & (when <= calendar.now)
    rows = np.flatnonzero(chosen)
    doc_rows = first["doc_no"][rows]
    operators = len(user_numbers()[0]) - len(cat.OPERATORS) + rng.integers(
        0, len(cat.OPERATORS), len(rows))
    actor = np.where(rng.random(len(rows)) < 0.35, operators,
                     _account_user(rng, first["account_no"][rows]))
    mode_no = np.where(rng.random(len(rows)) < 0.25, MODES.index(SendingMode.MANUAL),
                       first["mode_no"][rows])
    resends = _send_columns(rng, docs, doc_rows, when[rows], mode_no, actor,
                            first["requested"][rows], calendar.now, start=len(first["send_no"]))
    # Addresses that failed in the first send: support corrects dead ones before resending.
    deliveries = outcome.deliveries
    failed_delivery = np.isin(deliveries["send_no"] * 64 + deliveries["idx"],
                              send_no * 64 + steps["idx"][failing])
    corrected = (first["doc_no"][deliveries["send_no"][failed_delivery]]
                 * len(addresses["fate"]) + deliveries["address_no"][failed_delivery])
    return resends, np.unique(corrected)


def _edits(rng, docs, sends, calendar: Calendar) -> dict[str, np.ndarray]:
    """Send-date edits by hand: after the last send (the date it really left, often the day
    before), or on a document never sent online (posted, recorded afterwards)."""
    n = len(docs["doc_no"])
    last_send = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_send, sends["doc_no"], sends["requested"])
    sent = last_send >= 0
    pick = rng.random(n) < np.where(sent, 0.03, 0.02)
    account = docs["account_no"]
    edit_at = np.where(sent, last_send, docs["issued"]) + (np.clip(
        86400 * np.exp(rng.standard_normal(n)), 600, 10 * 86400) * MICROS).astype(np.int64)
    base_back = np.where(sent, calendar.days_back(account, np.maximum(last_send, 0)),
                         docs["issue_back"])
    shift = rng.choice([0, 1, 2, 3], size=n, p=[0.3, 0.4, 0.2, 0.1])
    back = np.where(sent, base_back + shift, np.maximum(base_back - shift, 0))
    minutes = 8 * 60 + 15 * rng.integers(0, 41, n)       # pickers give quarter hours
    new = calendar.at(account, back, minutes * 60)
    new = np.where(new > edit_at, new - DAY, new)
    keep = pick & (edit_at <= calendar.now) & (new <= edit_at)
    rows = np.flatnonzero(keep)
    operators = len(user_numbers()[0]) - len(cat.OPERATORS) + rng.integers(
        0, len(cat.OPERATORS), n)
    actor = np.where(rng.random(n) < 0.3, operators, _account_user(rng, account))
    return {"doc_no": rows, "at": edit_at[rows], "old": last_send[rows], "new": new[rows],
            "actor_no": actor[rows]}


def _statuses(rng, docs, sends, edits, now: int) -> None:
    """Final status and "Date d'envoi au client" of every document."""
    n = len(docs["doc_no"])
    last_send = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_send, sends["doc_no"], sends["requested"])
    send_date = last_send.copy()
    send_date[edits["doc_no"]] = edits["new"]
    payable = np.isin(docs["kind_no"], [0, 3])            # invoices and reminders get paid
    paid = (last_send >= 0) & payable & (last_send < now - 20 * DAY) & (rng.random(n) < 0.6)
    status = np.where(last_send >= 0, "sent", np.where(rng.random(n) < 0.2, "draft", "issued"))
    status = np.where(paid, "paid", status)
    status = np.where(rng.random(n) < 0.015, "cancelled", status)
    docs["status"] = status.astype(object)
    docs["send_date"] = send_date
