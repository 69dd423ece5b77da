"""One exception hierarchy for operational failures.

Malformed mail is data, not an exception (see `tracking.inbound`); these are for what an
operator or a caller must act on. Driver errors are translated at the boundary with
`raise ... from err`.

Every error carries a `code` (what went wrong, a stable name; each class has a default) and
`params` (the values a sentence about it needs: raw values, never pre-formatted text). The
message is English, for logs and the command line; the console words `code` and `params` in
the reader's language (`ui/errors.py`), so no English sentence ends up inside a French one.
"""


class SuiviError(Exception):
    """Base of every error the tracking core raises on purpose."""

    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.code = code or type(self).code
        self.params = params


class InvalidInput(SuiviError):
    """A caller asked for something impossible (unknown document, malformed date, unknown zone).

    Raised before anything is written.
    """

    code = "invalid_input"


class Forbidden(InvalidInput):
    """The signed-in person's role or account scope does not allow this action.

    Raised before anything is written. `code` names the refusal (`role` or `account`).
    """

    code = "forbidden"


class NotFound(InvalidInput):
    """The named document, send, account or user does not exist."""

    code = "not_found"


class ResendTooSoon(InvalidInput):
    """The same document was sent less than the resend window ago and `force` was not given."""

    code = "resend_too_soon"


class RefusedValue(InvalidInput):
    """A value that cannot be sent as it is (a control character in a header-bound field, an
    address longer than RFC 5321 allows)."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message, code=code, **params)


class RefusedDate(RefusedValue):
    """A send date that cannot be stored: malformed, outside the document's life (before its
    issue date, in the future), a wall-clock time that does not exist or is ambiguous in the
    account's zone, or no change at all. Codes: `malformed_date`, `send_date_too_early`,
    `send_date_in_future`, `nonexistent_local_time`, `ambiguous_local_time`,
    `send_date_unchanged`."""


class RefusedAction(RefusedValue):
    """An action the document's state does not allow (`already_marked_sent`,
    `document_cancelled`); the console words `code` and `params` in the user's language."""


class DemoDatabase(SuiviError):
    """A real SMTP transport was asked to send from a generated demo database: its queued sends
    go to invented people at real-looking domains. Refused unless explicitly allowed."""

    code = "demo_database"


class StorageError(SuiviError):
    """The database could not be used."""

    code = "storage"


class DatabaseLocked(StorageError):
    """Another process holds the DuckDB file (DuckDB allows one read-write process)."""

    code = "database_locked"


class SchemaTooNew(StorageError):
    """The database was written by a newer version of Suivi; refusing to touch it."""

    code = "schema_too_new"


class SenderBusy(StorageError):
    """Another outbox sender holds this database's journal: one sender per database."""

    code = "sender_busy"


class MigrationFailed(StorageError):
    """A migration step failed; its transaction was rolled back."""

    code = "migration_failed"


class SendError(SuiviError):
    """Sending over SMTP failed."""

    code = "send_failed"


class TransientSendError(SendError):
    """Worth retrying: 4xx replies, dropped connections, timeouts."""


class PermanentSendError(SendError):
    """Not worth retrying: 5xx replies, bad configuration, TLS verification failure."""


class ConfigError(SuiviError):
    """Settings are missing or contradictory (e.g. no VERP key in a relay mode)."""

    code = "config"


class MailboxError(SuiviError):
    """The bounce mailbox could not be read."""

    code = "mailbox"


class MailboxUnreachable(MailboxError):
    """The server could not be reached or dropped the connection: worth retrying with backoff."""

    code = "mailbox_unreachable"


class MailboxRefused(MailboxError):
    """Login refused, TLS failed or the folder is missing: retrying will not help until someone
    fixes the settings, so the watcher shows it and waits instead of hammering the server."""

    code = "mailbox_refused"
