"""``python -m appliance.runtime.bundle_cli``: make, check and install signed model bundles.

The technician's ``kiosk-provision`` wraps the same functions; this entry point
exists for the build machine (keygen, create) and for scripts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from appliance.errors import KioskError
from appliance.runtime.bundle import create_bundle, generate_keypair, install_bundle, verify_bundle
from appliance.runtime.store import verify_all

EPILOG = """examples:
  keygen --out keys/                      make keys/bundle-signing.{key,pub} (keep .key secret)
  create --key keys/bundle-signing.key --out site.kbundle --version 7 sentence-encoder
                                          (--version: higher than any earlier bundle)
  verify --pub /etc/kiosk/bundle-signing.pub /media/usb/site.kbundle
  install --pub /etc/kiosk/bundle-signing.pub /media/usb/site.kbundle
  check                                   hash-check every model of the manifest
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m appliance.runtime.bundle_cli",
        description="Signed (Ed25519) model bundles: one archive with the manifest entries and "
        "files of some models, hash-checked, installable offline. Nothing is written unless "
        "the whole bundle verifies.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("keygen", help="make a signing key pair")
    p.add_argument("--out", type=Path, required=True, help="folder for the key pair")
    p = sub.add_parser("create", help="pack models of this machine into a signed bundle")
    p.add_argument("--key", type=Path, required=True, help="Ed25519 private key (PEM)")
    p.add_argument("--out", type=Path, required=True, help="bundle file to write")
    p.add_argument("--version", type=int, required=True,
                   help="the bundle's version: a positive integer, higher than every bundle "
                   "published before for these models (devices refuse older ones)")
    p.add_argument("models", nargs="+", help="manifest model names")
    for name, text in (("verify", "check a bundle, install nothing"),
                       ("install", "verify then install under <state>/models")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--pub", type=Path, required=True,
                       help="site's Ed25519 public key; X.next.pub and X.revoked beside "
                       "X.pub add the rotation key and the revocation list")
        p.add_argument("bundle", type=Path)
    sub.add_parser("check", help="hash-check every model in the manifest")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "keygen":
            priv, pub = generate_keypair(args.out)
            out: dict[str, object] = {"private_key": str(priv), "public_key": str(pub)}
        elif args.cmd == "create":
            print(f"packing {', '.join(args.models)} ...", file=sys.stderr, flush=True)
            out = {"bundle": str(create_bundle(args.models, args.out, args.key,
                                                version=args.version))}
        elif args.cmd == "verify":
            out = dataclasses.asdict(verify_bundle(args.bundle, args.pub))
        elif args.cmd == "install":
            out = dataclasses.asdict(install_bundle(args.bundle, args.pub))
        else:
            report = verify_all()
            out = report.to_dict()
            if not args.json:
                for m in report.models:
                    print(f"{'ok ' if m.ok else 'BAD'} {m.name}: {m.files} files  {m.location}")
                    for problem in m.problems:
                        print(f"    {problem}")
            else:
                print(json.dumps(out, indent=2))
            return 0 if report.ok else 1
    except (KioskError, OSError) as exc:
        code = getattr(exc, "code", "error")
        if args.json:
            print(json.dumps({"ok": False, "code": code, "error": str(exc)}))
        else:
            print(f"error ({code}): {exc}", file=sys.stderr)
        return 2
    text = "\n".join(f"{k}: {v}" for k, v in out.items())
    print(json.dumps(out, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
