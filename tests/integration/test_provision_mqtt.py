"""selftest's MQTT check against a real mosquitto with TLS and client certificates."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from provisioning.cli import app

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None,
                                reason="mosquitto is not installed (Debian package mosquitto)")
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def issue(subject: str, public_key: object, ca_key: ec.EllipticCurvePrivateKey,
          issuer: x509.Name, *, ca: bool = False, server: bool = False) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer).public_key(public_key)  # type: ignore[arg-type]
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(hours=1))
               .not_valid_after(now + dt.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def provisioned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, int]]:
    root = tmp_path / "root"
    monkeypatch.setenv("KIOSK_ROOT", str(root))
    assert runner.invoke(app, ["init", "--device-id", "kiosk-test-1"]).exit_code == 0
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fleet CA")])
    ca = issue("fleet CA", ca_key.public_key(), ca_key, ca_name, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = issue("localhost", server_key.public_key(), ca_key, ca_name, server=True)
    csr = x509.load_pem_x509_csr((root / "var/lib/kiosk/identity/device.csr").read_bytes())
    device = issue("kiosk-test-1", csr.public_key(), ca_key, ca_name)
    broker = tmp_path / "broker"
    broker.mkdir()
    (broker / "ca.crt").write_bytes(pem(ca))
    (broker / "server.crt").write_bytes(pem(server))
    (broker / "server.key").write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    port = free_port()
    (broker / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\nuse_identity_as_username true\n"
        f"require_certificate true\ncafile {broker}/ca.crt\ncertfile {broker}/server.crt\n"
        f"keyfile {broker}/server.key\npersistence false\n"
        f"user {pwd.getpwuid(os.getuid()).pw_name}\n")  # as root it would drop to 'mosquitto'

    bundle = tmp_path / "usb"
    bundle.mkdir()
    (bundle / "device.crt").write_bytes(pem(device))
    (bundle / "ca.crt").write_bytes(pem(ca))
    (bundle / "broker.json").write_text(json.dumps({"host": "localhost", "port": port}))
    assert runner.invoke(app, ["enroll", str(bundle)]).exit_code == 0
    proc = subprocess.Popen(["mosquitto", "-c", str(broker / "mosquitto.conf")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield root, port
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        print(out.decode(errors="replace"))


def test_mqtt_check_connects_with_the_device_certificate(provisioned: tuple[Path, int]) -> None:
    result = runner.invoke(app, ["selftest", "--only", "mqtt", "--json"])
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)["checks"][0]
    assert check["status"] == "pass" and check["data"]["reason_code"] == 0


def test_mqtt_check_fails_when_the_broker_is_down(provisioned: tuple[Path, int]) -> None:
    root, _port = provisioned
    broker_file = root / "var/lib/kiosk/identity/broker.json"
    broker_file.write_text(json.dumps({"host": "localhost", "port": free_port()}))
    result = runner.invoke(app, ["selftest", "--only", "mqtt", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["checks"][0]["status"] == "fail"
