"""Throwaway X.509 certificates for testing TLS with real certificate verification.

:func:`make_certs` writes a private CA and a server certificate signed by it into a
directory, using the ``openssl`` command line tool (no Python crypto dependency). The server
certificate names ``localhost``, ``127.0.0.1`` and ``::1`` in its subjectAltName, so a client
that trusts the CA can connect to a loopback server with full hostname checking::

    certs = make_certs(tmp_path)
    client = ssl.create_default_context(cafile=certs.ca_cert)   # or certs.client_context()
    server = certs.server_context()                            # for a server socket

The certificates are for tests only: short-lived, unencrypted keys, EC P-256 (fast to make).
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shutil
import ssl
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

__all__ = ["CertBundle", "CertificateError", "make_certs"]

# RFC 1123 host names, optionally with a leading wildcard label.
_HOSTNAME_RE = re.compile(
    r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)

_OPENSSL_TIMEOUT_S = 60.0


class CertificateError(RuntimeError):
    """``openssl`` is missing or failed; the message carries its output."""


class CertBundle(NamedTuple):
    """Paths of a throwaway CA certificate and a server certificate/key signed by it.

    Unpacks as ``ca_cert, server_cert, server_key``.
    """

    ca_cert: Path
    server_cert: Path
    server_key: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this CA, with hostname checking on."""
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca_cert))

    def server_context(self) -> ssl.SSLContext:
        """A server context presenting the server certificate; no client certificates."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.server_cert), str(self.server_key))
        return context


def _openssl_config(hostnames: Sequence[str], ip_addresses: Sequence[str]) -> str:
    alt_names = [f"DNS.{i} = {name}" for i, name in enumerate(hostnames, 1)]
    alt_names += [f"IP.{i} = {ip}" for i, ip in enumerate(ip_addresses, 1)]
    # A complete config of our own, so the result does not depend on the system openssl.cnf.
    # subject/authority key identifiers and key usages make the chain acceptable to strict
    # verifiers too (e.g. Python 3.13's VERIFY_X509_STRICT default).
    return "\n".join(
        [
            "[req]",
            "distinguished_name = dn",
            "prompt = no",
            "[dn]",
            "CN = voidmail test",
            "[v3_ca]",
            "basicConstraints = critical, CA:TRUE, pathlen:0",
            "keyUsage = critical, keyCertSign, cRLSign",
            "subjectKeyIdentifier = hash",
            "authorityKeyIdentifier = keyid:always",
            "[v3_server]",
            "basicConstraints = critical, CA:FALSE",
            "keyUsage = critical, digitalSignature, keyEncipherment",
            "extendedKeyUsage = serverAuth",
            "subjectKeyIdentifier = hash",
            "authorityKeyIdentifier = keyid, issuer",
            "subjectAltName = @alt_names",
            "[alt_names]",
            *alt_names,
            "",
        ]
    )


def _run_openssl(openssl: str, args: Sequence[str], cwd: Path) -> None:
    try:
        result = subprocess.run(
            [openssl, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_OPENSSL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CertificateError(f"openssl {args[0]} timed out") from exc
    if result.returncode != 0:
        raise CertificateError(
            f"openssl {' '.join(args)} failed with exit status {result.returncode}:\n"
            f"{result.stderr.strip()}"
        )


def make_certs(
    directory: Path | str,
    *,
    hostnames: Sequence[str] = ("localhost",),
    ip_addresses: Sequence[str] = ("127.0.0.1", "::1"),
    days: int = 7,
    openssl: str | None = None,
) -> CertBundle:
    """Create a throwaway CA and a server certificate for the given names in ``directory``.

    Contract:
      * ``directory`` is created if missing; existing files of the same names are replaced
        (``ca.pem``, ``ca.key``, ``server.pem``, ``server.key``, ``server.csr``,
        ``openssl.cnf``).
      * The server certificate's subjectAltName holds every name in ``hostnames`` (DNS) and
        every address in ``ip_addresses`` (IP); its CN is the first host name (or address).
      * Private keys are unencrypted and mode 0600; certificates are mode 0644.
      * Each call makes a new CA, so certificates from different calls do not trust each other.

    Raises ``ValueError`` for an invalid name or address or when no name is given, and
    :class:`CertificateError` when ``openssl`` is missing or fails.
    """
    hostnames = list(hostnames)
    for name in hostnames:
        if not _HOSTNAME_RE.match(name) or len(name) > 253:
            raise ValueError(f"invalid host name for a certificate: {name!r}")
    ips = [str(ipaddress.ip_address(ip)) for ip in ip_addresses]
    if not hostnames and not ips:
        raise ValueError("a certificate needs at least one host name or IP address")
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    openssl_path = openssl or shutil.which("openssl")
    if openssl_path is None:
        raise CertificateError("the openssl command line tool is not installed")

    out = Path(directory).resolve()
    out.mkdir(parents=True, exist_ok=True)
    config = out / "openssl.cnf"
    config.write_text(_openssl_config(hostnames, ips), encoding="ascii")
    ca_cert, ca_key = out / "ca.pem", out / "ca.key"
    server_cert, server_key, server_csr = out / "server.pem", out / "server.key", out / "server.csr"
    for key in (ca_key, server_key):
        # openssl would create the key with the umask; make it private from the start.
        key.unlink(missing_ok=True)
        os.close(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    _run_openssl(
        openssl_path,
        [
            "req", "-x509", "-config", str(config), "-extensions", "v3_ca", *new_key,
            "-keyout", str(ca_key), "-out", str(ca_cert), "-days", str(days),
            "-subj", f"/O=voidmail test rig/CN=voidmail throwaway CA {secrets.token_hex(4)}",
            "-set_serial", str(secrets.randbits(63)),
        ],
        out,
    )  # fmt: skip
    _run_openssl(
        openssl_path,
        [
            "req", "-new", "-config", str(config), *new_key,
            "-keyout", str(server_key), "-out", str(server_csr),
            "-subj", f"/O=voidmail test rig/CN={(hostnames or ips)[0]}",
        ],
        out,
    )  # fmt: skip
    _run_openssl(
        openssl_path,
        [
            "x509", "-req", "-in", str(server_csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
            "-set_serial", str(secrets.randbits(63)), "-days", str(days),
            "-extfile", str(config), "-extensions", "v3_server", "-out", str(server_cert),
        ],
        out,
    )  # fmt: skip
    for path in (ca_key, server_key):
        path.chmod(0o600)
    for path in (ca_cert, server_cert):
        path.chmod(0o644)
    return CertBundle(ca_cert=ca_cert, server_cert=server_cert, server_key=server_key)
