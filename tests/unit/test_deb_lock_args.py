"""The .deb's postinst installs from the lock file of the machine it lands on.

``provisioning/debian/pip-lock-args`` is the postinst's choice, kept apart so it runs here
for both architectures without installing anything.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from provisioning import debbuild

HELPER = debbuild.SOURCE / "provisioning/debian/pip-lock-args"
LOCKS = debbuild.SOURCE / "requirements"
pytestmark = pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")


def lock_args(machine: str, pyver: str, wheelhouse: Path | None = None,
              **env: str) -> subprocess.CompletedProcess[str]:
    args = ["sh", str(HELPER), machine, pyver]
    if wheelhouse is not None:
        args.append(str(wheelhouse))
    return subprocess.run(args, capture_output=True, text=True, timeout=30, check=False,
                          env={**os.environ, "KIOSK_LOCK_DIR": str(LOCKS), **env})


def option(lines: list[str], flag: str) -> list[str]:
    """Every value that follows ``flag`` in pip's argument list."""
    return [lines[i + 1] for i, arg in enumerate(lines[:-1]) if arg == flag]


def test_jetson_gets_the_aarch64_lock_with_jetpack_constraints() -> None:
    done = lock_args("aarch64", "3.10")
    assert done.returncode == 0, done.stderr
    args = done.stdout.splitlines()
    assert option(args, "-r") == [str(LOCKS / "jetson-aarch64-py310.txt")]
    assert option(args, "-c") == [str(LOCKS / "jetson-constraints.txt")]
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(args)
    assert "--no-index" not in args  # no wheelhouse given: from the index


def test_pc_gets_the_x86_lock_without_jetpack_constraints() -> None:
    done = lock_args("x86_64", "3.11")
    assert done.returncode == 0, done.stderr
    args = done.stdout.splitlines()
    assert option(args, "-r") == [str(LOCKS / "linux-x86_64-py311.txt")]
    assert option(args, "-c") == []
    assert {"--require-hashes", "--no-deps"} <= set(args)


def test_a_shipped_wheelhouse_makes_the_install_offline(tmp_path: Path) -> None:
    args = lock_args("aarch64", "3.10", tmp_path).stdout.splitlines()
    assert "--no-index" in args and option(args, "--find-links") == [str(tmp_path)]
    missing = lock_args("aarch64", "3.10", tmp_path / "absent").stdout.splitlines()
    assert "--no-index" not in missing


def test_a_machine_without_a_lock_is_refused_unless_asked() -> None:
    refused = lock_args("x86_64", "3.12")
    assert refused.returncode == 3 and refused.stdout == ""
    assert "no lock file for x86_64 / Python 3.12" in refused.stderr
    unlocked = lock_args("riscv64", "3.12", KIOSK_DEB_UNLOCKED="1",
                         KIOSK_UNLOCKED_REQUIREMENTS="/r.txt")
    assert unlocked.returncode == 0 and unlocked.stdout.splitlines() == ["-r", "/r.txt"]


REQ = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)")


@pytest.mark.parametrize("lock", ["jetson-aarch64-py310.txt", "linux-x86_64-py311.txt"])
def test_every_locked_requirement_is_pinned_with_hashes(lock: str) -> None:
    """``--require-hashes`` refuses the whole install over one bare line, so none may exist."""
    entries: dict[str, int] = {}
    versions: dict[str, str] = {}
    current = ""
    for line in (LOCKS / lock).read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        match = REQ.match(text)
        if match:
            current = match.group(1).lower()
            entries[current] = 0
            versions[current] = match.group(2)
        elif text.startswith("--hash=sha256:"):
            entries[current] += 1
        else:
            pytest.fail(f"{lock}: unexpected line {text!r}")
    assert entries and all(count > 0 for count in entries.values()), entries
    if lock.startswith("jetson"):
        # JetPack's GPU builds are seen through system site packages, never shadowed
        assert not {"onnxruntime", "opencv-python-headless", "tensorrt"} & set(entries)
        assert versions["numpy"].startswith("1.")  # what JetPack's builds are compiled for


def test_the_postinst_uses_the_helper_it_ships() -> None:
    postinst = (debbuild.SOURCE / "provisioning/debian/postinst").read_text()
    assert "/usr/lib/kiosk/pip-lock-args" in postinst
    assert "requirements.txt" not in postinst  # the open ranges only through the helper
    assert set(debbuild.LOCKS) == {p.name for p in LOCKS.glob("*.txt")}
