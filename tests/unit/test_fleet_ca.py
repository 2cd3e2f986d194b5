"""kiosk-fleet ca: the CA on disk, what sign refuses, revocation, the broker folder."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from appliance.fleet import cli
from appliance.fleet.ca import CaError, FleetCa
from appliance.fleet.enrolment import broker_cert, console_cert, revoke, write_bundle


def _csr(cn: str, key: ed25519.Ed25519PrivateKey | None = None) -> bytes:
    """A CSR as ``kiosk-provision init`` makes them (Ed25519, CN = device id)."""
    key = key or ed25519.Ed25519PrivateKey.generate()
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
           .sign(key, None))
    return csr.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def ca(tmp_path: Path) -> FleetCa:
    return FleetCa.init(tmp_path / "ca")


def test_init_keeps_the_key_private_and_refuses_a_second_ca(ca: FleetCa) -> None:
    assert stat.S_IMODE(ca.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(ca.folder.stat().st_mode) == 0o700
    assert ca.crl_file.is_file()
    with pytest.raises(CaError) as refused:
        FleetCa.init(ca.folder)
    assert refused.value.code == "ca-exists"
    with pytest.raises(CaError) as missing:
        FleetCa(ca.folder.parent / "elsewhere")
    assert missing.value.code == "ca-missing"


@pytest.mark.parametrize(("cn", "code"), [
    ("fleet", "csr-fleet-identity"),
    ("fleet.ops", "csr-fleet-identity"),
    ("fleet.", "csr-fleet-identity"),
    ("Kiosk_12", "csr-bad-device-id"),
    ("ki", "csr-bad-device-id"),
    ("kiosk/0042", "csr-bad-device-id"),
    ("+", "csr-bad-device-id"),
    ("kiosk-0042\n", "csr-bad-device-id"),
])
def test_sign_refuses_fleet_identities_and_bad_ids(ca: FleetCa, cn: str, code: str,
                                                   tmp_path: Path) -> None:
    address = {"host": "broker.example.net", "port": 8883}
    with pytest.raises(CaError) as refused:
        write_bundle(ca, _csr(cn), tmp_path / "bundle", address)
    assert refused.value.code == code
    assert ca.issued() == [] and not (tmp_path / "bundle").exists()  # nothing issued


def test_sign_refuses_garbage_and_a_forged_csr(ca: FleetCa) -> None:
    with pytest.raises(CaError) as garbage:
        ca.sign_csr(b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n")
    assert garbage.value.code == "csr-invalid"
    good = x509.load_pem_x509_csr(_csr("kiosk-0042"))
    # same body, signature bytes of another request: must not verify
    other = x509.load_pem_x509_csr(_csr("kiosk-0042"))
    der = good.public_bytes(serialization.Encoding.DER)
    forged_der = der.replace(good.signature, other.signature)
    forged = x509.load_der_x509_csr(forged_der).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(CaError) as refused:
        ca.sign_csr(forged)
    assert refused.value.code == "csr-invalid"


def test_sign_needs_a_broker_address_first(ca: FleetCa) -> None:
    with pytest.raises(CaError) as refused:
        write_bundle(ca, _csr("kiosk-0042"))
    assert refused.value.code == "ca-no-broker" and ca.issued() == []


def test_bundle_holds_what_enroll_reads(ca: FleetCa, tmp_path: Path) -> None:
    (ca.folder / "update-signing.pub").write_bytes(
        ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    key = ed25519.Ed25519PrivateKey.generate()
    done = write_bundle(ca, _csr("kiosk-0042", key), None,
                        {"host": "broker.example.net", "port": 8883})
    bundle = Path(done["bundle"])
    assert sorted(p.name for p in bundle.iterdir()) == [
        "broker.json", "ca.crt", "device.crt", "update-signing.pub"]
    cert = x509.load_pem_x509_certificate((bundle / "device.crt").read_bytes())
    cert.verify_directly_issued_by(ca.cert)
    assert cert.public_key() == key.public_key()
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "kiosk-0042"
    assert json.loads((bundle / "broker.json").read_text()) == {
        "host": "broker.example.net", "port": 8883}


def test_revoke_lists_the_serial_in_the_crl(ca: FleetCa) -> None:
    _, first = ca.sign_csr(_csr("kiosk-0042"))
    _, other = ca.sign_csr(_csr("kiosk-0043"))
    revoked = ca.revoke("kiosk-0042")
    assert [r.serial for r in revoked] == [first.serial_number]
    crl = x509.load_pem_x509_crl(ca.crl_file.read_bytes())
    assert crl.is_signature_valid(ca.cert.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(first.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(other.serial_number) is None
    with pytest.raises(CaError) as again:
        ca.revoke("kiosk-0042")  # nothing valid left to revoke
    assert again.value.code == "ca-not-issued"


def test_broker_folder_sans_and_acl_follow_the_fleet_identities(ca: FleetCa,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "broker"
    done = broker_cert(ca, ["broker.example.net", "10.0.0.5"], out, port=8884,
                       persistence_dir=str(tmp_path / "data"))
    cert = x509.load_pem_x509_certificate((out / "certs/broker.pem").read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["broker.example.net"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    assert stat.S_IMODE((out / "certs/broker.key").stat().st_mode) == 0o600
    conf = (out / "mosquitto.conf").read_text()
    for name in ("kiosk.acl", "certs/kiosk-ca.pem", "certs/broker.pem", "certs/broker.key",
                 "certs/kiosk-crl.pem"):
        assert f"{out / name}\n" in conf and (out / name).is_file()
    assert "listener 8884" in conf and done["fleet_identities"] == []
    console_cert(ca, "ops")
    console_cert(ca, "fleet.ingest-a")
    acl = (out / "kiosk.acl").read_text()
    assert "user fleet.ops\n" in acl and "user fleet.ingest-a\n" in acl
    revoke(ca, "fleet.ops")  # a revoked console loses its ACL block too
    acl = (out / "kiosk.acl").read_text()
    assert "user fleet.ops\n" not in acl and "user fleet.ingest-a\n" in acl
    # devices connect to the first host
    assert json.loads(ca.broker_file.read_text()) == {"host": "broker.example.net", "port": 8884}


def test_cli_errors_carry_the_code(ca: FleetCa, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    csr = tmp_path / "device.csr"
    csr.write_bytes(_csr("fleet"))
    assert cli.main(["ca", "sign", str(csr), "--dir", str(ca.folder),
                     "--address", "localhost:8883"]) == 2
    assert "csr-fleet-identity" in capsys.readouterr().err


def test_ecdsa_csr_is_signed_too(ca: FleetCa) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk-7")]))
           .sign(key, hashes.SHA256()))
    device, cert = ca.sign_csr(csr.public_bytes(serialization.Encoding.PEM))
    assert device == "kiosk-7" and cert.public_key() == key.public_key()
