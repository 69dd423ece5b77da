"""A private, throw-away PostgreSQL 15 for the tests: its own data directory, a free loopback port.

`initdb` runs as the `postgres` user when the tests run as root (PostgreSQL refuses to run as
root), `fsync=off` because nothing here must survive a power cut, and the server's TimeZone is
Pacific/Auckland on purpose: the store's sessions must say UTC themselves, or timestamps would
shift by 13 hours. Password sign-in over TCP (scram) proves the URL's password is used and never
shown. The server is stopped by its PID. Each test gets a fresh database copied from a template
that was migrated once.

No pytest dependency at import: `tests.core.conftest` wraps it in a session fixture.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.tools.processes import HOST, free_ports

BIN = Path("/usr/lib/postgresql/15/bin")
USER, PASSWORD = "suivi", "s3cret-pg-pass"
TEMPLATE = "suivi_template"
START_TIMEOUT = 30.0
SERVER_TIME_ZONE = "Pacific/Auckland"


def skip_reason() -> str | None:
    """Why this machine cannot run a private PostgreSQL, or None when it can."""
    missing = [tool for tool in ("initdb", "postgres") if not (BIN / tool).is_file()]
    if missing:
        return f"PostgreSQL 15 not installed ({BIN}; make system-deps installs it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root but there is no postgres user to run the server as"
    return None


class PrivatePostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="suivi-pg-"))
        self.data = self.root / "data"
        self.port = free_ports(1)[0]
        self.process: subprocess.Popen | None = None
        self._names = itertools.count(1)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> PrivatePostgres:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run([str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
                   "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256"])
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"""
listen_addresses = '{HOST}'
port = {self.port}
unix_socket_directories = '{self.root}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
timezone = '{SERVER_TIME_ZONE}'
log_timezone = 'UTC'
""")
        # The server itself is our child (not runuser's), so stopping it by PID reaches it.
        as_postgres = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
        with open(self.root / "server.log", "wb") as log:   # the child keeps its own copy
            self.process = subprocess.Popen([str(BIN / "postgres"), "-D", str(self.data)],
                                            stdout=subprocess.DEVNULL, stderr=log,
                                            cwd=self.root, **as_postgres)
        self._wait_until_up()
        with self.admin() as admin:
            admin.execute(f"CREATE ROLE {USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)   # "fast" shutdown: disconnect, then stop
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------------------------

    def url(self, database: str) -> str:
        return f"postgresql://{USER}:{PASSWORD}@{HOST}:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        """A superuser connection over the Unix socket (no password), autocommit."""
        return psycopg.connect(host=str(self.root), port=self.port, user="postgres",
                               dbname=database, autocommit=True)

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`); its URL."""
        name = f"suivi_{os.getpid()}_{next(self._names)}"
        with self.admin() as admin:
            admin.execute(f"CREATE DATABASE {name} OWNER {USER}"
                          + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    # -- helpers ---------------------------------------------------------------------------------

    def _as_postgres(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(self._as_postgres(command), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()}")

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                log = (self.root / "server.log").read_text(errors="replace")
                raise RuntimeError(f"postgres exited at start: {log[-2000:]}")
            try:
                with self.admin():
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
