"""Facts about the database itself (table `store_facts`): is it a generated demo, and so on.

A demo database holds invented recipients at real-looking domains (`yahoo.fr`…), so the outbox
must know it before handing anything to a real SMTP server.
"""

from __future__ import annotations

import duckdb

from tracking.clock import utc_now_naive

DEMO = "demo"


def set_fact(cursor: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    cursor.execute(
        """INSERT INTO store_facts (key, value, set_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, set_at = excluded.set_at""",
        [key, value, utc_now_naive()],
    )


def fact(cursor: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = cursor.execute("SELECT value FROM store_facts WHERE key = ?", [key]).fetchone()
    return None if row is None else row[0]


def mark_demo(cursor: duckdb.DuckDBPyConnection) -> None:
    set_fact(cursor, DEMO, "true")


def is_demo(cursor: duckdb.DuckDBPyConnection) -> bool:
    return fact(cursor, DEMO) == "true"
