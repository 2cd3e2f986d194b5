"""Bundle versions and the trust store: no downgrade or replay, a rotation key, revocation.

Every refusal happens before anything is written: the installed model and the overlay
(which records each model's bundle version) are byte-for-byte what they were.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from test_runtime_bundle import MANIFEST, _rewrite

from appliance.runtime.bundle import create_bundle, generate_keypair, install_bundle, verify_bundle
from appliance.runtime.bundle_format import load_private_key, load_public_key
from appliance.runtime.bundle_trust import (
    TrustStore,
    fingerprint,
    installed_versions,
    next_key_path,
    revoked_path,
)
from appliance.runtime.errors import BundleError
from appliance.runtime.manifest import overlay_path
from appliance.runtime.store import installed_dir, sha256_file
from appliance.runtime.testing import tiny_onnx


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The tiny model in a package, its manifest, a key pair, a version-3 bundle, and an
    empty device root (as in test_runtime_bundle)."""
    pkg = tmp_path / "site-packages" / "kiosk_tiny_models"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    model = tiny_onnx(pkg / "data" / "tiny.onnx")
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(MANIFEST.format(sha=sha256_file(model)))
    monkeypatch.syspath_prepend(str(tmp_path / "site-packages"))
    sys.modules.pop("kiosk_tiny_models", None)
    monkeypatch.setenv("KIOSK_MODEL_MANIFEST", str(manifest))
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "build-root"))
    priv, pub = generate_keypair(tmp_path / "keys")
    bundle = create_bundle(["tiny"], tmp_path / "usb" / "site.kbundle", priv, version=3)
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "device"))
    return {"bundle": bundle, "pub": pub, "device": tmp_path / "device"}


def _bundle(site: dict[str, Path], tmp_path: Path, version: int, *, key: Path | None = None,
            name: str = "") -> Path:
    """Another bundle of the tiny model, built on the build machine's root."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KIOSK_ROOT", str(tmp_path / "build-root"))
        out = tmp_path / "usb" / (name or f"tiny-{version}.kbundle")
        bundle = create_bundle(["tiny"], out, key or site["bundle"].parent.parent / "keys" /
                               "bundle-signing.key", version=version)
    return bundle  # the context restored KIOSK_ROOT to the device's


def _device_state() -> tuple[bytes, bytes]:
    return ((installed_dir("tiny") / "tiny.onnx").read_bytes(), overlay_path().read_bytes())


def test_the_installed_version_is_recorded_and_an_older_bundle_is_refused(
        site: dict[str, Path], tmp_path: Path) -> None:
    newer = install_bundle(site["bundle"], site["pub"])  # version 3 (the fixture's)
    assert newer.version == 3
    assert newer.signed_by == fingerprint(load_public_key(site["pub"]))
    assert installed_versions()["tiny"]["version"] == 3
    before = _device_state()
    older = _bundle(site, tmp_path, 2)
    with pytest.raises(BundleError, match="older than the installed 3") as err:
        verify_bundle(older, site["pub"])
    assert err.value.code == "bundle-downgrade"
    with pytest.raises(BundleError) as err:
        install_bundle(older, site["pub"])
    assert err.value.code == "bundle-downgrade"
    assert _device_state() == before
    later = install_bundle(_bundle(site, tmp_path, 4), site["pub"])
    assert later.version == 4 and installed_versions()["tiny"]["version"] == 4


def test_a_version_is_never_reused_for_other_content_but_the_same_bundle_repairs(
        site: dict[str, Path], tmp_path: Path) -> None:
    install_bundle(site["bundle"], site["pub"])
    before = _device_state()
    priv = load_private_key(site["bundle"].parent.parent / "keys" / "bundle-signing.key")

    def republish(m: dict[str, bytes]) -> None:  # same version 3, another signed index
        index = json.loads(m["bundle.json"])
        index["created"] = "2031-01-01T00:00:00Z"
        m["bundle.json"] = json.dumps(index).encode()
        m["bundle.sig"] = priv.sign(m["bundle.json"])

    other = _rewrite(site["bundle"], tmp_path / "other-3.kbundle", republish)
    with pytest.raises(BundleError, match="never reused") as err:
        install_bundle(other, site["pub"])
    assert err.value.code == "bundle-downgrade" and _device_state() == before
    (installed_dir("tiny") / "tiny.onnx").write_bytes(b"damaged")
    install_bundle(site["bundle"], site["pub"])  # the very bundle: a repair
    assert _device_state() == before


def test_an_unversioned_bundle_is_refused(site: dict[str, Path], tmp_path: Path) -> None:
    priv = load_private_key(site["bundle"].parent.parent / "keys" / "bundle-signing.key")

    def format_one(m: dict[str, bytes]) -> None:
        index = json.loads(m["bundle.json"])
        index["format"] = 1
        del index["version"]
        m["bundle.json"] = json.dumps(index).encode()
        m["bundle.sig"] = priv.sign(m["bundle.json"])  # properly signed, yet replayable

    old = _rewrite(site["bundle"], tmp_path / "v1.kbundle", format_one)
    with pytest.raises(BundleError, match="format 1 is not 2"):
        install_bundle(old, site["pub"])
    assert not overlay_path().exists()


def test_a_rotation_key_beside_the_current_one_is_trusted(site: dict[str, Path],
                                                          tmp_path: Path) -> None:
    new_priv, new_pub = generate_keypair(tmp_path / "new-keys")
    trust = tmp_path / "identity" / "update-signing.pub"
    trust.parent.mkdir()
    shutil.copy(site["pub"], trust)
    rotated = _bundle(site, tmp_path, 5, key=new_priv)
    with pytest.raises(BundleError, match="signature does not verify"):
        verify_bundle(rotated, trust)
    shutil.copy(new_pub, next_key_path(trust))
    assert next_key_path(trust).name == "update-signing.next.pub"
    info = install_bundle(rotated, trust)
    assert info.signed_by == fingerprint(load_public_key(new_pub))
    assert len(TrustStore.from_key_file(trust).keys) == 2


def test_a_revoked_key_is_refused_even_while_installed(site: dict[str, Path],
                                                       tmp_path: Path) -> None:
    trust = tmp_path / "identity" / "update-signing.pub"
    trust.parent.mkdir()
    shutil.copy(site["pub"], trust)
    revoked = revoked_path(trust)
    assert revoked.name == "update-signing.revoked"
    revoked.write_text(f"# leaked 2026-11-30\n{fingerprint(load_public_key(trust))}\n")
    with pytest.raises(BundleError, match="revoked") as err:
        install_bundle(site["bundle"], trust)
    assert err.value.code == "bundle-key-revoked"
    assert not installed_dir("tiny").exists() and not overlay_path().exists()


def test_a_malformed_revocation_list_fails_closed(site: dict[str, Path],
                                                  tmp_path: Path) -> None:
    trust = tmp_path / "identity" / "update-signing.pub"
    trust.parent.mkdir()
    shutil.copy(site["pub"], trust)
    revoked_path(trust).write_text("not-a-fingerprint\n")
    with pytest.raises(BundleError, match=r"update-signing\.revoked:1") as err:
        install_bundle(site["bundle"], trust)
    assert err.value.code == "bundle-trust-invalid"
    assert not installed_dir("tiny").exists()
