"""The plan written as the schema's rows, in bulk SQL: accounts to deliveries.

The numpy plan and the catalogue are copied into temporary tables; each statement below turns a
whole table of decisions into rows (names, addresses, numbers, ids) in one `INSERT … SELECT`.
Ids follow the real code paths: documents and sends get 32 hex digits (as `uuid4().hex`),
Message-IDs are `<suivi.<send id>@<message domain>>`, the envelope id is the send id, and in
relay modes each recipient's VERP token is signed with HMAC-SHA256 exactly as
`tracking.verp.make_token` does, computed in SQL (RFC 2104).
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pyarrow as pa

from tracking.demo import catalogue as cat
from tracking.demo.plan import MODES, Plan, user_numbers
from tracking.demo.calendar import DAY
from tracking.models import SendingMode
from tracking.reasons import explain_reply

Cursor = duckdb.DuckDBPyConnection
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def timestamps(micros: np.ndarray) -> pa.Array:
    """UTC microseconds -> naive UTC timestamps (the store's convention); negative = NULL."""
    return pa.array(micros, pa.timestamp("us"), mask=micros < 0)


def register(cursor: Cursor, name: str, columns: dict[str, object]) -> None:
    """Copy the columns into a temporary table: DuckDB spills it to disk under its memory
    limit, which an Arrow table held by Python cannot do, and the numpy plan can be freed."""
    view = f"{name}_arrow"
    cursor.register(view, pa.table(columns))
    try:
        cursor.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {view}")
    finally:
        cursor.unregister(view)


def register_catalogue(cursor: Cursor) -> None:
    accounts = cat.ACCOUNTS
    register(cursor, "cat_account", {
        "account_no": list(range(len(accounts))), "id": [a.key for a in accounts],
        "name": [a.name for a in accounts], "language": [a.language for a in accounts],
        "currency": [a.currency for a in accounts], "time_zone": [a.time_zone for a in accounts],
        "mode": [str(a.mode) for a in accounts], "number_format": [a.number_format for a in accounts],
        "smtp_host": [a.smtp_host for a in accounts],
        "accepted_reply": [a.accepted_reply for a in accounts],
        "tld": [cat.REGION_TLD[a.key] for a in accounts]})
    register(cursor, "cat_kind", {
        "kind_no": list(range(len(cat.KINDS))), "kind": [str(k[0]) for k in cat.KINDS],
        "prefix_fr": [k[2] for k in cat.KINDS], "prefix_en": [k[3] for k in cat.KINDS]})
    hosts = cat.MAIL_HOSTS
    register(cursor, "cat_host", {"host_no": list(range(len(hosts))),
                                  "mx": [h.mx for h in hosts],
                                  "delivered": [h.delivered for h in hosts]})
    host_no = {h.key: i for i, h in enumerate(hosts)}
    webmail = [(lang, i, domain, host_no[host]) for lang, rows in cat.WEBMAIL.items()
               for i, (domain, host) in enumerate(rows)]
    register(cursor, "cat_webmail", {"language": [w[0] for w in webmail],
                                     "webmail_no": [w[1] for w in webmail],
                                     "domain": [w[2] for w in webmail],
                                     "host_no": [w[3] for w in webmail]})
    known = {domain: host for rows in cat.WEBMAIL.values() for domain, host in rows}
    register(cursor, "cat_typo", {
        "typo_no": list(range(len(cat.TYPO_DOMAINS))),
        "domain": [t[0] for t in cat.TYPO_DOMAINS], "correct": [t[1] for t in cat.TYPO_DOMAINS],
        "host_no": [host_no[known[t[1]]] for t in cat.TYPO_DOMAINS]})
    for name, bounces in (("cat_failure", cat.FAILURES), ("cat_delay", cat.DELAYS)):
        register(cursor, name, {"no": list(range(len(bounces))),
                                "reason": [b.reason for b in bounces],
                                "status": [b.status for b in bounces],
                                "diagnostic": [b.diagnostic for b in bounces],
                                "remote": [b.remote for b in bounces]})
    # a refusal's reason and status come from the outbox's own classifier (explain_reply)
    refusals = [explain_reply(reply, stage) for stage, reply in cat.REFUSALS]
    transients = [explain_reply(reply, stage, code=code)
                  for code, stage, reply in cat.TRANSIENTS]
    register(cursor, "cat_refusal", {"no": list(range(len(cat.REFUSALS))),
                                     "stage": [r[0] for r in cat.REFUSALS],
                                     "reply": [r[1] for r in cat.REFUSALS],
                                     "reason": [str(e.reason) for e in refusals],
                                     "status": [e.status for e in refusals]})
    register(cursor, "cat_transient", {"no": list(range(len(cat.TRANSIENTS))),
                                       "stage": [t[1] for t in cat.TRANSIENTS],
                                       "reply": [t[2] for t in cat.TRANSIENTS],
                                       "reason": [str(e.reason) for e in transients],
                                       "status": [e.status for e in transients]})
    logins, _, _ = user_numbers()
    register(cursor, "cat_user", {"user_no": list(range(len(logins))), "login": logins})


def register_plan(cursor: Cursor, plan: Plan) -> None:
    register(cursor, "plan_client", {k: v for k, v in plan.clients.items() if k != "start"})
    register(cursor, "plan_address", plan.addresses)
    docs = plan.documents
    register(cursor, "plan_document", {
        "doc_no": docs["doc_no"], "account_no": docs["account_no"],
        "client_no": docs["client_no"], "kind_no": docs["kind_no"],
        "issued": timestamps(docs["issued"]),
        "issue_date": plan.calendar.local_dates(docs["account_no"], docs["issue_back"]),
        "amount": docs["amount"], "status": docs["status"].astype(str),
        "send_date": timestamps(docs["send_date"])})
    sends = plan.sends
    register(cursor, "plan_send", {
        "send_no": sends["send_no"], "doc_no": sends["doc_no"], "mode_no": sends["mode_no"],
        "requested": timestamps(sends["requested"]), "actor_no": sends["actor_no"],
        "previous": timestamps(sends["previous"]), "forced": sends["forced"],
        "note_no": sends["note_no"], "handed": sends["handed"]})
    register(cursor, "plan_delivery", {k: plan.deliveries[k] for k in
                                       ("send_no", "idx", "address_no", "corrected")})
    steps = plan.steps
    register(cursor, "plan_step", {
        "send_no": steps["send_no"].astype(np.int64), "idx": steps["idx"].astype(np.int32),
        "ord": steps["ord"].astype(np.int32), "type": steps["type"].astype(str),
        "occurred": timestamps(steps["at"].astype(np.int64)), "variant": steps["variant"],
        "attempt": steps["attempt"], "retry_in": steps["retry_in"],
        "exhausted": steps["exhausted"]})
    edits = plan.edits
    register(cursor, "plan_edit", {
        "doc_no": edits["doc_no"], "occurred": timestamps(edits["at"]), "old": timestamps(edits["old"]),
        "new": timestamps(edits["new"]), "actor_no": edits["actor_no"]})


def insert_reference(cursor: Cursor, now_micros: int) -> None:
    """Accounts and users: a handful of rows from the catalogue."""
    created = np.datetime64(now_micros - (cat.HISTORY_DAYS + 30) * DAY, "us").item()
    for account in cat.ACCOUNTS:
        cursor.execute("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [account.key, account.name, account.time_zone, str(account.mode),
                        account.sender_address, account.sender_name, account.language, created])
        for login, name in account.users:
            cursor.execute("INSERT INTO users (id, account_id, name, email, login, accounts) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           [login, account.key, name, f"{login}@{account.domain}", login,
                            [account.key]])
    for login, name in cat.OPERATORS:
        cursor.execute("INSERT INTO users (id, account_id, name, email, login) "
                       "VALUES (?, NULL, ?, ?, ?)",
                       [login, name, f"{login}@{cat.MESSAGE_DOMAIN}", login])


_SLUG = "trim(regexp_replace(lower(strip_accents({0})), '[^a-z0-9]+', '-', 'g'), '-')"


def insert_clients(cursor: Cursor, seed: int) -> None:
    words = {"fr_forms": list(cat.FRENCH_FORMS), "en_forms": list(cat.ENGLISH_FORMS),
             "fr_last": list(cat.FRENCH_LAST), "en_last": list(cat.ENGLISH_LAST),
             "fr_trades": list(cat.FRENCH_TRADES), "en_trades": list(cat.ENGLISH_TRADES)}
    # The company's domain: its name without the legal form, e.g. "boulangerie-martin.fr".
    bare_name = ("regexp_replace(replace(replace(replace(form, '{t}', t), '{s2}', s2), '{s}', s),"
                 r" '(SARL|SAS|EURL|Ltd|Inc\.|LLP|Co\.|Group| et | and )', ' ', 'g')")
    domain = _SLUG.format(bare_name)
    cursor.execute(f"""
        CREATE TEMP TABLE demo_client AS
        WITH w AS (
            SELECT c.client_no, a.id AS account_id, a.language, a.tld,
                   CASE a.language WHEN 'fr' THEN $fr_forms[c.form + 1]
                        ELSE $en_forms[c.form + 1] END AS form,
                   CASE a.language WHEN 'fr' THEN $fr_last[c.surname + 1]
                        ELSE $en_last[c.surname + 1] END AS s,
                   CASE a.language WHEN 'fr' THEN $fr_last[(c.surname2 + (c.surname2 = c.surname)::INT * 7) % 40 + 1]
                        ELSE $en_last[(c.surname2 + (c.surname2 = c.surname)::INT * 7) % 40 + 1] END AS s2,
                   CASE a.language WHEN 'fr' THEN $fr_trades[c.trade % len($fr_trades) + 1]
                        ELSE $en_trades[c.trade % len($en_trades) + 1] END AS t
            FROM plan_client c JOIN cat_account a USING (account_no))
        SELECT client_no, account_id, language,
               'cl-' || substr(md5('{seed}:client:' || client_no), 1, 16) AS client_id,
               replace(replace(replace(form, '{{t}}', t), '{{s2}}', s2), '{{s}}', s) AS name,
               {domain} || tld AS domain
        FROM w""", words)
    cursor.execute("""INSERT INTO clients SELECT client_id, account_id, name FROM demo_client
                      ORDER BY client_no""")


def insert_addresses(cursor: Cursor) -> None:
    roles = {"fr_roles": list(cat.ROLE_LOCALS["fr"]), "en_roles": list(cat.ROLE_LOCALS["en"]),
             "fr_first": list(cat.FRENCH_FIRST), "en_first": list(cat.ENGLISH_FIRST),
             "fr_last": list(cat.FRENCH_LAST), "en_last": list(cat.ENGLISH_LAST)}
    first = "CASE c.language WHEN 'fr' THEN $fr_first[p.first + 1] ELSE $en_first[p.first + 1] END"
    last = "CASE c.language WHEN 'fr' THEN $fr_last[p.last + 1] ELSE $en_last[p.last + 1] END"
    role = ("CASE c.language WHEN 'fr' THEN $fr_roles[(p.role_word + {0}) % 8 + 1] "
            "ELSE $en_roles[(p.role_word + {0}) % 8 + 1] END")
    cursor.execute(f"""
        CREATE TEMP TABLE demo_address AS
        WITH parts AS (
            SELECT p.*, c.client_id, c.language,
                   CASE p.local_kind WHEN 0 THEN {role.format(0)}
                        WHEN 1 THEN {_SLUG.format(first)} || '.' || {_SLUG.format(last)}
                        ELSE left({_SLUG.format(first)}, 1) || {_SLUG.format(last)} END AS local,
                   {role.format(3)} AS new_local,
                   CASE p.domain_kind WHEN 0 THEN c.domain WHEN 1 THEN wm.domain
                        ELSE ty.domain END AS domain,
                   coalesce(ty.correct, CASE p.domain_kind WHEN 0 THEN c.domain
                                             ELSE wm.domain END) AS fixed_domain,
                   coalesce(ty.host_no, p.host_no) AS fixed_host
            FROM plan_address p JOIN demo_client c USING (client_no)
            LEFT JOIN cat_webmail wm ON wm.language = c.language AND wm.webmail_no = p.webmail
            LEFT JOIN cat_typo ty ON p.domain_kind = 2 AND ty.typo_no = p.typo),
        unique_local AS (
            SELECT *, local || CASE WHEN row_number() OVER (
                           PARTITION BY client_no, local, domain ORDER BY position) > 1
                      THEN position::VARCHAR ELSE '' END AS unique_local
            FROM parts)
        SELECT u.address_no, u.client_id, u.position, u.cc, u.fate,
               u.unique_local || '@' || u.domain AS address, u.domain,
               replace(replace(h.mx, '{{domain}}', u.domain), '{{slug}}', replace(u.domain, '.', '-')) AS mx,
               h.delivered,
               CASE WHEN u.fate = 1 THEN u.new_local ELSE u.unique_local END
                   || '@' || u.fixed_domain AS fixed_address, u.fixed_domain,
               replace(replace(fh.mx, '{{domain}}', u.fixed_domain), '{{slug}}',
                       replace(u.fixed_domain, '.', '-')) AS fixed_mx,
               fh.delivered AS fixed_delivered
        FROM unique_local u
        LEFT JOIN cat_host h ON h.host_no = u.host_no
        LEFT JOIN cat_host fh ON fh.host_no = u.fixed_host""", roles)
    cursor.execute("""INSERT INTO client_addresses
                      SELECT client_id, position, address, CASE WHEN cc THEN 'cc' ELSE 'to' END
                      FROM demo_address ORDER BY address_no""")


def insert_documents(cursor: Cursor, seed: int) -> None:
    cursor.execute(f"""
        CREATE TEMP TABLE demo_document AS
        SELECT d.doc_no, md5('{seed}:document:' || d.doc_no) AS id, a.id AS account_id,
               c.client_id, k.kind, d.issue_date, d.issued, d.amount, a.currency, d.status,
               d.send_date, d.account_no, d.kind_no, a.time_zone,
               replace(replace(replace(replace(replace(a.number_format,
                   '{{p}}', CASE a.language WHEN 'fr' THEN k.prefix_fr ELSE k.prefix_en END),
                   '{{yyyy}}', strftime(d.issue_date, '%Y')), '{{yy}}', strftime(d.issue_date, '%y')),
                   '{{mm}}', strftime(d.issue_date, '%m')),
                   '{{seq}}', lpad(row_number() OVER (
                       PARTITION BY d.account_no, d.kind_no, strftime(d.issue_date, '%Y-%m')
                       ORDER BY d.issued, d.doc_no)::VARCHAR, 4, '0')) AS number
        FROM plan_document d JOIN cat_account a USING (account_no)
        JOIN cat_kind k USING (kind_no) JOIN demo_client c USING (client_no)""")
    cursor.execute("""INSERT INTO documents
                      SELECT id, account_id, client_id, kind, number, amount::DECIMAL(14, 2),
                             currency, issue_date, status, send_date, issued
                      FROM demo_document ORDER BY issued, doc_no""")  # stored as created


def insert_sends(cursor: Cursor, seed: int) -> None:
    modes = [str(mode) for mode in MODES]
    cursor.execute(f"""
        CREATE TEMP TABLE demo_send AS
        SELECT s.send_no, md5('{seed}:send:' || s.send_no) AS id, d.id AS document_id,
               d.account_id, d.account_no, d.kind_no, d.number, a.language, a.smtp_host,
               a.accepted_reply, $modes[s.mode_no + 1] AS mode, s.requested, s.previous,
               s.forced, s.note_no, s.handed, u.login AS actor
        FROM plan_send s JOIN demo_document d USING (doc_no)
        JOIN cat_account a ON a.account_no = d.account_no
        JOIN cat_user u ON u.user_no = s.actor_no""", {"modes": modes})
    cursor.execute(f"""
        INSERT INTO sends
        SELECT id, document_id, account_id, mode, requested, actor,
               CASE WHEN mode <> '{SendingMode.MANUAL}'
                    THEN '<suivi.' || id || '@{cat.MESSAGE_DOMAIN}>' END,
               CASE WHEN mode <> '{SendingMode.MANUAL}' THEN id END,
               id,
               CASE WHEN mode = '{SendingMode.MANUAL}' THEN 'none'
                    WHEN handed THEN 'done' ELSE 'queued' END
        FROM demo_send ORDER BY requested, send_no""")  # stored as requested


def create_deliveries(cursor: Cursor, verp_key: bytes) -> None:
    """The recipients of every online send, with the signed VERP token in relay modes."""
    padded = (verp_key if len(verp_key) <= 64 else hashlib.sha256(verp_key).digest()
              ).ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in padded).hex()
    outer = bytes(b ^ 0x5C for b in padded).hex()
    relay_modes = f"('{SendingMode.RELAY}', '{SendingMode.RELAY_OWN_ADDRESS}')"
    # idx < 36: its base-36 form is one character, as verp._base36 writes it.
    cursor.execute(f"""
        CREATE TEMP TABLE demo_delivery AS
        WITH d AS (
            SELECT pd.send_no, pd.idx, s.id AS send_id, s.mode, s.account_no, s.handed,
                   CASE WHEN pd.corrected THEN a.fixed_address ELSE a.address END AS address,
                   CASE WHEN pd.corrected THEN a.fixed_domain ELSE a.domain END AS domain,
                   CASE WHEN pd.corrected THEN a.fixed_mx ELSE a.mx END AS mx,
                   CASE WHEN pd.corrected THEN a.fixed_delivered ELSE a.delivered END AS delivered,
                   CASE WHEN a.cc THEN 'cc' ELSE 'to' END AS role
            FROM plan_delivery pd JOIN demo_send s USING (send_no)
            JOIN demo_address a USING (address_no)),
        mac AS (
            SELECT *, sha256(unhex('{outer}') || unhex(sha256(
                       unhex('{inner}') || encode('suivi-verp-v1') || unhex('00')
                       || encode(send_id) || unhex('00')
                       || encode(substr('0123456789abcdefghijklmnopqrstuvwxyz', idx + 1, 1)))))
                   AS mac_hex
            FROM d WHERE mode IN {relay_modes})
        SELECT d.*, CASE WHEN mac.mac_hex IS NOT NULL THEN
                   d.send_id || '-' || substr('0123456789abcdefghijklmnopqrstuvwxyz', d.idx + 1, 1)
                   || '-' || array_to_string(list_transform(range(16), lambda k:
                       substr('{BASE32}', (((('0x' || substr(mac.mac_hex, 1 + 10 * (k // 8), 10))
                              ::BIGINT) >> (35 - 5 * (k % 8))) & 31)::INTEGER + 1, 1)), '')
               END AS verp_token
        FROM d LEFT JOIN mac USING (send_no, idx)""")
