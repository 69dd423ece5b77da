"""A private, throw-away Postfix + Dovecot on loopback: the real mail stack the tests send through.

Postfix plays the invoicing service's relay: it accepts mail on a free 127.0.0.1 port, delivers
`@localhost.test` over LMTP to a private Dovecot, and sends real RFC 3464 DSNs back to the
envelope sender, which is a Dovecot mailbox read over IMAP. Nothing can leave the machine
(`default_transport = error:`). Every instance has its own root directory, ports and Dovecot
`instance_name`, so several can run at once; servers are stopped by PID.

No pytest dependency: the benchmarks use it too. The configuration templates and users are in
`tests.tools.mailstack_config`; the readers for DSNs and Postfix's queue in
`tests.tools.mail_reports` (re-exported here).
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import imaplib
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from tests.tools.mail_reports import (
    QueuedEnvelope,
    QueuedRecipient,
    delivery_status,
    parse_postcat_envelope,
)
from tests.tools.mailstack_config import (
    BOUNCE_USER,
    DEFAULT_USERS,
    DOMAIN,
    DOVECOT_CONF,
    HOLD_PREFIX,
    MAIN_CF,
    MASTER_CF,
    MTA_HOSTNAME,
    NO_SSL,
    PASSWORD,
    SSL_ON,
    MailUser,
    render,
)
from tests.tools.certificates import CertificateError, ServerCertificates, make_certificates
from tests.tools.processes import HOST, descendants, free_ports, port_answers, process_start_time

__all__ = [
    "BOUNCE_USER", "DEFAULT_USERS", "DOMAIN", "HOLD_PREFIX", "MTA_HOSTNAME", "PASSWORD",
    "SKIP_REASON", "MailStack", "MailStackError", "MailUser", "QueuedEnvelope", "QueuedRecipient",
    "delivery_status", "free_ports", "parse_postcat_envelope", "process_start_time", "skip_reason",
]

POSTFIX_START_TIMEOUT = 30.0
DOVECOT_START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0


def skip_reason() -> str | None:
    """Why this machine cannot run a MailStack, or None when it can."""
    if os.name != "posix" or os.geteuid() != 0:
        return "the private Postfix needs root (its master process starts as root)"
    missing = [tool for tool in ("postfix", "postcat", "dovecot", "doveadm") if not _which(tool)]
    if missing:
        return f"not installed: {', '.join(missing)} (make system-deps installs them)"
    return None


def _which(tool: str) -> str | None:
    # /usr/sbin is not always on a non-login PATH.
    return shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin")


SKIP_REASON = skip_reason()


class MailStackError(RuntimeError):
    """The stack could not start, or a wait timed out; the message carries the log tails."""


class MailStack:
    """One private Postfix (the relay) and Dovecot (recipients' server and our bounce mailbox)."""

    def __init__(
        self,
        users: tuple[MailUser, ...] = DEFAULT_USERS,
        *,
        delay_warning_time: str = "1s",
        retry_seconds: int = 5,
        postfix_settings: dict[str, str] | None = None,
        keep_root: bool | None = None,
        spare_mailboxes: int = 100,
        tls: bool = False,
    ) -> None:
        """`tls=True`: Dovecot also offers STARTTLS on `imap_port` and implicit TLS on
        `imaps_port`, with a certificate for 127.0.0.1/localhost signed by a throw-away CA
        (`ca_file`, made in the stack's root). Off by default: no openssl run, no TLS."""
        self._users = {user.name: user for user in users}
        self._delay_warning_time = delay_warning_time
        self._retry_seconds = retry_seconds
        self._postfix_settings = dict(postfix_settings or {})
        self._keep_root = os.environ.get("MAILSTACK_KEEP") == "1" if keep_root is None else keep_root
        self.root: Path | None = None
        self.smtp_port = self.imap_port = self.lmtp_port = self.imaps_port = 0
        self._tls = tls
        self.certificates: ServerCertificates | None = None
        self._postfix: subprocess.Popen[bytes] | None = None
        self._dovecot: subprocess.Popen[bytes] | None = None
        self._mailbox_counter = 0
        self._users.update((user.name, user) for user in (
            MailUser(f"box{number:03d}") for number in range(1, spare_mailboxes + 1)))

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, attempts: int = 3) -> MailStack:
        """Start Dovecot then Postfix; retried on fresh ports if another process took one."""
        if SKIP_REASON:
            raise MailStackError(SKIP_REASON)
        for attempt in range(1, attempts + 1):
            self._prepare_root()
            try:
                # A script that dies on an exception must not leave two mail servers running.
                atexit.register(self.stop)
                self._start_dovecot()
                self._start_postfix()
                return self
            except MailStackError:
                self.stop()
                if attempt == attempts:
                    raise
        return self

    def stop(self) -> None:
        """Stop both servers by PID (TERM, then KILL if they outlive STOP_TIMEOUT), remove the root.

        Both are told to stop before either is waited for: each takes 1–3 s to exit.
        """
        if self._postfix is not None and self._postfix.poll() is None:
            self._postfix_command("postfix", "stop", check=False)
        if self._dovecot is not None and self._dovecot.poll() is None:
            self._dovecot.send_signal(signal.SIGTERM)
        for process in (self._postfix, self._dovecot):
            if process is not None:
                _wait_or_kill(process)
        self._postfix = self._dovecot = None
        atexit.unregister(self.stop)
        if self.root is not None and not self._keep_root:
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def restart_dovecot(self) -> None:
        """Stop Dovecot and start it again on the same ports (mailboxes are kept)."""
        self._stop_dovecot()
        self._start_dovecot()

    def __enter__(self) -> MailStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pids(self) -> dict[str, int]:
        """The master PIDs of the running servers."""
        found = {}
        if self._postfix is not None and self._postfix.poll() is None:
            found["postfix"] = self._postfix.pid
        if self._dovecot is not None and self._dovecot.poll() is None:
            found["dovecot"] = self._dovecot.pid
        return found

    def processes(self) -> dict[int, str]:
        """Every live process of this stack (masters and their children): PID -> start time."""
        pids = set(self.pids.values())
        for pid in list(pids):
            pids |= descendants(pid)
        return {pid: start for pid in pids if (start := process_start_time(pid)) is not None}

    def _prepare_root(self) -> None:
        # Not pytest's tmp_path: its base is mode 0700, and uid postfix must traverse every parent.
        root = Path(tempfile.mkdtemp(prefix="mailstack-"))
        root.chmod(0o755)
        self.root = root
        for sub in ("pf/etc", "pf/spool", "pf/data", "dv/run", "dv/state", "mail"):
            (root / sub).mkdir(parents=True)
            (root / sub).chmod(0o755)
        shutil.chown(root / "pf/data", user="postfix")
        shutil.chown(root / "mail", user="nobody", group="nogroup")
        # Four distinct ports in one call even without TLS (the fourth is then unused).
        self.smtp_port, self.imap_port, self.lmtp_port, imaps_port = free_ports(4)
        self.imaps_port, ssl = 0, NO_SSL
        if self._tls:
            try:
                self.certificates = make_certificates(root / "tls")
            except CertificateError as err:
                raise MailStackError(str(err)) from err
            self.imaps_port = imaps_port
            ssl = render(SSL_ON, {"TLS_CERT": self.certificates.cert,
                                  "TLS_KEY": self.certificates.key})
        values = {
            "ROOT": root, "PF": root / "pf", "DV": root / "dv", "DOMAIN": DOMAIN,
            "MTA_HOSTNAME": MTA_HOSTNAME, "SMTP_PORT": self.smtp_port,
            "IMAP_PORT": self.imap_port, "LMTP_PORT": self.lmtp_port,
            "INSTANCE": f"mailstack-{self.imap_port}", "RETRY": self._retry_seconds,
            "MAX_RETRY": 2 * self._retry_seconds, "DELAY_WARNING": self._delay_warning_time,
            "SSL": ssl, "IMAPS_PORT": self.imaps_port,   # port 0: no imaps listener
        }
        main_cf = render(MAIN_CF, values)
        main_cf += "".join(f"{key} = {value}\n" for key, value in self._postfix_settings.items())
        (root / "pf/etc/main.cf").write_text(main_cf)
        (root / "pf/etc/master.cf").write_text(render(MASTER_CF, values))
        (root / "pf/etc/hold_recipients").write_text(f"/^{HOLD_PREFIX}[^@]*@/ HOLD\n")
        (root / "dv/dovecot.conf").write_text(render(DOVECOT_CONF, values))
        self._write_users()

    def _start_dovecot(self) -> None:
        assert self.root is not None
        self._dovecot = subprocess.Popen(
            [_which("dovecot") or "dovecot", "-F", "-c", str(self.root / "dv/dovecot.conf")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        ports = (self.imap_port, self.lmtp_port, *((self.imaps_port,) if self._tls else ()))
        self._wait_for_ports(self._dovecot, ports, DOVECOT_START_TIMEOUT)

    def _start_postfix(self) -> None:
        assert self.root is not None
        # start-fg: the Popen handle lives exactly as long as the master process.
        self._postfix = subprocess.Popen(
            [_which("postfix") or "postfix", "-c", str(self.root / "pf/etc"), "start-fg"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self._wait_for_ports(self._postfix, (self.smtp_port,), POSTFIX_START_TIMEOUT)

    def _stop_dovecot(self) -> None:
        if self._dovecot is not None:
            if self._dovecot.poll() is None:
                self._dovecot.send_signal(signal.SIGTERM)
            _wait_or_kill(self._dovecot)
            self._dovecot = None

    def _wait_for_ports(
        self, process: subprocess.Popen[bytes], ports: tuple[int, ...], timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        while not all(port_answers(port) for port in ports):
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise MailStackError(
                    f"{process.args[0]} exited with {process.returncode}: {stderr}\n{self.logs_tail()}"
                )
            if time.monotonic() > deadline:
                raise MailStackError(f"ports {ports} not answering after {timeout}s\n{self.logs_tail()}")
            time.sleep(0.02)

    # -- users and addresses --------------------------------------------------------------------

    @staticmethod
    def address(user: str) -> str:
        return f"{user}@{DOMAIN}"

    def add_user(
        self, name: str, *, quota: str | None = None, quota_tempfail: bool = False
    ) -> str:
        """Create a mailbox user and wait until Dovecot knows it; returns its address.

        Dovecot re-reads the users file at most once a second, and until it does, LMTP refuses
        the user (a DSN for it would be lost), hence the wait (≤ ~1 s).
        """
        self._users[name] = MailUser(name, quota=quota, quota_tempfail=quota_tempfail)
        if self.root is not None:
            self._write_users()
            if self._dovecot is not None:
                self._wait_for_dovecot_user(name)
        return self.address(name)

    def new_mailbox(self) -> str:
        """A fresh, unused user: a private bounce mailbox for one test. Returns the user name.

        Taken from the spare users created at start (no wait), then made on demand.
        """
        self._mailbox_counter += 1
        name = f"box{self._mailbox_counter:03d}"
        if name not in self._users:
            self.add_user(name)
        return name

    def _wait_for_dovecot_user(self, name: str, timeout: float = 10.0) -> None:
        assert self.root is not None
        command = [_which("doveadm") or "doveadm", "-c", str(self.root / "dv/dovecot.conf"),
                   "user", name]
        deadline = time.monotonic() + timeout
        while subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True).returncode:
            if time.monotonic() > deadline:
                raise MailStackError(f"Dovecot does not see user {name}\n{self.logs_tail()}")
            time.sleep(0.05)

    @property
    def ca_file(self) -> Path:
        """The CA that signed Dovecot's certificate (a `tls=True` stack only)."""
        if self.certificates is None:
            raise MailStackError("this MailStack was started without tls=True")
        return self.certificates.ca

    def imap_login(self, user: str = BOUNCE_USER) -> tuple[str, str]:
        return user, self._users[user].password

    def maildir_of(self, user: str) -> Path:
        assert self.root is not None
        return self.root / "mail" / user / "Maildir"

    def fill_maildir(self, user: str, messages: Iterable[bytes]) -> int:
        """Write messages straight into the user's Maildir `new/` (bulk fills for benchmarks:
        ≈1,800 msg/s here, against ≈450 for IMAP APPEND); Dovecot indexes them on the next SELECT.
        Returns how many were written."""
        maildir = self.maildir_of(user)
        owner, group = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
        for sub in ("", "cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
            os.chown(maildir / sub, owner, group)
        os.chown(maildir.parent, owner, group)
        stamp, written = int(time.time()), 0
        for written, raw in enumerate(messages, start=1):
            # Maildir names: unique per file; tmp/ then rename, so Dovecot never reads half a file.
            name = f"{stamp}.M{written}P{os.getpid()}.mailstack"
            staging = maildir / "tmp" / name
            staging.write_bytes(raw.replace(b"\r\n", b"\n"))
            os.chown(staging, owner, group)
            staging.rename(maildir / "new" / name)
        return written

    def _write_users(self) -> None:
        assert self.root is not None
        users_file = self.root / "dv/users"
        # Written then renamed: Dovecot never sees half a file, and the new inode marks the change.
        staging = users_file.with_suffix(".new")
        staging.write_text("".join(user.passwd_line() + "\n" for user in self._users.values()))
        staging.chmod(0o644)
        staging.replace(users_file)

    # -- reading mailboxes (stdlib imaplib) -----------------------------------------------------

    @contextlib.contextmanager
    def imap(self, user: str = BOUNCE_USER) -> Iterator[imaplib.IMAP4]:
        """A logged-in IMAP connection with INBOX selected read-only."""
        connection = imaplib.IMAP4(HOST, self.imap_port, timeout=10)
        try:
            connection.login(*self.imap_login(user))
            connection.select("INBOX", readonly=True)
            yield connection
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                connection.logout()

    def uids(self, user: str = BOUNCE_USER) -> list[int]:
        with self.imap(user) as connection:
            return _search_all(connection)

    def fetch_all(self, user: str = BOUNCE_USER) -> list[bytes]:
        """Every message in the user's INBOX, oldest first."""
        with self.imap(user) as connection:
            return _fetch(connection, _search_all(connection))

    def wait_for_messages(
        self,
        user: str = BOUNCE_USER,
        count: int = 1,
        timeout: float = 15.0,
        matching: Callable[[bytes], bool] | None = None,
    ) -> list[bytes]:
        """Poll UID SEARCH until the INBOX holds at least `count` messages (that satisfy
        `matching`, for mailboxes several tests share); return those, oldest first."""
        deadline = time.monotonic() + timeout
        with self.imap(user) as connection:
            while True:
                connection.noop()          # lets Dovecot report mail delivered since SELECT
                uids = _search_all(connection)
                if len(uids) >= count:
                    messages = _fetch(connection, uids)
                    if matching is not None:
                        messages = [raw for raw in messages if matching(raw)]
                    if len(messages) >= count:
                        return messages
                if time.monotonic() > deadline:
                    raise MailStackError(
                        f"{user}: fewer than {count} (matching) message(s) after {timeout}s\n"
                        f"{self.logs_tail()}"
                    )
                time.sleep(0.05)

    # -- what Postfix did -----------------------------------------------------------------------

    def maillog(self) -> str:
        return _read(self.root / "pf/maillog") if self.root else ""

    def dovecot_log(self) -> str:
        return _read(self.root / "dv/dovecot.log") if self.root else ""

    def logs_tail(self, lines: int = 30) -> str:
        """The last lines of both logs, for assertion and error messages."""
        postfix = self.maillog().splitlines()[-lines:]
        dovecot = self.dovecot_log().splitlines()[-lines:]
        return "--- postfix maillog ---\n" + "\n".join(postfix) + (
            "\n--- dovecot log ---\n" + "\n".join(dovecot)
        )

    def queue(self) -> list[dict[str, object]]:
        """Postfix's queue as `postqueue -j` reports it (one dict per queued message)."""
        output = self._postfix_command("postqueue", "-j")
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def queued_envelopes(self, queue_name: str = "hold") -> list[QueuedEnvelope]:
        """What Postfix stored from the SMTP dialogue for each message in a queue (default: hold).

        Send to a `hold…@localhost.test` recipient to keep a message in the hold queue.
        """
        envelopes = []
        for entry in self.queue():
            if entry.get("queue_name") == queue_name:
                queue_id = str(entry["queue_id"])
                output = self._postfix_command("postcat", "-e", "-q", queue_id)
                envelopes.append(parse_postcat_envelope(queue_id, output))
        return envelopes

    def wait_for_queue(self, queue_name: str, count: int, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for entry in self.queue() if entry.get("queue_name") == queue_name) < count:
            if time.monotonic() > deadline:
                raise MailStackError(f"fewer than {count} in {queue_name} queue\n{self.logs_tail()}")
            time.sleep(0.05)

    def delete_queued(self, queue_id: str = "ALL", queue_name: str = "") -> None:
        """Drop queued mail, e.g. a tempfail user's deferred message that would retry forever."""
        self._postfix_command("postsuper", "-d", queue_id, *([queue_name] if queue_name else []))

    # -- sending --------------------------------------------------------------------------------

    def send(
        self,
        envelope_from: str,
        recipients: dict[str, tuple[str, ...]] | list[str],
        message: bytes,
        mail_options: tuple[str, ...] = (),
    ) -> str:
        """One SMTP transaction with per-recipient options (smtplib's sendmail() applies
        rcpt_options to every recipient); returns Postfix's queue id.

        `recipients` maps address -> RCPT options, e.g. {"a@x": ("NOTIFY=SUCCESS",)}.
        Raises smtplib's exceptions when the server refuses.
        """
        options = recipients if isinstance(recipients, dict) else dict.fromkeys(recipients, ())
        with smtplib.SMTP(HOST, self.smtp_port, timeout=30) as client:
            client.ehlo()
            code, reply = client.mail(envelope_from, list(mail_options))
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, envelope_from)
            for address, rcpt_options in options.items():
                code, reply = client.rcpt(address, list(rcpt_options))
                if code not in (250, 251):
                    raise smtplib.SMTPRecipientsRefused({address: (code, reply)})
            code, reply = client.data(message)
        match = re.search(rb"queued as ([0-9A-Za-z]+)", reply)
        return match.group(1).decode() if match else ""

    def wait_until_done(self, queue_id: str, timeout: float = 15.0) -> None:
        """Wait until Postfix has finished with a message (its "removed" log line): every
        delivery attempt and DSN it caused is then logged."""
        self.wait_for_log(f"{queue_id}: removed", timeout)

    def wait_for_log(self, needle: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.maillog():
            if time.monotonic() > deadline:
                raise MailStackError(f"{needle!r} not logged after {timeout}s\n{self.logs_tail()}")
            time.sleep(0.05)

    def _postfix_command(self, tool: str, *args: str, check: bool = True) -> str:
        assert self.root is not None
        result = subprocess.run(
            [_which(tool) or tool, "-c", str(self.root / "pf/etc"), *args],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
        )
        if check and result.returncode != 0:
            raise MailStackError(
                f"{tool} {' '.join(args)} failed ({result.returncode}): "
                f"{result.stderr.decode(errors='replace')}\n{self.logs_tail()}"
            )
        return result.stdout.decode(errors="replace")


def _search_all(connection: imaplib.IMAP4) -> list[int]:
    status, data = connection.uid("SEARCH", None, "ALL")
    if status != "OK":
        raise MailStackError(f"UID SEARCH failed: {data!r}")
    return [int(uid) for uid in data[0].split()] if data and data[0] else []


def _fetch(connection: imaplib.IMAP4, uids: list[int]) -> list[bytes]:
    if not uids:
        return []
    status, data = connection.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    if status != "OK":
        raise MailStackError(f"UID FETCH failed: {data!r}")
    by_uid = {}
    for item in data:
        if isinstance(item, tuple):
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))  # type: ignore[union-attr]
            by_uid[uid] = item[1]
    return [by_uid[uid] for uid in sorted(by_uid)]


def _wait_or_kill(process: subprocess.Popen[bytes]) -> None:
    """Wait for a server to exit; past STOP_TIMEOUT, SIGKILL it and every process under it (the
    Popen child of `postfix start-fg` is a shell script, the master is its child)."""
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        for pid in (*descendants(process.pid), process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    if process.stderr:
        process.stderr.close()


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
