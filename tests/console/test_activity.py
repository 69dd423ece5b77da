"""Paramètres > Historique des activités: the exact reason of a failure is reachable there
(AppTest on a real demo database)."""

from __future__ import annotations

import json

from tests.console.conftest import console_app, shared_database
from tests.console.test_pages import failing_document
from tracking.labels import word
from ui.activity import FAILURE_TYPES


def test_settings_show_the_activity_history_with_the_exact_reason(console_db, repo_root):
    document_id = failing_document(console_db)
    number, details = shared_database(console_db).cursor().execute(
        """SELECT d.number, e.details FROM events e JOIN documents d ON d.id = e.document_id
           WHERE e.document_id = ? AND e.type = 'dsn_failed'
           ORDER BY e.occurred_at DESC LIMIT 1""", [document_id]).fetchone()
    diagnostic = json.loads(details)["diagnostic"]
    app = console_app(repo_root).run().switch_page("views/settings.py").run()
    assert not app.exception
    assert app.title[0].value == "Paramètres"
    assert "Historique des activités" in [h.value for h in app.subheader]
    app.toggle(key="activity_failures").set_value(True).run()
    table = next(frame.value for frame in app.dataframe if "diagnostic" in frame.value.columns)
    failure_words = {word(kind) for kind in FAILURE_TYPES}
    assert not table.empty and set(table["type"]) <= failure_words
    rows = table[table["document_number"] == number]
    assert diagnostic in set(rows["diagnostic"])              # the server's words, as they came
    failed = rows[rows["diagnostic"] == diagnostic].iloc[0]
    assert failed["reason"] and failed["reason"] != "userunknown"   # words, not the raw code
    assert failed["actor"] == "Système (lecture des retours)"      # the system, in words
    assert not table.isna().any().any()                       # empty cells are empty, not None
    assert "None" not in set(table.to_numpy().ravel())
