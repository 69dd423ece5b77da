"""The derived document marks follow the event log: a full build equals a from-scratch
computation, and an action's events move just the documents they touch."""

from __future__ import annotations

from tests.actors import support
from tests.console.conftest import copy_demo
from tracking.service import SendPolicy, SendRequest, request_send
from tracking.store.connection import open_database
from tracking.store.marks import refresh_marks

FROM_SCRATCH = """
    SELECT l.document_id, l.send_id,
           bool_or(x.state IN ('not_sent', 'not_delivered')) IS TRUE AS failing
    FROM (SELECT document_id, arg_max(id, (requested_at, id)) AS send_id FROM sends
          GROUP BY document_id) l
    LEFT JOIN deliveries x ON x.send_id = l.send_id
    GROUP BY ALL ORDER BY 1"""


def marks(cursor) -> list[tuple]:
    return cursor.execute("SELECT document_id, send_id, failing FROM document_marks "
                          "ORDER BY 1").fetchall()


def test_marks_follow_the_events(demo_template, tmp_path):
    with open_database(copy_demo(demo_template, tmp_path)) as db:
        cursor = db.cursor()
        first = refresh_marks(db)
        assert first.full and first.documents > 0
        assert marks(cursor) == cursor.execute(FROM_SCRATCH).fetchall()
        assert refresh_marks(db).documents == 0  # nothing new: nothing recomputed

        failing = cursor.execute("SELECT document_id FROM document_marks WHERE failing "
                                 "ORDER BY document_id LIMIT 1").fetchone()[0]
        request_send(db, SendRequest(failing, ("fixed@client.example",), actor=support("support"),
                                     force=True), SendPolicy(verp_key=b"k"))
        again = refresh_marks(db)
        assert not again.full and 1 <= again.documents <= 5_000
        assert cursor.execute("SELECT failing, states FROM document_marks "
                              "WHERE document_id = ?", [failing]).fetchone() == (
            False, ["pending"])
        assert marks(cursor) == cursor.execute(FROM_SCRATCH).fetchall()
