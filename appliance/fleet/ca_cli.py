"""``kiosk-fleet ca ...``: the fleet side of enrolment, from an empty folder.

``init`` makes the CA, ``broker-cert`` the broker's certificate and a runnable
Mosquitto folder, ``sign`` turns a device's CSR into an enrolment bundle,
``console-cert`` issues a console/ingester identity, ``revoke`` and ``crl`` keep
the revocation list. Every step prints what to do next (or one JSON object).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.fleet import views
from appliance.fleet.ca import DEVICE_DAYS, CaError, FleetCa
from appliance.fleet.enrolment import (
    RELOAD_HINT,
    broker_cert,
    console_cert,
    parse_address,
    refresh_broker,
    revoke,
    write_bundle,
)


def _default_dir() -> str:
    return os.environ.get("KIOSK_FLEET_CA_DIR", "fleet-ca")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``ca`` and its actions to kiosk-fleet's sub-commands."""
    s = sub.add_parser("ca", help="the fleet's certificate authority: enrol devices, "
                                  "the broker's and consoles' certificates")
    acts = s.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, text: str) -> argparse.ArgumentParser:
        p = acts.add_parser(name, help=text, description=text)
        p.add_argument("--dir", default=_default_dir(),
                       help="the CA folder (env KIOSK_FLEET_CA_DIR) [%(default)s]")
        return p

    p = action("init", "create the CA (its key is written 0600; keep a backup offline)")
    p.add_argument("--name", default="kiosk-fleet-ca", help="the CA's CN [%(default)s]")
    p.add_argument("--days", type=int, default=3650, help="CA validity [%(default)s]")

    p = action("sign", "sign a device CSR (from kiosk-provision init) into an enrolment bundle")
    p.add_argument("csr", help="the device's device.csr")
    p.add_argument("--out", help="bundle folder [DIR/bundles/<device id>]")
    p.add_argument("--address", help="HOST:PORT devices connect to (default: what "
                                     "broker-cert recorded)")
    p.add_argument("--days", type=int, default=DEVICE_DAYS, help="validity [%(default)s]")

    p = action("revoke", "revoke a device's (or a console's) certificates; rewrites the CRL")
    p.add_argument("cn", nargs="?", help="device id or fleet identity to revoke")
    p.add_argument("--serial", help="revoke only this serial (hex, as listed by 'ca list')")

    action("crl", "rewrite the CRL (before it expires; an expired CRL locks everyone out)")
    action("list", "every certificate the CA issued")

    p = action("broker-cert", "the broker's certificate + a runnable Mosquitto folder "
                              "(mosquitto.conf, kiosk.acl, certs, CRL)")
    p.add_argument("--host", action="append", default=[], required=True,
                   help="a name or IP devices use for the broker (repeatable; the first "
                        "goes into device bundles)")
    p.add_argument("--port", type=int, default=8883, help="TLS port [%(default)s]")
    p.add_argument("--out", default="broker", help="output folder [%(default)s]")
    p.add_argument("--install-dir", default="",
                   help="where the folder will live on the broker host (paths in "
                        "mosquitto.conf) [the output folder]")
    p.add_argument("--persistence-dir", default="/var/lib/mosquitto/",
                   help="Mosquitto's persistence folder [%(default)s]")
    p.add_argument("--bind", default="", help="listen on this address only [all]")
    p.add_argument("--days", type=int, default=825, help="validity [%(default)s]")

    p = action("console-cert", "issue fleet.NAME for a console or ingester (one per "
                               "running client) and re-render the broker's ACL")
    p.add_argument("name", help="NAME of fleet.NAME (e.g. ops, ingest-a)")
    p.add_argument("--out", help="folder for the certificate and key [DIR/fleet]")
    p.add_argument("--days", type=int, default=825, help="validity [%(default)s]")


def run(args: argparse.Namespace) -> int:
    """Run one ``ca`` action; CaError goes to kiosk-fleet's one-line error."""
    as_json = bool(args.json)
    folder = Path(args.dir)
    if args.action == "init":
        ca = FleetCa.init(folder, args.name, args.days)
        result: dict[str, Any] = {"dir": str(folder), "ca": str(ca.cert_file),
                                  "key": str(ca.key_file), "crl": str(ca.crl_file)}
        render: Callable[[dict[str, Any]], str] = _init_text
    else:
        ca = FleetCa(folder)
        if args.action == "sign":
            address = parse_address(args.address) if args.address else None
            result = write_bundle(ca, Path(args.csr).read_bytes(),
                                  Path(args.out) if args.out else None, address, args.days)
            render = _sign_text
        elif args.action == "revoke":
            if not args.cn and not args.serial:
                raise CaError("say what to revoke: a CN or --serial", code="ca-not-issued")
            serial = int(args.serial, 16) if args.serial else None
            result = revoke(ca, args.cn, serial)
            render = _revoke_text
        elif args.action == "crl":
            ca.write_crl()
            result = {"ca_crl": str(ca.crl_file), **refresh_broker(ca)}
            render = _crl_text
        elif args.action == "list":
            result = {"issued": [r.as_dict() for r in ca.issued()]}
            render = _list_text
        elif args.action == "broker-cert":
            result = broker_cert(ca, args.host, Path(args.out), port=args.port,
                                 install_dir=args.install_dir,
                                 persistence_dir=args.persistence_dir, bind=args.bind,
                                 days=args.days)
            render = _broker_text
        else:  # console-cert
            result = console_cert(ca, args.name, Path(args.out) if args.out else None, args.days)
            render = _console_text
    views.emit(result, as_json, render)
    return 0


def _init_text(r: dict[str, Any]) -> str:
    return (f"CA created in {r['dir']}\n  certificate {r['ca']}\n  private key {r['key']} "
            "(0600: back it up offline; whoever holds it can join the fleet)\n"
            "next: kiosk-fleet ca broker-cert --host BROKER-HOST --out broker")


def _sign_text(r: dict[str, Any]) -> str:
    return (f"{r['device_id']} signed (serial {r['serial']}, valid until {r['not_after'][:10]}), "
            f"broker {r['broker']['host']}:{r['broker']['port']}\n"
            f"  bundle {r['bundle']} ({', '.join(r['files'])})\n"
            "next: copy the bundle to the device and run: kiosk-provision enroll BUNDLE")


def _refresh_lines(r: dict[str, Any]) -> str:
    if not r.get("acl"):
        return "  (no broker folder yet: 'kiosk-fleet ca broker-cert' renders the ACL and CRL)"
    return f"  ACL {r['acl']}\n  CRL {r['crl']}\nnext: {RELOAD_HINT}"


def _revoke_text(r: dict[str, Any]) -> str:
    lines = [f"revoked {x['cn']} (serial {x['serial']})" for x in r["revoked"]]
    return "\n".join([*lines, _refresh_lines(r)])


def _crl_text(r: dict[str, Any]) -> str:
    return f"CRL rewritten: {r['ca_crl']}\n{_refresh_lines(r)}"


def _list_text(r: dict[str, Any]) -> str:
    rows = [f"{'SERIAL':<40} {'KIND':<7} {'CN':<24} {'NOT AFTER':<11} REVOKED"]
    for x in r["issued"]:
        rows.append(f"{x['serial']:<40} {x['kind']:<7} {x['cn']:<24} {x['not_after'][:10]:<11} "
                    f"{(x['revoked'] or '-')[:19]}")
    return "\n".join(rows)


def _broker_text(r: dict[str, Any]) -> str:
    who = ", ".join(r["fleet_identities"]) or "none yet (kiosk-fleet ca console-cert NAME)"
    return (f"broker certificate for {', '.join(r['hosts'])} (port {r['port']})\n"
            f"  config {r['conf']}\n  ACL {r['acl']} (fleet identities: {who})\n"
            f"  CRL {r['crl']}\n  cert {r['cert']}, key {r['key']} (0600)\n"
            f"next: mosquitto -c {r['conf']}   (or install the folder and include the conf "
            "from /etc/mosquitto/conf.d)")


def _console_text(r: dict[str, Any]) -> str:
    return (f"{r['cn']} issued\n  cert {r['cert']}\n  key {r['key']} (0600)\n  CA {r['ca']}\n"
            f"{_refresh_lines(r)}\n"
            f"use: KIOSK_FLEET_CA={r['ca']} KIOSK_FLEET_CERT={r['cert']} "
            f"KIOSK_FLEET_KEY={r['key']} kiosk-fleet devices")
