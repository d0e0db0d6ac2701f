"""A self-signed certificate for `local serve --tls`: clients that speak only HTTPS (the SQL
connector) can reach the local workspace, trusting the certificate as their CA.

Made with the `cryptography` package when it is installed, else with the `openssl` command;
kept in `<dir>/tls/` and reused while it is valid for the host served.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import ssl
import subprocess
from pathlib import Path

VALID_DAYS = 365


def certificate(directory: Path, host: str) -> tuple[Path, Path]:
    """(certificate, private key) for `host` and localhost, made once per folder and host."""
    folder = directory / "tls"
    cert, key = folder / "cert.pem", folder / "key.pem"
    marker = folder / "host"
    if cert.is_file() and key.is_file() and marker.is_file() and marker.read_text() == host:
        return cert, key
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _with_cryptography(cert, key, host)
    except ImportError:
        _with_openssl(cert, key, host)
    key.chmod(0o600)
    marker.write_text(host)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _names(host: str) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) the certificate covers."""
    dns, ips = ["localhost"], ["127.0.0.1", "::1"]
    try:
        address = str(ipaddress.ip_address(host))
        if address not in ips and address not in ("0.0.0.0", "::"):
            ips.append(address)
    except ValueError:
        dns.append(host)
    return dns, ips


def _with_cryptography(cert: Path, key: Path, host: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provisioner local workspace")])
    dns, ips = _names(host)
    now = datetime.datetime.now(datetime.UTC)
    built = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
             .public_key(private.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5))
             .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
             .add_extension(x509.SubjectAlternativeName(
                 [x509.DNSName(d) for d in dns]
                 + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]), critical=False)
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(private, hashes.SHA256()))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))


def _with_openssl(cert: Path, key: Path, host: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("--tls needs the `cryptography` package or the `openssl` command")
    dns, ips = _names(host)
    names = ",".join([f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips])
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", str(VALID_DAYS), "-subj",
                    "/CN=provisioner local workspace", "-addext", f"subjectAltName={names}",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True)
