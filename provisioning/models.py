"""``models verify/install/build``: the technician's face of ``appliance.runtime``.

``progress`` is called as ``progress(description, fraction)`` with 0..1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.settings import state_dir
from provisioning.errors import ProvisionError

Progress = Callable[[str, float], None]


def signing_key_path() -> Path:
    """The public key model/site bundles must be signed with (installed at enrolment)."""
    return state_dir() / "identity" / "update-signing.pub"


def verify() -> list[dict[str, Any]]:
    """Every model's files checked against the manifest's sha256."""
    from appliance.runtime.manifest import load_manifest
    from appliance.runtime.store import verify_all

    manifest = load_manifest()
    report = verify_all(manifest)
    kinds = {spec.name: spec.source.kind for spec in manifest}
    return [{"name": m.name, "ok": m.ok, "location": m.location, "files": m.files,
             "source": kinds.get(m.name, ""),
             # a recipe model not built yet is built by the kiosk at first start
             "built": bool(m.location) and Path(m.location).exists(),
             "optional": m.optional, "installed": m.installed,
             "detail": _detail(m)}
            for m in report.models]


def _detail(m: Any) -> str:
    if m.problems:
        return "; ".join(m.problems)
    if not m.installed:
        return "optional, not installed (a test or site model)"
    if m.optional and not m.files:
        return "optional, not built yet (built when a site first loads it)"
    return f"{m.files} files match"


def install(bundle: Path, progress: Progress | None = None,
            key: Path | None = None) -> dict[str, Any]:
    """Install a signed bundle offline; nothing is written unless it verifies."""
    from dataclasses import asdict

    from appliance.runtime.bundle import install_bundle

    if not bundle.exists():
        raise ProvisionError(f"no model bundle at {bundle}", code="bad-input",
                             hint="give the bundle's path (e.g. on the USB stick)")
    key = key or signing_key_path()
    if not key.exists():
        raise ProvisionError(f"no bundle signing key at {key}", code="no-signing-key",
                             hint="pass --key PUBKEY, or enroll with a bundle that has one")
    if progress:
        progress("verifying signature and hashes", 0.1)
    info = install_bundle(bundle, key)
    if progress:
        progress("installed", 1.0)
    return asdict(info)


def build(progress: Progress | None = None) -> list[dict[str, Any]]:
    """Build the recipe models (cached) and, where TensorRT exists, their engines."""
    from appliance.runtime.manifest import load_manifest
    from appliance.runtime.recipes import build_engines_for, ensure_built

    specs = [s for s in load_manifest() if s.source.kind == "recipe"]
    results: list[dict[str, Any]] = []
    for i, spec in enumerate(specs):
        def say(msg: str, i: int = i, name: str = spec.name) -> None:
            if progress:
                progress(f"{name}: {msg}", (i + 0.5) / len(specs))

        folder = ensure_built(spec, say)
        engines = build_engines_for(spec, say)
        results.append({"name": spec.name, "path": str(folder), "engines": engines})
    if progress:
        progress("done", 1.0)
    return results
