"""kiosk-provision driven through Typer's CliRunner in a scratch KIOSK_ROOT."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import stat
import tarfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from provisioning.cli import app

runner = CliRunner()


def cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def make_ca(tmp: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk fleet test CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def sign_csr(csr_pem: bytes, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate) -> bytes:
    csr = x509.load_pem_x509_csr(csr_pem)
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca.subject)
            .public_key(csr.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=7))
            .sign(ca_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def make_bundle(folder: Path, root: Path, port: int = 8883) -> Path:
    ca_key, ca = make_ca(folder)
    csr = (root / "var/lib/kiosk/identity/device.csr").read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "device.crt").write_bytes(sign_csr(csr, ca_key, ca))
    (folder / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "broker.json").write_text(json.dumps({"host": "localhost", "port": port}))
    return folder


def test_help_teaches_the_order_of_steps() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for word in ("init", "enroll", "site", "selftest", "--json"):
        assert word in result.output


def test_init_is_idempotent_and_key_stays_private(root: Path) -> None:
    first = cli("init")
    assert first["created"] is True
    assert first["device_id"] == "kiosk-a1b2c3d4e5f6"
    assert first["source"] == "machine-id"
    key = Path(first["key"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    csr = x509.load_pem_x509_csr(Path(first["csr"]).read_bytes())
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == first["device_id"]
    before = key.read_bytes()
    again = cli("init")
    assert again["created"] is False and key.read_bytes() == before
    refused = cli("init", "--device-id", "someone-else", code=1)
    assert refused["error"]["code"] == "identity-exists"


def test_init_prefers_the_board_serial(root: Path) -> None:
    serial = root / "sys/firmware/devicetree/base/serial-number"
    serial.parent.mkdir(parents=True)
    serial.write_bytes(b"1423020012345\x00")
    assert cli("init", "--key-type", "ecdsa-p256")["device_id"] == "kiosk-1423020012345"


def test_bad_device_id_is_one_line_error(root: Path) -> None:
    result = runner.invoke(app, ["init", "--device-id", "!!"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "bad-device-id" in result.output


def test_enroll_from_folder_and_tarball(root: Path, tmp_path: Path) -> None:
    cli("init")
    bundle = make_bundle(tmp_path / "usb/kiosk", root)
    done = cli("enroll", str(bundle))
    assert done["changed"] is True and done["broker"] == {"host": "localhost", "port": 8883}
    assert cli("enroll", str(bundle))["changed"] is False
    tarball = tmp_path / "bundle.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(bundle, arcname="kiosk")
    assert cli("enroll", str(tarball))["changed"] is False
    assert cli("status")["enrolment"]["enrolled"] is True


def test_enroll_refuses_a_certificate_for_another_key(root: Path, tmp_path: Path) -> None:
    cli("init")
    bundle = make_bundle(tmp_path / "usb", root)
    other = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kiosk-a1b2c3d4e5f6")]))
           .sign(other, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    ca_key, ca = make_ca(tmp_path)
    (bundle / "device.crt").write_bytes(sign_csr(csr, ca_key, ca))
    (bundle / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    assert cli("enroll", str(bundle), code=1)["error"]["code"] == "cert-key-mismatch"
    assert not (root / "var/lib/kiosk/identity/device.crt").exists()


def test_enroll_needs_identity_first(root: Path, tmp_path: Path) -> None:
    assert cli("enroll", str(tmp_path), code=1)["error"]["code"] == "no-identity"


METRO = Path(__file__).resolve().parents[2] / "models/sitepacks/metro-demo"


def make_pack(folder: Path, version: str = "3.0.0") -> Path:
    """The metro demo pack under another version (the real format, all files)."""
    shutil.copytree(METRO, folder)
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("version: 1.2.0", f"version: {version}"))
    return folder


def test_site_install_show_and_reinstall(root: Path, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    installed = cli("site", "install", str(pack))
    assert installed["changed"] is True and installed["name"] == "metro-demo"
    assert (root / "var/lib/kiosk/site/faq.yaml").exists()
    assert cli("site", "install", str(pack))["changed"] is False
    shown = cli("site", "show")
    assert shown["version"] == "3.0.0" and shown["languages"] == ["en", "es"]
    assert shown["orientation"] == "portrait"  # the default 1080x1920 screen
    assert cli("config", "get", "site")["value"] == "metro-demo"


def test_site_install_of_a_tarball(root: Path, tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "pack")
    tarball = tmp_path / "pack.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(pack, arcname="metro")  # a tarball of the folder, not of its content
    assert cli("site", "install", str(tarball))["version"] == "3.0.0"


def test_bad_site_pack_leaves_the_old_one_and_names_file_and_line(
        root: Path, tmp_path: Path) -> None:
    cli("site", "install", str(make_pack(tmp_path / "good")))
    bad = make_pack(tmp_path / "bad", version="4.0.0")
    faq = bad / "faq.yaml"
    faq.write_text(faq.read_text().replace("intent: find_toilet", "intent: find_loo", 1))
    error = cli("site", "install", str(bad), code=1)["error"]
    assert error["code"] == "sitepack-invalid"
    assert "faq.yaml:" in error["message"] and "find_loo" in error["message"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("site", "install", str(empty), code=1)["error"]["code"] == "sitepack-invalid"
    assert cli("site", "show")["version"] == "3.0.0"
    assert not list((root / "var/lib/kiosk").glob(".site.*"))


def test_config_set_validates_keeps_previous_and_is_atomic(root: Path) -> None:
    assert cli("config", "set", "tts.length_scale", "1.2")["changed"] is True
    assert cli("config", "set", "tts.length_scale", "1.2")["changed"] is False
    changed = cli("config", "set", "tts.length_scale", "0.9")
    assert changed["previous"] == 1.2
    config = root / "etc/kiosk/kiosk.toml"
    assert "length_scale = 0.9" in config.read_text()
    assert "length_scale = 1.2" in (root / "etc/kiosk/kiosk.toml.prev").read_text()
    assert cli("config", "set", "vad.min_speech_ms", "soon", code=1)["error"]["code"] == \
        "config-invalid"
    assert cli("config", "set", "nope", "1", code=1)["error"]["code"] == "config-unknown-key"
    assert "length_scale = 0.9" in config.read_text()
    assert cli("config", "set", "asr.grammar", '["yes", "no"]')["value"] == ["yes", "no"]
    assert cli("config", "get", "asr.grammar")["value"] == ["yes", "no"]


def test_config_set_keeps_comments(root: Path) -> None:
    config = root / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# station 12, platform 2\n[tts]\nlength_scale = 1.0  # slower for seniors\n")
    cli("config", "set", "tts.length_scale", "1.1")
    text = config.read_text()
    assert "# station 12, platform 2" in text and "length_scale = 1.1" in text


def test_selftest_on_sim_twins(root: Path) -> None:
    report = cli("selftest", "--quick")
    assert report["overall"] in ("pass", "warn") and report["sim"] is True
    checks = {c["name"]: c for c in report["checks"]}
    assert set(checks) == {"microphone", "loopback", "camera", "sign", "display", "config",
                           "sitepack", "gpu", "models", "mqtt", "disk", "temperature"}
    assert checks["sign"]["status"] == "skip"  # [sign] input is off by default
    assert report["strict"] is False  # not enrolled: the sim twins are allowed
    assert checks["loopback"]["status"] == "pass" and checks["loopback"]["sim"] is True
    assert checks["loopback"]["data"]["snr_db"] > 15
    assert "sim twin" in checks["microphone"]["detail"]
    assert checks["models"]["status"] in ("pass", "warn")  # warn: encoder not built yet
    assert report["published"].startswith("not sent to the fleet")  # not enrolled here
    assert (root / "var/lib/kiosk/selftest/last.json").exists()


def test_selftest_fails_with_exit_status(root: Path) -> None:
    zone = root / "sys/class/thermal/thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "temp").write_text("97500\n")
    (zone / "type").write_text("GPU-therm\n")
    report = cli("selftest", "--only", "temperature", code=1)
    assert report["overall"] == "fail"
    assert report["checks"][0]["data"]["max_c"] == 97.5
    result = runner.invoke(app, ["selftest", "--only", "temperature"])
    assert result.exit_code == 1 and "overheating" in result.output


def test_selftest_unknown_check(root: Path) -> None:
    assert cli("selftest", "--only", "flux", code=2)["error"]["code"] == "bad-check"


def test_models_verify_checks_every_packaged_model(root: Path) -> None:
    result = runner.invoke(app, ["models", "verify", "--json"])
    report = json.loads(result.stdout)
    names = {m["name"] for m in report["models"]}
    assert {"silero-vad", "whisper-tiny-en", "piper-en-us-joe-medium"} <= names
    assert all(m["ok"] for m in report["models"] if m["name"] != "sentence-encoder")
    # The encoder is built by a recipe (`make models`), which an earlier test may or may
    # not have run; verify fails exactly when it is missing.
    encoder_ok = all(m["ok"] for m in report["models"])
    assert result.exit_code == (0 if encoder_ok else 1), result.output


def test_models_install_needs_the_right_signing_key(root: Path, tmp_path: Path) -> None:
    from appliance.runtime.bundle import create_bundle
    from appliance.runtime.bundle_format import generate_keypair

    priv, pub = generate_keypair(tmp_path / "keys")
    _, other = generate_keypair(tmp_path / "other")
    bundle = create_bundle(["silero-vad"], tmp_path / "vad.kbundle", priv, version=1)
    no_key = cli("models", "install", str(bundle), code=1)["error"]
    assert no_key["code"] == "no-signing-key"
    wrong = cli("models", "install", str(bundle), "--key", str(other), code=1)["error"]
    assert wrong["code"].startswith("bundle")
    assert not (root / "var/lib/kiosk/models/silero-vad").exists()  # nothing written
    done = cli("models", "install", str(bundle), "--key", str(pub))
    assert done["ok"] and done["models"] == ["silero-vad"]


def test_diagnostics_never_contain_the_key(root: Path, tmp_path: Path) -> None:
    cli("init")
    config = root / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True)
    config.write_text('site = "x"\n')
    made = cli("diagnostics", "--out", str(tmp_path))
    with tarfile.open(made["path"]) as tar:
        names = [Path(n).name for n in tar.getnames()]
        content = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]
    assert "device.csr" in names and "device.key" not in names
    assert b"PRIVATE KEY" not in content
    assert "status.json" in names and "versions.json" in names


def test_redaction() -> None:
    from provisioning.maintenance import redact

    assert redact({"mqtt": {"password": "hunter2", "host": "h"}, "api_key": "k"}) == \
        {"mqtt": {"password": "<redacted>", "host": "h"}, "api_key": "<redacted>"}


def test_factory_reset_asks_then_erases(root: Path, tmp_path: Path) -> None:
    cli("init")
    cli("site", "install", str(make_pack(tmp_path / "pack")))
    models = root / "var/lib/kiosk/models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "tiny.onnx").write_bytes(b"onnx")
    aborted = runner.invoke(app, ["factory-reset"], input="n\n")
    assert aborted.exit_code == 1 and (root / "var/lib/kiosk/identity/device.key").exists()
    done = cli("factory-reset", "--yes")
    assert not (root / "var/lib/kiosk/identity").exists()
    assert not (root / "var/lib/kiosk/site").exists()
    assert not (root / "etc/kiosk/kiosk.toml").exists()
    assert (models / "tiny.onnx").exists() and done["kept"]
    assert cli("init")["created"] is True


def test_firstboot_creates_identity_once(root: Path) -> None:
    first = cli("firstboot")
    assert first["identity"]["created"] is True
    assert cli("firstboot")["identity"]["created"] is False


def test_enroll_installs_the_update_signing_key_when_the_bundle_has_one(root: Path,
                                                                       tmp_path: Path) -> None:
    from appliance.runtime.bundle_format import generate_keypair
    from appliance.telemetry.update import trust_key_path

    cli("init")
    bundle = make_bundle(tmp_path / "usb/kiosk", root)
    assert cli("enroll", str(bundle))["update_key"] is None
    _priv, pub = generate_keypair(tmp_path / "keys")
    (bundle / "bundle-signing.pub").write_bytes(pub.read_bytes())
    done = cli("enroll", str(bundle))
    assert done["changed"] is True and done["update_key"] == str(trust_key_path())
    assert trust_key_path().read_bytes() == pub.read_bytes()
    (bundle / "bundle-signing.pub").write_bytes(b"-----BEGIN PUBLIC KEY-----\nnot a key\n")
    assert cli("enroll", str(bundle), code=1)["error"]["code"] == "bundle-invalid"
    assert trust_key_path().read_bytes() == pub.read_bytes()


def _camera_config(root: Path, source: str, sim_source: str = "") -> None:
    config = root / "etc/kiosk/kiosk.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[camera]\nenabled = true\nsource = "{source}"\n'
                      f'sim_source = "{sim_source}"\n')


def test_selftest_camera_uses_the_configured_camera_and_detector(
        root: Path, tmp_path: Path) -> None:
    import cv2
    from skimage import data

    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0001.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    _camera_config(root, "sim", str(frames))
    check = cli("selftest", "--only", "camera")["checks"][0]
    assert check["status"] == "pass" and check["data"]["faces"] >= 1
    _camera_config(root, str(tmp_path / "no-such-camera"))
    failed = cli("selftest", "--only", "camera", code=1)["checks"][0]
    assert failed["status"] == "fail" and "no-such-camera" in failed["detail"]
