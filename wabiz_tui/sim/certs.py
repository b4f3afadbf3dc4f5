"""Key and certificate material for the simulated cluster.

Everything is generated fresh under the cluster's work directory at start:

* one ed25519 SSH host key per simulated host (so clients see distinct fingerprints);
* one ed25519 client key (OpenSSH format, no passphrase, file mode 600) that every host accepts;
* a ``known_hosts`` file with one ``[addr]:port ssh-ed25519 ...`` line per host;
* a self-signed TLS certificate for the Webapp API (SAN ``IP:127.0.0.1`` and ``DNS:localhost``),
  built with ``cryptography`` so clients can verify it instead of disabling verification.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import asyncssh
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 600 (created that way, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def generate_ssh_key(path: Path | None = None) -> asyncssh.SSHKey:
    """Return a new ed25519 SSH private key; if ``path`` is given also write it (OpenSSH, 600)."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    if path is not None:
        _write_private(path, key.export_private_key("openssh"))
        path.with_name(path.name + ".pub").write_bytes(key.export_public_key("openssh"))
    return key


def known_hosts_line(addr: str, port: int, host_key: asyncssh.SSHKey) -> str:
    """One known_hosts line ``[addr]:port <algo> <base64>`` (port 22 uses the bare address)."""
    pub = host_key.export_public_key("openssh").decode().strip().split()
    name = addr if port == 22 else f"[{addr}]:{port}"
    return f"{name} {pub[0]} {pub[1]}"


@dataclass(frozen=True)
class TlsMaterial:
    """Paths of the Webapp's certificate (PEM, also the CA to trust) and private key (PEM, 600)."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        """An ``ssl.SSLContext`` for the server side, loaded with this cert and key."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cert_path), str(self.key_path))
        return ctx


def generate_tls(directory: Path, common_name: str = "wa-webapp.sim") -> TlsMaterial:
    """Create a self-signed P-256 certificate valid 1 year with SAN 127.0.0.1 and localhost.

    It is its own CA (basicConstraints CA:TRUE) so a client can pass the PEM as ``verify=``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wabiz-tui simulator")])
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                     data_encipherment=False, key_agreement=True, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "webapp-ca.pem"
    key_path = directory / "webapp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_private(key_path, key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return TlsMaterial(cert_path, key_path)


def reissue_tls(material: TlsMaterial, fault: str) -> Path:
    """A faulty leaf certificate issued by ``material``'s certificate (the CA clients trust) for the same key,
    so the chain verifies and only the dates or the name fail: ``expired`` (valid until yesterday) or
    ``wrong_name`` (SAN only ``wrong-name.invalid``). Written next to the original; returns its path."""
    original = x509.load_pem_x509_certificate(material.cert_path.read_bytes())
    key = serialization.load_pem_private_key(material.key_path.read_bytes(), password=None)
    now = _dt.datetime.now(_dt.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"wa-webapp-{fault}.sim")])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(original.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number()))
    if fault == "expired":
        builder = builder.not_valid_before(now - _dt.timedelta(days=30)).not_valid_after(now - _dt.timedelta(days=1))
        sans = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    elif fault == "wrong_name":
        builder = builder.not_valid_before(now - _dt.timedelta(minutes=5)).not_valid_after(now + _dt.timedelta(days=30))
        sans = [x509.DNSName("wrong-name.invalid")]
    else:
        raise ValueError(f"unknown certificate fault {fault!r}")
    cert = (builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    path = material.cert_path.with_name(f"webapp-{fault}.pem")
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path
