"""Jetson readiness: do the runtime dependencies install on JetPack 6 from wheels?

JetPack 6 is Ubuntu 22.04 on aarch64 with Python 3.10 and glibc 2.35. This
resolves the project's runtime dependencies (``[project.dependencies]`` plus
the ``audio`` extra, transitively) for that target with ``pip install
--dry-run --only-binary=:all:``, so nothing needs a compiler on the device.
A dependency without a wheel fails the check by name, unless the
:data:`ALLOWLIST` says how the device gets it instead (a Debian/Ubuntu
package, or a pure-Python source distribution). The allowlisted ones are
replaced by empty stub wheels so the rest of the tree still resolves.

``python -m provisioning.wheelcheck`` (``make check-aarch64``); needs PyPI.
Limitation: pip evaluates the markers of *transitive* dependencies for the
interpreter running it, so a Python-3.10-only dependency of a dependency is
checked only when this runs on Python 3.10.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from provisioning.tomlcompat import tomllib

PYTHON = "3.10"
GLIBC_MINOR = 35  # Ubuntu 22.04
PLATFORMS = [f"manylinux_2_{v}_aarch64" for v in range(17, GLIBC_MINOR + 1)] + [
    "manylinux2014_aarch64"]
TARGET_ENV = {"python_version": PYTHON, "python_full_version": PYTHON + ".12",
              "platform_machine": "aarch64", "sys_platform": "linux", "os_name": "posix",
              "platform_system": "Linux", "implementation_name": "cpython",
              "platform_python_implementation": "CPython"}
RUNTIME_EXTRAS = ("audio",)

ALLOWLIST: dict[str, str] = {
    "pyaudio": "no aarch64 wheel on PyPI; the device uses Ubuntu's python3-pyaudio "
               "(apt install python3-pyaudio), seen through the venv's system site-packages",
    "systemd-python": "source only on PyPI; the device uses Ubuntu's python3-systemd",
    "srt": "pure-Python source distribution (a vosk dependency): builds on any "
           "architecture without a compiler",
}
"""Dependencies allowed to lack an aarch64 wheel, with how the device gets them."""

JETPACK: dict[str, str] = {
    "tensorrt": "JetPack (nvidia-tensorrt, python3-libnvinfer); not on PyPI for Jetson",
    "pycuda": "built against JetPack's CUDA on the device, or the Jetson AI Lab index",
    "onnxruntime-gpu": "Jetson AI Lab index wheels (CUDA/TensorRT EP) replace onnxruntime",
}
"""The ``[jetson]`` extra and GPU builds JetPack provides; not resolved from PyPI."""

_MISSING = [re.compile(r"No matching distribution found for ([A-Za-z0-9_.\-]+)"),
            re.compile(r"no matching distributions available for your environment:\s*\n\s*"
                       r"([A-Za-z0-9_.\-]+)")]


def runtime_requirements(pyproject: Path) -> list[Requirement]:
    """The runtime requirements that apply on the target (markers evaluated)."""
    project = tomllib.loads(pyproject.read_text())["project"]
    raw = list(project.get("dependencies", []))
    for extra in RUNTIME_EXTRAS:
        raw += project.get("optional-dependencies", {}).get(extra, [])
    reqs = [Requirement(r) for r in raw]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(TARGET_ENV)]


def unmarked(req: Requirement) -> str:
    """The requirement without its marker (already evaluated for the target here;
    pip would evaluate it for the interpreter running pip)."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"


def stub_wheel(folder: Path, name: str) -> Path:
    """An empty wheel standing in for a dependency the device gets elsewhere."""
    dist = canonicalize_name(name).replace("-", "_")
    version = "9999"
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{info}/METADATA",
                     f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: kiosk\n"
                                      "Root-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{info}/RECORD", "")
    return path


def pip_resolve(reqs: list[str], stubs: Path, work: Path) -> tuple[dict[str, Any] | None, str]:
    """One dry-run resolution for the target: (pip's report, or None; pip's messages)."""
    report = work / "report.json"
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
           "--only-binary=:all:", "--python-version", PYTHON, "--implementation", "cp",
           "--abi", "cp310", "--abi", "abi3", "--abi", "none", "--target", str(work / "t"),
           "--find-links", str(stubs), "--report", str(report), "--quiet",
           "--disable-pip-version-check"]
    for platform in PLATFORMS:
        cmd += ["--platform", platform]
    proc = subprocess.run([*cmd, *reqs], capture_output=True, text=True, timeout=600, check=False)
    messages = "\n".join(line for line in (proc.stdout + proc.stderr).splitlines()
                         if not line.startswith("WARNING: Location"))
    if proc.returncode != 0 or not report.exists():
        return None, messages
    return json.loads(report.read_text()), messages


def missing_names(messages: str) -> list[str]:
    names = []
    for pattern in _MISSING:
        names += [canonicalize_name(m.rstrip(".")) for m in pattern.findall(messages)]
    return sorted(set(names))


def check(pyproject: Path, max_rounds: int = 12) -> dict[str, Any]:
    """Resolve; every dependency lacking a wheel is named, allowlisted or not."""
    reqs = runtime_requirements(pyproject)
    stubbed: set[str] = {str(canonicalize_name(r.name)) for r in reqs} & set(ALLOWLIST)
    missing: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="kiosk-wheelcheck-") as tmp:
        work = Path(tmp)
        stubs = work / "stubs"
        stubs.mkdir()
        report: dict[str, Any] | None = None
        messages = ""
        for _ in range(max_rounds):
            for name in stubbed | missing:
                if not list(stubs.glob(f"{canonicalize_name(name).replace('-', '_')}-*.whl")):
                    stub_wheel(stubs, name)
            report, messages = pip_resolve([unmarked(r) for r in reqs], stubs, work)
            if report is not None:
                break
            new = set(missing_names(messages)) - stubbed - missing
            if not new:
                break
            for name in new:
                (stubbed if name in ALLOWLIST else missing).add(name)
    resolved = {}
    for item in (report or {}).get("install", []):
        name = canonicalize_name(item["metadata"]["name"])
        if name not in stubbed and name not in missing:
            resolved[name] = item["download_info"]["url"].rsplit("/", 1)[-1]
    ok = report is not None and not missing
    return {
        "ok": ok,
        "target": f"cp310 manylinux aarch64 (glibc 2.{GLIBC_MINOR}, JetPack 6)",
        "missing": sorted(missing),
        "allowlisted": {name: ALLOWLIST[name] for name in sorted(stubbed)},
        "jetpack_provides": JETPACK,
        "resolved": dict(sorted(resolved.items())),
        "pip_messages": "" if ok else messages[-3000:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args(argv)
    result = check(args.pyproject)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"aarch64 wheel check for {result['target']}:")
        for name, wheel in result["resolved"].items():
            print(f"  ok        {name:28} {wheel}")
        for name, reason in result["allowlisted"].items():
            print(f"  provided  {name:28} {reason}")
        for name in result["missing"]:
            print(f"  MISSING   {name:28} no aarch64/cp310 wheel and not allowlisted")
        if not result["ok"]:
            print(result["pip_messages"] if not result["missing"] else "", file=sys.stderr)
            print("FAILED: " + (", ".join(result["missing"]) or "resolution failed"))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
