"""Signed model bundles: a good one installs; tampered/unsigned/wrong-key ones write nothing."""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

import pytest

from appliance.runtime.bundle import create_bundle, generate_keypair, install_bundle, verify_bundle
from appliance.runtime.errors import BundleError
from appliance.runtime.manifest import load_manifest
from appliance.runtime.store import installed_dir, resolve, sha256_file, verify_model
from appliance.runtime.testing import tiny_onnx

MANIFEST = """
[models.tiny]
version = "1"
format = "onnx"
licence = "CC0-1.0"
variants = {{ fp32 = "tiny.onnx" }}
[models.tiny.source]
kind = "package"
package = "kiosk-tiny-models"
module = "kiosk_tiny_models"
path = "data"
[models.tiny.files]
"tiny.onnx" = "{sha}"
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A build machine with the tiny model + manifest, a key pair, and an empty device root."""
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
    _, other_pub = generate_keypair(tmp_path / "other-keys")
    bundle = create_bundle(["tiny"], tmp_path / "usb" / "site.kbundle", priv, version=3)
    device = tmp_path / "device"
    monkeypatch.setenv("KIOSK_ROOT", str(device))
    return {"bundle": bundle, "pub": pub, "other_pub": other_pub, "device": device,
            "model": model}


def _rewrite(src: Path, dst: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    """Copy a tar, letting ``edit(dict name->bytes)`` change its members."""
    with tarfile.open(src) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    edit(members)
    with tarfile.open(dst, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return dst


def _nothing_written(device: Path) -> bool:
    return not (device / "var/lib/kiosk/models").exists() or not any(
        p for p in (device / "var/lib/kiosk/models").iterdir()
    )


def test_a_signed_bundle_verifies_and_installs(site: dict[str, Path]) -> None:
    info = verify_bundle(site["bundle"], site["pub"])
    assert info.models == ["tiny"] and info.files == 3  # model, its sidecar, the manifest
    assert _nothing_written(site["device"])
    installed = install_bundle(site["bundle"], site["pub"])
    folder = installed_dir("tiny")
    assert (folder / "tiny.onnx").read_bytes() == site["model"].read_bytes()
    assert installed.installed_to == str(folder.parent)
    spec = load_manifest()["tiny"]
    assert resolve(spec) == folder / "tiny.onnx"  # the installed copy wins
    assert verify_model(spec).ok
    again = install_bundle(site["bundle"], site["pub"])  # reinstall replaces atomically
    assert again.replaced == ["tiny"] and not list(folder.parent.glob(".staging-*"))


def test_a_tampered_model_file_is_rejected_before_writing(site: dict[str, Path],
                                                          tmp_path: Path) -> None:
    def flip(m: dict[str, bytes]) -> None:
        m["models/tiny/tiny.onnx"] = m["models/tiny/tiny.onnx"][:-1] + b"\x00"

    bad = _rewrite(site["bundle"], tmp_path / "bad.kbundle", flip)
    with pytest.raises(BundleError, match=r"models/tiny/tiny\.onnx sha256") as err:
        install_bundle(bad, site["pub"])
    assert err.value.code == "bundle-rejected"
    assert _nothing_written(site["device"])


def test_a_tampered_index_fails_the_signature(site: dict[str, Path], tmp_path: Path) -> None:
    def forge(m: dict[str, bytes]) -> None:
        index = json.loads(m["bundle.json"])
        index["created"] = "2030-01-01T00:00:00Z"
        m["bundle.json"] = json.dumps(index).encode()

    bad = _rewrite(site["bundle"], tmp_path / "forged.kbundle", forge)
    with pytest.raises(BundleError, match="signature does not verify"):
        install_bundle(bad, site["pub"])
    assert _nothing_written(site["device"])


def test_an_unsigned_bundle_is_rejected(site: dict[str, Path], tmp_path: Path) -> None:
    bad = _rewrite(site["bundle"], tmp_path / "unsigned.kbundle", lambda m: m.pop("bundle.sig"))
    with pytest.raises(BundleError, match="unsigned"):
        install_bundle(bad, site["pub"])
    assert _nothing_written(site["device"])


def test_a_bundle_signed_by_another_key_is_rejected(site: dict[str, Path]) -> None:
    with pytest.raises(BundleError, match="another key"):
        install_bundle(site["bundle"], site["other_pub"])
    assert _nothing_written(site["device"])


def test_unsafe_or_unlisted_members_are_rejected(site: dict[str, Path], tmp_path: Path) -> None:
    def extra(m: dict[str, bytes]) -> None:
        m["models/tiny/extra.bin"] = b"surprise"

    with pytest.raises(BundleError, match="not in the signed index"):
        install_bundle(_rewrite(site["bundle"], tmp_path / "x.kbundle", extra), site["pub"])

    def escape(m: dict[str, bytes]) -> None:
        m["../../etc/cron.d/evil"] = b"* * * * * root true"

    with pytest.raises(BundleError, match="unsafe path"):
        install_bundle(_rewrite(site["bundle"], tmp_path / "y.kbundle", escape), site["pub"])
    link = tmp_path / "link.kbundle"
    with tarfile.open(site["bundle"]) as src, tarfile.open(link, "w") as dst:
        for m in src.getmembers():
            dst.addfile(m, src.extractfile(m))
        sym = tarfile.TarInfo("models/tiny/link")
        sym.type, sym.linkname = tarfile.SYMTYPE, "/etc/shadow"
        dst.addfile(sym)
    with pytest.raises(BundleError, match="not a regular file"):
        install_bundle(link, site["pub"])
    (tmp_path / "junk.kbundle").write_bytes(b"not a tar at all")
    with pytest.raises(BundleError, match="not a readable bundle"):
        install_bundle(tmp_path / "junk.kbundle", site["pub"])
    assert _nothing_written(site["device"])


def test_bad_model_files_are_never_bundled(site: dict[str, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ROOT", str(tmp_path / "build-root"))
    site["model"].write_bytes(site["model"].read_bytes() + b"\0")
    with pytest.raises(BundleError, match="refusing to bundle tiny"):
        create_bundle(["tiny"], tmp_path / "never.kbundle", tmp_path / "keys/bundle-signing.key",
                      version=4)
