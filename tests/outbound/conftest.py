"""Fixtures for the outbound side: real aiosmtpd servers on free ports and TLS material.

The servers and their scripted answers live in `tests.outbound.servers`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.outbound.servers import Certificates, PlainController, PlainHandler, Server, start_server


@pytest.fixture
def server() -> Iterator[Server]:
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def plain_server() -> Iterator[tuple[PlainController, PlainHandler]]:
    handler = PlainHandler()
    controller = PlainController(handler)
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throw-away CA and a server certificate for 127.0.0.1, made by the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed; cannot make test certificates")
    folder = tmp_path_factory.mktemp("tls")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Suivi Test CA",
        "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "server.key", "-out", "server.csr")
    (folder / "san.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    )
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.ext", "-out", "server.pem")
    return Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
