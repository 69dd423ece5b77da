"""A real `streamlit run serve.py` on loopback, for the browser benchmark (`ui.bench_browser`),
the browser tests and screenshots (`tests/console/server.py` re-exports it: the bench must not
import `tests`).

Started on a free port with its own database and sandbox Maildir, polled on /_stcore/health,
stopped by PID (SIGTERM, then SIGKILL if it lingers). `script` serves another file instead (the
benchmark's bare Streamlit page, its baseline).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def browser_skip_reason() -> str:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (make test installs it as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ConsoleServer:
    def __init__(self, repo_root: Path, database: Path, workdir: Path, *,
                 env: dict[str, str] | None = None, args: tuple[str, ...] = (),
                 script: str = "serve.py") -> None:
        self.repo_root, self.database, self.workdir = repo_root, database, workdir
        self.script = script
        self.extra_env, self.extra_args = env or {}, args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = workdir / "streamlit.log"

    def start(self, timeout: float = 60) -> ConsoleServer:
        env = {**os.environ, "SUIVI_DB": str(self.database), "SUIVI_TRANSPORT": "sandbox",
               "SUIVI_SANDBOX_MAILDIR": str(self.workdir / "sandbox-mail"), **self.extra_env}
        command = [sys.executable, "-m", "streamlit", "run", self.script,
                   "--server.headless", "true", "--server.address", "127.0.0.1",
                   "--server.port", str(self.port), "--browser.gatherUsageStats", "false",
                   "--client.toolbarMode", "minimal", *self.extra_args]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, cwd=self.repo_root, env=env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as answer:
                    if answer.read().strip() == b"ok":
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not answer within {timeout}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self) -> ConsoleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)


def copy_database(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target
