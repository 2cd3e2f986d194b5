"""What the fleet CA hands out: enrolment bundles, the broker's files, console certificates.

``broker-cert`` writes a folder Mosquitto can run from as is (or that is copied to
``/etc/mosquitto``)::

    mosquitto.conf        the shipped template, rendered with this folder's paths
    kiosk.acl             one block per fleet identity the CA issued, then the devices
    certs/kiosk-ca.pem    the CA (the broker checks client certificates against it)
    certs/broker.pem      the broker's certificate (SANs = every --host)
    certs/broker.key      its key (0600)
    certs/kiosk-crl.pem   the revocation list (``crlfile``: the template requires one)

The CA remembers that folder (``broker-setup.json``), so ``console-cert`` and
``revoke`` refresh the ACL and the CRL there; Mosquitto reads both again on SIGHUP.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from appliance.fleet.ca import CaError, FleetCa, san_entry
from appliance.system.fileio import atomic_write
from appliance.telemetry.mosquitto import (
    FLEET_PREFIX,
    is_fleet_identity,
    render_acl,
    render_production,
)

logger = logging.getLogger(__name__)

BROKER_DAYS = 825
FLEET_DAYS = 825
RELOAD_HINT = ("reload Mosquitto so it reads them: systemctl reload mosquitto "
               "(or kill -HUP <mosquitto pid>)")


def _cert_pem(cert: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(cert.public_bytes(serialization.Encoding.PEM))


def _setup_file(ca: FleetCa) -> Path:
    return ca.folder / "broker-setup.json"


def broker_address(ca: FleetCa) -> dict[str, Any]:
    """What devices connect to (``broker.json``), as ``broker-cert`` recorded it."""
    try:
        data = json.loads(ca.broker_file.read_text())
    except FileNotFoundError:
        raise CaError("the CA does not know the broker's address yet: run 'kiosk-fleet ca "
                      "broker-cert --host HOST' first (or pass --address HOST:PORT)",
                      code="ca-no-broker") from None
    return dict(data)


def parse_address(text: str) -> dict[str, Any]:
    """``HOST:PORT`` as a ``broker.json`` object."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CaError(f"--address must be HOST:PORT, got {text!r}", code="ca-bad-host")
    san_entry(host)  # the same host names a certificate may carry
    return {"host": host, "port": int(port)}


def write_bundle(ca: FleetCa, csr_pem: bytes, out: Path | None = None,
                 address: dict[str, Any] | None = None,
                 days: int = 825) -> dict[str, Any]:
    """Sign a device's CSR and write its enrolment bundle (what ``kiosk-provision
    enroll`` installs): device.crt, ca.crt, broker.json and, when the CA folder has
    one, update-signing.pub."""
    broker = address or broker_address(ca)  # before signing: a refusal issues nothing
    device_id, cert = ca.sign_csr(csr_pem, days)
    folder = out or ca.folder / "bundles" / device_id
    files = {"device.crt": _cert_pem(cert), "ca.crt": ca.cert_file.read_bytes(),
             "broker.json": (json.dumps(broker, indent=2, sort_keys=True) + "\n").encode()}
    if ca.update_key_file.is_file():
        files["update-signing.pub"] = ca.update_key_file.read_bytes()
    for name, data in files.items():
        atomic_write(folder / name, data)
    return {"device_id": device_id, "bundle": str(folder), "files": sorted(files),
            "serial": format(cert.serial_number, "x"),
            "not_after": cert.not_valid_after_utc.isoformat(), "broker": broker}


def broker_cert(ca: FleetCa, hosts: list[str], out: Path, *, port: int = 8883,
                install_dir: str = "", persistence_dir: str = "/var/lib/mosquitto/",
                bind: str = "", days: int = BROKER_DAYS) -> dict[str, Any]:
    """Issue the broker's certificate and render a runnable Mosquitto folder in ``out``.

    ``install_dir`` is where the folder will live on the broker host (the paths
    written into ``mosquitto.conf``); by default ``out`` itself, so Mosquitto can run
    from it directly. The first host becomes the address in device bundles.
    """
    if not hosts:
        raise CaError("give the broker's host name(s): --host broker.example.net",
                      code="ca-bad-host")
    sans = [san_entry(h) for h in hosts]
    out = out.resolve()
    certs = out / "certs"
    cert, key = ca.issue_with_key(hosts[0], "broker", days, sans)
    atomic_write(certs / "broker.pem", _cert_pem(cert))
    atomic_write(certs / "broker.key", key, 0o600)
    atomic_write(certs / "kiosk-ca.pem", ca.cert_file.read_bytes())
    base = Path(install_dir) if install_dir else out
    persistence = persistence_dir if persistence_dir.endswith("/") else persistence_dir + "/"
    conf = render_production(
        acl_file=str(base / "kiosk.acl"), port=port, ca_file=str(base / "certs/kiosk-ca.pem"),
        cert_file=str(base / "certs/broker.pem"), key_file=str(base / "certs/broker.key"),
        crl_file=str(base / "certs/kiosk-crl.pem"), persistence_dir=persistence, bind=bind)
    atomic_write(out / "mosquitto.conf", conf.encode())
    # Mosquitto does not create it; where we may not (/var/lib), the package did
    with contextlib.suppress(OSError):
        Path(persistence).mkdir(parents=True, exist_ok=True)
    atomic_write(ca.broker_file, (json.dumps({"host": hosts[0], "port": port}, indent=2)
                                   + "\n").encode())
    atomic_write(_setup_file(ca), (json.dumps({"out": str(out)}) + "\n").encode())
    refreshed = refresh_broker(ca)
    return {"cert": str(certs / "broker.pem"), "key": str(certs / "broker.key"),
            "conf": str(out / "mosquitto.conf"), "acl": refreshed["acl"],
            "crl": refreshed["crl"], "hosts": hosts, "port": port,
            "fleet_identities": refreshed["fleet_identities"],
            "serial": format(cert.serial_number, "x")}


def refresh_broker(ca: FleetCa) -> dict[str, Any]:
    """Re-render ``kiosk.acl`` (every fleet identity the CA issued and did not revoke)
    and copy the CRL into the broker folder ``broker-cert`` wrote. Returns the paths
    (``None`` for both when ``broker-cert`` has not run yet)."""
    identities = ca.fleet_identities()
    try:
        out = Path(json.loads(_setup_file(ca).read_text())["out"])
    except FileNotFoundError:
        return {"acl": None, "crl": None, "fleet_identities": identities}
    atomic_write(out / "kiosk.acl", render_acl(identities).encode())
    crl = out / "certs/kiosk-crl.pem"
    crl.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ca.crl_file, crl)
    return {"acl": str(out / "kiosk.acl"), "crl": str(crl), "fleet_identities": identities}


def revoke(ca: FleetCa, cn: str | None = None, serial: int | None = None) -> dict[str, Any]:
    """Revoke ``cn``'s valid certificates (or one ``serial``), rewrite the CRL and
    refresh the broker folder (a revoked console also leaves the ACL)."""
    revoked = ca.revoke(cn, serial)
    return {"revoked": [r.as_dict() for r in revoked], **refresh_broker(ca)}


def console_cert(ca: FleetCa, name: str, out: Path | None = None,
                 days: int = FLEET_DAYS) -> dict[str, Any]:
    """Issue ``fleet.NAME`` (a console or an ingester: one per running client, since
    the broker makes the CN the client id) and refresh the broker's ACL."""
    cn = name if is_fleet_identity(name) else f"{FLEET_PREFIX}{name}"
    cert, key = ca.issue_with_key(cn, "fleet", days)
    folder = out or ca.folder / "fleet"
    atomic_write(folder / f"{cn}.pem", _cert_pem(cert))
    atomic_write(folder / f"{cn}.key", key, 0o600)
    atomic_write(folder / "ca.pem", ca.cert_file.read_bytes())
    refreshed = refresh_broker(ca)
    return {"cn": cn, "cert": str(folder / f"{cn}.pem"), "key": str(folder / f"{cn}.key"),
            "ca": str(folder / "ca.pem"), "acl": refreshed["acl"], "crl": refreshed["crl"],
            "fleet_identities": refreshed["fleet_identities"],
            "serial": format(cert.serial_number, "x")}
