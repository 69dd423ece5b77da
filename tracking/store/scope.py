"""Account scope: which accounts a signed-in person may see, as SQL for every read.

`None` means every account; an empty set sees nothing.
"""

from __future__ import annotations

Scope = frozenset[str] | None


def in_scope(column: str, scope: Scope) -> tuple[str, list]:
    """SQL and parameters for "`column` is one of the scope's accounts".

    No scope: `TRUE`, so the unscoped plans stay those of before sign-in (a NULL-parameter test
    is not folded away by DuckDB and cost up to 2x on a million documents). An empty scope sees
    nothing; only None means every account."""
    if scope is None:
        return "TRUE", []
    return f"{column} = ANY(?::VARCHAR[])", [sorted(scope)]
