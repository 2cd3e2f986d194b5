"""kiosk-fleet: the operator's console for a fleet of kiosks over MQTT v5.

Connection settings come from flags or the environment (``KIOSK_FLEET_BROKER``
host:port, ``KIOSK_FLEET_CA``, ``KIOSK_FLEET_CERT``, ``KIOSK_FLEET_KEY``: the
console's certificate has CN ``fleet``; ``KIOSK_FLEET_DB``: the store, a SQLite
path or a ``postgresql://`` URL).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from appliance import __version__
from appliance.errors import KioskError
from appliance.fleet import ca_cli, console, status, views
from appliance.fleet.client import BrokerConfig, FleetClient
from appliance.fleet.ingest import Ingester
from appliance.fleet.rollout import Rollout
from appliance.fleet.store import Store, connect
from appliance.system.jsonout import JSON_VERSION

EPILOG = """examples:
  kiosk-fleet ingest                       # run an ingester (start several: they share the load)
  kiosk-fleet watch                        # live table: online, health, alarms
  kiosk-fleet devices --site metro-a       # what the store knows
  kiosk-fleet show kiosk-0042              # one device: birth, health, config, recent events
  kiosk-fleet cmd kiosk-0042 say text="Mind the gap"   # waits for the reply
  kiosk-fleet config push --site metro-a --version 7 --file site.toml
  kiosk-fleet ca sign device.csr            # enrolment: see 'kiosk-fleet ca --help'
  kiosk-fleet update --site metro-a --bundle https://.../pack-3.tar --sha256 ab12.. \\
      --rate 20 --abort-pct 10
"""


def _default_db() -> str:
    return os.environ.get("KIOSK_FLEET_DB") or str(
        Path.home() / ".local/share/kiosk-fleet/fleet.db")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk-fleet", description=__doc__.split("\n\n")[0],
                                epilog=EPILOG, formatter_class=argparse.RawTextHelpFormatter)
    env = os.environ.get
    p.add_argument("--broker", default=env("KIOSK_FLEET_BROKER", "localhost:8883"),
                   help="broker host:port (TLS) [%(default)s]")
    p.add_argument("--ca", default=env("KIOSK_FLEET_CA", "ca.pem"), help="CA bundle")
    p.add_argument("--cert", default=env("KIOSK_FLEET_CERT", "fleet.pem"),
                   help="console certificate (CN fleet)")
    p.add_argument("--key", default=env("KIOSK_FLEET_KEY", "fleet.key"), help="its key")
    p.add_argument("--db", default=_default_db(),
                   help="store: a SQLite path or a postgresql://user@host/db URL [%(default)s]")
    p.add_argument("--version", action="version", version=f"kiosk-fleet {__version__}")
    p.add_argument("--json", action="store_true",
                   help="machine-readable output: one JSON object per result, each with "
                        "\"v\": 1 (docs/cli-json.md); the same as COMMAND --json")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("ingest", help="store the fleet's telemetry (shared subscription)")
    s.add_argument("--group", default="kiosk-ingest", help="$share group [%(default)s]")
    s.add_argument("--for", dest="duration", type=float, default=0, help="stop after S seconds")

    s = sub.add_parser("watch", help="ingest and show a live table of devices")
    s.add_argument("--group", default="kiosk-ingest",
                   help="$share group to ingest in, as 'ingest --group' [%(default)s]")
    s.add_argument("--interval", type=float, default=2.0, help="refresh every S seconds")
    s.add_argument("--for", dest="duration", type=float, default=0, help="stop after S seconds")

    s = sub.add_parser("devices", help="list devices from the store")
    s.add_argument("--site", help="only this site's devices")

    s = sub.add_parser("show", help="one device in detail")
    s.add_argument("device", help="device id")
    s.add_argument("--full", action="store_true",
                   help="print every health field and event body in full (JSON), not cut")

    s = sub.add_parser("cmd", help="send a command and wait for its reply")
    s.add_argument("device", help="device id")
    s.add_argument("name", help="rebirth, restart, reboot, say, set-volume, screenshot, "
                                "selftest, logs, update")
    s.add_argument("args", nargs="*", help="key=value arguments (JSON values where they parse)")
    s.add_argument("--site", help="the device's site (default: from the store)")
    s.add_argument("--timeout", type=float, default=30.0,
                   help="give up waiting for the reply after S seconds [%(default)s]")
    s.add_argument("--ttl", type=float, default=60.0, help="command expires after S seconds")
    s.add_argument("--queue", action="store_true",
                   help="send even to a device the store knows is offline (its broker "
                        "session keeps the command until it reconnects or --ttl passes)")

    s = sub.add_parser("config", help="versioned remote configuration")
    cs = s.add_subparsers(dest="action", required=True, metavar="ACTION")
    push = cs.add_parser("push", help="publish a retained desired config")
    _targets(push)
    push.add_argument("--version", type=int, required=True, help="must grow with every push")
    push.add_argument("--file", required=True, help="JSON or TOML with kiosk.toml tables")
    push.add_argument("--wait", type=float, default=30.0,
                      help="seconds to wait for every device's report [%(default)s]; "
                           "exit 0: all applied, 1: one was rejected, rolled back or "
                           "stale, 3: one did not answer (it gets the config when it "
                           "connects)")

    s = sub.add_parser("update", help="staged rollout of a model/site bundle")
    _targets(s)
    s.add_argument("--bundle", required=True, help="bundle URL or path on the device")
    s.add_argument("--sha256", default="", help="expected bundle hash")
    s.add_argument("--rate", type=float, default=10.0, help="devices started per minute")
    s.add_argument("--abort-pct", type=float, default=20.0,
                   help="abort when this %% of finished devices failed")
    s.add_argument("--min-sample", type=int, default=3, help="finished devices before aborting")
    s.add_argument("--timeout", type=float, default=600.0, help="per-device reply timeout")
    s.add_argument("--parallel", type=int, default=16,
                   help="devices updating at once, at most [%(default)s]")
    ca_cli.add_parser(sub)
    _json_after_the_command(p)
    return p


def _json_after_the_command(parser: argparse.ArgumentParser) -> None:
    """Give every leaf command ``--json`` too (``kiosk-fleet devices --json``).

    Its own dest: a sub-command's default would overwrite the top-level ``json``.
    """
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        parser.add_argument("--json", dest="json_after", action="store_true",
                            help="machine-readable output (the same as kiosk-fleet --json)")
    for action in subs:
        for child in action.choices.values():
            _json_after_the_command(child)


def _targets(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", action="append", default=[], help="device id (repeatable)")
    p.add_argument("--site", help="every device of a site (from the store)")
    p.add_argument("--all", action="store_true", help="every device in the store")


def _broker(args: argparse.Namespace) -> BrokerConfig:
    host, _, port = args.broker.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--broker must be host:port, got {args.broker!r}")
    for flag in ("ca", "cert", "key"):
        if not Path(getattr(args, flag)).is_file():
            raise ValueError(f"--{flag} {getattr(args, flag)}: no such file "
                             f"(set KIOSK_FLEET_{flag.upper()})")
    return BrokerConfig(host, int(port), args.ca, args.cert, args.key)


def _site_of(store: Store, device: str, site: str | None) -> str:
    if site:
        return site
    info = store.device(device)
    if info is None:
        raise ValueError(f"unknown device {device!r}: pass --site or run 'kiosk-fleet ingest'")
    return str(info["site"])


def _resolve(store: Store, args: argparse.Namespace) -> list[tuple[str, str]]:
    if args.device:
        return [(_site_of(store, d, args.site), d) for d in args.device]
    if args.site or args.all:
        found = [(d["site"], d["device_id"]) for d in store.devices(args.site)]
        if not found:
            raise ValueError("no devices match (is an ingester running?)")
        return found
    raise ValueError("say which devices: --device ID, --site SITE or --all")


def _parse_kv(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"argument {item!r} is not key=value")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def _load_config(path: str) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith(".toml"):
        from appliance.settings import tomllib

        return tomllib.loads(text)
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: must hold a table/object")
    return data


def run(args: argparse.Namespace) -> int:
    store = connect(args.db)
    try:
        if args.command == "devices":
            now = time.time()
            rows = [status.annotate(d, now) for d in store.devices(args.site)]
            views.emit({"devices": rows}, args.json, views.devices_table)
            return 0
        if args.command == "show":
            info = store.device(args.device)
            if info is None:
                raise ValueError(f"unknown device {args.device!r}")
            views.emit(status.annotate(info, time.time()), args.json,
                       lambda i: views.device_detail(i, full=args.full))
            return 0
        if args.command in ("ingest", "watch"):
            return _ingest(args, store)
        if args.command == "cmd":
            site = _site_of(store, args.device, args.site)
            cmd_args = _parse_kv(args.args)
            info = store.device(args.device)
            if info is not None and not args.queue and \
                    status.link_status(info, time.time()) == "offline":
                seen = status.human_age(_age(info))
                raise KioskError(f"{args.device} is offline (last heard {seen}); the broker "
                                 "would keep the command until it reconnects: add --queue "
                                 "to send it anyway", code="fleet-device-offline")
            with FleetClient(_broker(args)) as client:
                reply = client.command(site, args.device, args.name, cmd_args,
                                       timeout=args.timeout, ttl=args.ttl)
            views.emit(reply, args.json, views.reply_text)
            return 0 if reply.get("status") == "ok" else 1
        if args.command == "config":
            return _config_push(args, store)
        if args.command == "update":
            return _update(args, store)
    finally:
        store.close()
    return 2


def _age(info: dict[str, Any]) -> float | None:
    last = info.get("last_seen")
    return time.time() - last if isinstance(last, (int, float)) else None


def _config_push(args: argparse.Namespace, store: Store) -> int:
    from appliance.fleet import push

    targets = _resolve(store, args)
    config = _load_config(args.file)
    with FleetClient(_broker(args)) as client:
        outcomes = push.push(client, targets, args.version, config, wait_s=args.wait)
    result = {"version": args.version, "devices": [o.as_dict() for o in outcomes]}
    views.emit(result, args.json, push.summary_text)
    statuses = {o.status for o in outcomes}
    if statuses & {"rejected", "rolled-back", "stale"}:
        return 1
    return 3 if "no-answer" in statuses else 0


def _ingest(args: argparse.Namespace, store: Store) -> int:
    ingester = Ingester(_broker(args), store, group=args.group).start()
    start = time.monotonic()
    interval = getattr(args, "interval", 5.0)
    try:
        if args.command == "watch" and not args.json:
            console.watch(store.devices, interval, args.duration)
            return 0
        last: dict[str, Any] | None = None
        while not args.duration or time.monotonic() - start < args.duration:
            time.sleep(min(interval, args.duration or interval))
            if args.command == "watch":
                now = time.time()
                views.emit({"devices": [status.annotate(d, now) for d in store.devices()]},
                           args.json, views.devices_table)
                continue
            stats = ingester.stats()
            if stats != last:  # a quiet fleet is not a screenful of identical lines
                views.emit(stats, args.json, functools.partial(views.stats_line, previous=last))
                last = stats
    except KeyboardInterrupt:
        pass
    finally:
        ingester.stop()
    return 0


def _update(args: argparse.Namespace, store: Store) -> int:
    targets = dict((d, s) for s, d in _resolve(store, args))
    plan = Rollout(list(targets), args.rate, args.abort_pct, args.min_sample,
                   max_in_flight=max(1, args.parallel))
    request = {"bundle": args.bundle, "sha256": args.sha256}

    def one(client: FleetClient, device: str) -> tuple[bool, str]:
        try:
            reply = client.command(targets[device], device, "update", request,
                                   timeout=args.timeout, ttl=args.timeout)
        except KioskError as exc:
            return False, str(exc)
        if reply.get("status") == "ok":
            return True, "ok"
        return False, f"{reply.get('code', reply.get('status'))}: {reply.get('error', '')}"

    with FleetClient(_broker(args)) as client, \
            ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        if not args.json:
            client.subscribe("kiosk/v1/+/+/evt/update", lambda m: _progress(m, targets))
        running: dict[Future[tuple[bool, str]], str] = {}
        while not plan.done:
            for device in plan.due(time.monotonic()):
                running[pool.submit(one, client, device)] = device
            finished, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
            for future in finished:
                device = running.pop(future)
                ok, detail = future.result()
                plan.record(device, ok)
                if not args.json:
                    print(f"{device}: {'ok' if ok else 'FAILED ' + detail[:200]}  "
                          f"({plan.failure_pct:.0f}% failed)", file=sys.stderr)
            if not running and not finished:
                time.sleep(0.05)
    views.emit(plan.summary(), args.json, views.rollout_text)
    return 1 if plan.aborted or plan.failed else 0


def _progress(msg: Any, targets: dict[str, str]) -> None:
    """Print a device's ``evt/update`` progress line (stderr) during a rollout."""
    try:
        body = json.loads(msg.payload)
    except ValueError:
        return
    device = msg.topic.split("/")[3]
    if device in targets and isinstance(body, dict):
        print(f"  {device}: {body.get('stage')} {body.get('error') or body.get('reason') or ''}"
              .rstrip(), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.json = bool(args.json or getattr(args, "json_after", False))
    try:
        if args.command == "ca":  # the CA needs no store and no broker
            return ca_cli.run(args)
        return run(args)
    except (KioskError, ValueError, OSError) as exc:
        print(f"kiosk-fleet: error: {exc} [{_error_code(exc)}]", file=sys.stderr)
        if args.json:  # scripts read stdout: the same failure as an object
            print(json.dumps({"v": JSON_VERSION, "ok": False, "error": {
                "code": _error_code(exc), "message": str(exc)}}))
        return 2


def _error_code(exc: BaseException) -> str:
    """The stable code of a failure (what scripts match on, never the message)."""
    if isinstance(exc, KioskError):
        return exc.code
    return "io-error" if isinstance(exc, OSError) else "invalid-argument"


if __name__ == "__main__":
    sys.exit(main())
