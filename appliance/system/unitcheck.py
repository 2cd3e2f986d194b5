"""Checks of the kiosk's systemd units with ``systemd-analyze``, offline.

Neither check needs a running systemd: ``verify`` runs against a throwaway
root holding the host's own unit files, the kiosk units and stub executables
for the commands the units start (so the check works before the kiosk is
installed), and ``security --offline=true`` scores a unit file by itself.
Used by the tests and by ``appliance/bench/system.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SERVICES = ("kiosk.service", "kiosk-display.service", "kiosk-firstboot.service",
            "kiosk-bootloop-guard.service")
"""The units the appliance ships (in ``systemd/`` of the source tree)."""

HOST_UNITS = Path("/usr/lib/systemd/system")
_EXPOSURE = re.compile(r"Overall exposure level for \S+:\s*([0-9.]+)")


def units_dir() -> Path:
    """The ``systemd/`` folder of the source tree, else the installed unit folder."""
    source = Path(__file__).resolve().parents[2] / "systemd"
    return source if (source / "kiosk.service").exists() else HOST_UNITS


def analyzer() -> str | None:
    """Path of ``systemd-analyze``, or None when this machine has none."""
    return shutil.which("systemd-analyze")


@dataclass(frozen=True)
class VerifyResult:
    unit: str
    ok: bool
    output: str
    """Everything systemd-analyze said (empty when the unit is clean)."""


def exec_commands(unit: Path) -> list[str]:
    """The absolute executables named by ``Exec*=`` lines of a unit file."""
    commands = []
    for line in unit.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().startswith("Exec") and value.strip():
            program = value.strip().lstrip("-@:+!").split()[0]
            if program.startswith("/"):
                commands.append(program)
    return commands


def make_verify_root(root: Path, units: list[Path]) -> None:
    """Fill ``root`` with the host's units, ``units`` and stubs for their commands."""
    target = root / "usr/lib/systemd/system"
    target.parent.mkdir(parents=True, exist_ok=True)
    if HOST_UNITS.is_dir():
        shutil.copytree(HOST_UNITS, target, symlinks=True, dirs_exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    for unit in units:
        shutil.copyfile(unit, target / unit.name)
        for command in exec_commands(unit):
            stub = root / command.lstrip("/")
            if not stub.exists():
                stub.parent.mkdir(parents=True, exist_ok=True)
                stub.write_text("#!/bin/sh\nexit 0\n")
                stub.chmod(0o755)


def verify(units: list[Path], root: Path | None = None) -> list[VerifyResult]:
    """``systemd-analyze verify`` each unit; any output at all counts as a failure.

    With ``root`` (an installed tree such as an unpacked .deb) the units are
    checked there as they are; otherwise a stub root is made.
    """
    tool = analyzer()
    if tool is None:
        raise FileNotFoundError("systemd-analyze is not installed")
    with tempfile.TemporaryDirectory(prefix="kiosk-verify-") as tmp:
        if root is None:
            root = Path(tmp)
            make_verify_root(root, units)
        results = []
        for unit in units:
            proc = subprocess.run(
                [tool, "verify", f"--root={root}", "--man=no", "--generators=no", unit.name],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            output = (proc.stdout + proc.stderr).strip()
            results.append(VerifyResult(unit.name, proc.returncode == 0 and not output, output))
        return results


def security_exposure(unit: Path) -> float:
    """The overall exposure (0 = locked down .. 10 = unprotected) of one unit file."""
    tool = analyzer()
    if tool is None:
        raise FileNotFoundError("systemd-analyze is not installed")
    proc = subprocess.run(
        [tool, "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = _EXPOSURE.search(proc.stdout + proc.stderr)
    if match is None:
        raise RuntimeError(f"systemd-analyze security gave no score for {unit.name}: "
                           f"{(proc.stdout + proc.stderr).strip()[-300:]}")
    return float(match.group(1))
