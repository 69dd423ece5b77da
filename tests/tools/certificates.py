"""A throw-away CA and a server certificate for 127.0.0.1 / localhost, made by the openssl CLI.

Used by `tests.mailstack.MailStack(tls=True)` (Dovecot's IMAPS and STARTTLS). No pytest
dependency: the benchmarks import the mail stack too. EC P-256 keys: generated in milliseconds,
where RSA-2048 takes a noticeable fraction of a second each.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class CertificateError(RuntimeError):
    """openssl is missing or refused to make the certificates (its stderr is in the message)."""


@dataclass(frozen=True, slots=True)
class ServerCertificates:
    ca: Path        # the CA clients must be given to verify the server
    cert: Path      # server certificate, SAN IP:127.0.0.1 and DNS:localhost
    key: Path


def make_certificates(folder: Path, *, days: int = 2) -> ServerCertificates:
    """Write ca.pem, server.pem and server.key into `folder` (created if needed)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError("openssl is not installed; cannot make test certificates")
    folder.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> None:
        result = subprocess.run([openssl, *args], cwd=folder, capture_output=True, timeout=60,
                                stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise CertificateError(f"openssl {args[0]} failed: {result.stderr.decode(errors='replace')}")

    ec_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run("req", "-x509", *ec_key, "-days", str(days), "-subj", "/CN=Suivi Mail Stack Test CA",
        "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", *ec_key, "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    # Python verifies names against subjectAltName only (the CN is ignored, RFC 6125).
    (folder / "san.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", str(days), "-extfile", "san.ext", "-out", "server.pem")
    for name in ("ca.pem", "server.pem"):
        (folder / name).chmod(0o644)   # the CA is read by clients, the cert by Dovecot's login
    return ServerCertificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
