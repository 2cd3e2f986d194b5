"""Build the appliance's Debian package (``make deb``) with ``dpkg-deb``.

What goes where (the places systemd and Debian expect)::

    /usr/lib/kiosk/python/{appliance,hw,provisioning}   the code
    /usr/lib/kiosk/python/models/manifest.toml, recipes/  the model manifest (hashes, shapes)
    /usr/lib/kiosk/python/models/sitepacks/metro-demo   the bundled site pack (of its eval/,
                                                        only the tuning sets the runtime reads)
    /usr/lib/kiosk/python/models/prebuilt/<model>/<key>/  recipe models built by `make models`
                                                        (the device has no torch to build them)
    /usr/lib/kiosk/requirements/*.txt                   lock files (hashes), JetPack constraints
    /usr/lib/kiosk/pip-lock-args                        picks the lock for the machine (postinst)
    /usr/lib/kiosk/requirements.txt                     open ranges (only with KIOSK_DEB_UNLOCKED=1)
    /usr/bin/kiosk, /usr/bin/kiosk-provision            wrappers (venv python + code)
    /usr/lib/systemd/system/kiosk*.service              the units
    /usr/lib/sysusers.d/kiosk.conf, /usr/lib/tmpfiles.d/kiosk.conf
    /etc/kiosk/kiosk.toml                               default config (a conffile)
    /usr/share/kiosk/kiosk.toml                         pristine copy for factory-reset
    /usr/share/doc/kiosk/README.md

The postinst creates the user and directories (systemd-sysusers,
systemd-tmpfiles), the venv in ``/usr/lib/kiosk/venv`` (with the system
site-packages, so JetPack's TensorRT/pycuda and Ubuntu's python3-pyaudio and
python3-systemd are seen), installs the lock file for the machine's architecture
with ``--require-hashes`` (offline from ``/usr/lib/kiosk/wheelhouse`` when a
factory image ships one) and enables the units. It honours ``DPKG_ROOT``
(``dpkg --root --force-script-chrootless``), which is how the test installs
the package into a throwaway root.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from provisioning.tomlcompat import tomllib

SOURCE = Path(__file__).resolve().parents[1]
PACKAGE = "kiosk"
PACKAGES = ("appliance", "hw", "provisioning")
FROM_DEBIAN = {"pyaudio", "systemd-python"}
"""PyPI requirements the device takes from Debian/Ubuntu packages instead (Depends)."""

CONTROL = """\
Package: {package}
Version: {version}
Architecture: all
Maintainer: Kiosk appliance team <kiosk@localhost>
Section: misc
Priority: optional
Depends: python3 (>= 3.10), python3-venv, systemd (>= 249)
Recommends: python3-systemd, python3-pyaudio, libportaudio2, cage, ffmpeg, espeak-ng
Description: conversational digital-human kiosk appliance
 The on-device orchestrator (kiosk.service), the kiosk display session
 (kiosk-display.service, cage) and the technician's provisioning tool
 (kiosk-provision), with a first-boot service that gives the device its
 identity.
"""

WRAPPER = """\
#!/bin/sh
# {name}: runs the kiosk's Python code with the kiosk venv.
export PYTHONPATH=/usr/lib/kiosk/python${{PYTHONPATH:+:$PYTHONPATH}}
PY=/usr/lib/kiosk/venv/bin/python3
[ -x "$PY" ] || PY=python3
exec "$PY" -m {module} "$@"
"""

DEFAULT_CONFIG = """\
# Kiosk settings. Missing keys take their defaults; see every key and value with
#   kiosk-provision config get
# and change one (validated, the previous file kept as kiosk.toml.prev) with
#   kiosk-provision config set tts.length_scale 1.1
# then: systemctl restart kiosk
"""

UNITS = ("kiosk.service", "kiosk-display.service", "kiosk-firstboot.service")
STATIC_UNITS = ("kiosk-bootloop-guard.service",)
"""Units shipped but not enabled: kiosk.service starts the guard (``OnFailure=``)."""
LOCKS = ("jetson-aarch64-py310.txt", "jetson-constraints.txt", "linux-x86_64-py311.txt")
"""``requirements/`` files the postinst may install from (``debian/pip-lock-args`` picks)."""


def version() -> str:
    return str(tomllib.loads((SOURCE / "pyproject.toml").read_text())["project"]["version"])


def requirements() -> list[str]:
    project = tomllib.loads((SOURCE / "pyproject.toml").read_text())["project"]
    reqs = []
    for req in project["dependencies"]:
        name = req.split(";")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
        if name not in FROM_DEBIAN:
            reqs.append(req)
    return reqs


def script(name: str) -> str:
    return (Path(__file__).resolve().parent / "debian" / name).read_text()


def _copy_code(stage: Path) -> None:
    target = stage / "usr/lib/kiosk/python"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "debian")
    for package in PACKAGES:
        shutil.copytree(SOURCE / package, target / package, ignore=ignore)


SITEPACKS = ("metro-demo",)
"""Site packs the firmware ships (``appliance.sitepack.bundled_sitepack_dir``)."""


def runtime_eval_files() -> frozenset[str]:
    """The files of a pack's ``eval/`` that the kiosk reads at run time.

    The NLU and safety engines calibrate on the pack's tuning sets; the held-out and
    frozen evaluation sets are for the bench on a workstation only. Shipping those would
    put them on every device (and in every field backup), where nothing stops them from
    being trained on, so the package carries only what the engines name.
    """
    from appliance.engines.nlu.encoder_nlu import DEV_FILES
    from appliance.engines.safety.encoder import DEV_FILE

    return frozenset({*DEV_FILES, DEV_FILE})


def _pack_ignore(pack_root: Path) -> Callable[[str, list[str]], set[str]]:
    """A ``copytree`` ignore that drops caches and every ``eval/`` file the runtime never reads."""
    keep = runtime_eval_files()
    eval_dir = (pack_root / "eval").resolve()

    def ignore(directory: str, names: list[str]) -> set[str]:
        dropped = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
        if Path(directory).resolve() == eval_dir:
            dropped |= {n for n in names if n not in keep}
        return dropped

    return ignore


class NotBuiltError(FileNotFoundError):
    """A recipe model the package must carry is not built (run ``make models``)."""


def _link_or_copy(src: str, dst: str) -> object:
    """Hard-link into the stage when possible: the prebuilt models are ~230 MB."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
    return dst


def _copy_models(stage: Path) -> None:
    """Manifest, recipes, site packs and prebuilt recipe models where the code looks.

    The code finds ``models/`` next to its packages, as in the checkout
    (``appliance.runtime.manifest.REPO_ROOT``, ``appliance.sitepack.bundled_sitepack_dir``),
    so the package mirrors that layout under ``/usr/lib/kiosk/python``.
    """
    from appliance.runtime.manifest import parse_file
    from appliance.runtime.recipes import is_built
    from appliance.runtime.store import built_dir, recipe_key

    models = SOURCE / "models"
    target = stage / "usr/lib/kiosk/python/models"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(models / "manifest.toml", target / "manifest.toml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(models / "recipes", target / "recipes", ignore=ignore)
    for pack in SITEPACKS:
        source = models / "sitepacks" / pack
        shutil.copytree(source, target / "sitepacks" / pack, ignore=_pack_ignore(source))
    for spec in parse_file(models / "manifest.toml").values():
        if spec.source.kind != "recipe" or spec.optional:
            continue  # an optional recipe model is built on the device when a site uses it
        if not is_built(spec):
            raise NotBuiltError(f"recipe model {spec.name} is not built: run `make models`")
        shutil.copytree(built_dir(spec), target / "prebuilt" / spec.name / recipe_key(spec),
                        copy_function=_link_or_copy)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def stage_tree(stage: Path) -> None:
    """Lay out the package's files and DEBIAN/ control area under ``stage``."""
    if stage.exists():
        shutil.rmtree(stage)
    _copy_code(stage)
    _copy_models(stage)
    _write(stage / "usr/lib/kiosk/requirements.txt", "\n".join(requirements()) + "\n")
    for lock in LOCKS:
        _write(stage / "usr/lib/kiosk/requirements" / lock,
               (SOURCE / "requirements" / lock).read_text())
    _write(stage / "usr/lib/kiosk/pip-lock-args", script("pip-lock-args"), 0o755)
    _write(stage / "usr/bin/kiosk", WRAPPER.format(name="kiosk", module="appliance.cli"), 0o755)
    _write(stage / "usr/bin/kiosk-provision",
           WRAPPER.format(name="kiosk-provision", module="provisioning"), 0o755)
    units = SOURCE / "systemd"
    for unit in UNITS + STATIC_UNITS:
        _write(stage / "usr/lib/systemd/system" / unit, (units / unit).read_text())
    _write(stage / "usr/lib/sysusers.d/kiosk.conf", (units / "sysusers.d/kiosk.conf").read_text())
    _write(stage / "usr/lib/tmpfiles.d/kiosk.conf", (units / "tmpfiles.d/kiosk.conf").read_text())
    _write(stage / "etc/kiosk/kiosk.toml", DEFAULT_CONFIG)
    _write(stage / "usr/share/kiosk/kiosk.toml", DEFAULT_CONFIG)
    _write(stage / "usr/share/doc/kiosk/README.md", (SOURCE / "README.md").read_text())
    _write(stage / "usr/share/doc/kiosk/copyright",
           "Kiosk appliance\nLicense: Apache-2.0\n See /usr/share/common-licenses/Apache-2.0\n")
    control = stage / "DEBIAN"
    _write(control / "control", CONTROL.format(package=PACKAGE, version=version()))
    _write(control / "conffiles", "/etc/kiosk/kiosk.toml\n")
    for name in ("postinst", "prerm", "postrm"):
        _write(control / name, script(name), 0o755)
    for path in stage.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)


def build(out: Path) -> Path:
    """Build ``<out>/kiosk_<version>_all.deb``; returns its path."""
    if shutil.which("dpkg-deb") is None:
        raise FileNotFoundError("dpkg-deb is not installed (Debian package dpkg)")
    out.mkdir(parents=True, exist_ok=True)
    stage = out / "deb-stage" / f"{PACKAGE}_{version()}_all"
    stage_tree(stage)
    deb = out / f"{PACKAGE}_{version()}_all.deb"
    # zstd, not xz: the prebuilt ONNX weights barely compress (xz: 207 MB in 80 s on two
    # cores, zstd -3: 210 MB in 2 s); dpkg reads zstd since Ubuntu 21.10 / Debian 12.
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zzstd", "-z3", "--build", str(stage),
                    str(deb)],
                   check=True, capture_output=True, text=True)
    shutil.rmtree(stage.parent)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the kiosk .deb")
    parser.add_argument("--out", type=Path, default=Path("build"))
    args = parser.parse_args(argv)
    try:
        deb = build(args.out)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        print(f"error: cannot build the package: {detail}", file=sys.stderr)
        return 1
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
