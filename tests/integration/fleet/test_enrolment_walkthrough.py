"""The README's enrolment walk-through, from an empty folder to an enrolled kiosk.

Every file comes from the tools: ``kiosk-fleet ca`` makes the CA, the broker's
certificate, its ``mosquitto.conf``, ACL and CRL; Mosquitto runs from that folder
as rendered; ``kiosk-provision init``/``enroll`` run as the technician would (in a
relocated root); the kiosk's telemetry agent connects with what enrolment
installed; two consoles issued later get in after a reload; a revoked device does not.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_helpers import wait_for

from appliance.fleet import cli
from appliance.fleet.client import BrokerConfig
from appliance.fleet.ingest import Ingester
from appliance.fleet.store import FleetStore
from appliance.settings import Settings
from appliance.telemetry import TelemetryAgent, builtins
from appliance.telemetry.enrolment import effective_telemetry
from appliance.telemetry.mosquitto import free_port

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None
                                and not os.path.exists("/usr/sbin/mosquitto"),
                                reason="mosquitto is not installed (apt-get install mosquitto)")

DEVICE = "kiosk-0042"
SITE = "metro-a"


class RenderedBroker:
    """Mosquitto started from the folder ``kiosk-fleet ca broker-cert`` wrote.

    The only additions to the rendered config are a log file to read (and, when the
    tests run as root, ``user``, or Mosquitto would drop to an account that cannot
    read the keys), as :class:`MosquittoBroker` does for the shipped config.
    """

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.log_file = folder / "mosquitto.log"
        self.conf = folder / "mosquitto-test.conf"
        user = f"user {getpass.getuser()}\n" if os.geteuid() == 0 else ""
        self.conf.write_text((folder / "mosquitto.conf").read_text()
                             + f"\nlog_dest file {self.log_file}\nlog_type all\n{user}")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([binary, "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._listening, what="mosquitto listening")

    def _listening(self) -> bool:
        assert self.proc.poll() is None, f"mosquitto exited:\n{self.log()}"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def reload(self) -> None:
        """SIGHUP, as ``systemctl reload mosquitto`` does: ACL and CRL are read again.

        Mosquitto logs "Reloading config." and reloads in the same loop turn, before it
        accepts another connection, so a connection made after the line sees the new files.
        """
        before = self.log().count("Reloading config.")
        self.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.log().count("Reloading config.") > before, what="reload")

    def warnings(self) -> list[str]:
        return [line for line in self.log().splitlines() if "Warning" in line or "Error" in line]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def fleet_cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """``kiosk-fleet ... --json`` in-process: its exit code and its JSON object."""

    def run(*argv: str) -> dict[str, Any]:
        code = cli.main([*argv, "--json"])
        out = capsys.readouterr()
        assert code == 0, out.err
        result = json.loads(out.out)
        assert result["v"] == 1
        return dict(result)

    return run


def provision(root: Path, *argv: str) -> dict[str, Any]:
    """``kiosk-provision ... --json`` on "the device" (state under ``root``)."""
    env = {**os.environ, "KIOSK_ROOT": str(root)}
    done = subprocess.run([sys.executable, "-m", "provisioning", *argv, "--json"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout))


def tls_handshake(port: int, ca: Path, cert: Path, key: Path) -> None:
    """A bare TLS handshake with a client certificate (raises when the broker refuses it)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.load_cert_chain(str(cert), str(key))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # the verdict comes within the handshake
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.do_handshake()


@pytest.fixture
def broker_holder() -> Iterator[list[RenderedBroker]]:
    held: list[RenderedBroker] = []
    yield held
    for broker in held:
        broker.stop()


def test_from_an_empty_folder_to_an_enrolled_kiosk(
        tmp_path: Path, fleet_cli: Any, broker_holder: list[RenderedBroker],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ca, out, device_root = tmp_path / "fleet-ca", tmp_path / "broker", tmp_path / "device"
    port = free_port()
    # 1. the CA and the broker's folder
    fleet_cli("ca", "init", "--dir", str(ca))
    made = fleet_cli("ca", "broker-cert", "--dir", str(ca), "--host", "localhost",
                     "--host", "127.0.0.1", "--port", str(port), "--out", str(out),
                     "--persistence-dir", str(tmp_path / "mosquitto-data"), "--bind", "127.0.0.1")
    assert made["fleet_identities"] == []
    # 2. Mosquitto from the rendered files, and it has nothing to complain about
    broker = RenderedBroker(out, port)
    broker_holder.append(broker)
    assert broker.warnings() == []
    # 3. on the kiosk: key and CSR; at the fleet: the bundle; on the kiosk: enrol
    ident = provision(device_root, "init", "--device-id", DEVICE)
    bundle = fleet_cli("ca", "sign", ident["csr"], "--dir", str(ca), "--out",
                       str(tmp_path / "usb"))
    assert bundle["device_id"] == DEVICE
    assert bundle["broker"] == {"host": "localhost", "port": port}
    enrolled = provision(device_root, "enroll", bundle["bundle"])
    assert enrolled["device_id"] == DEVICE and enrolled["broker"]["port"] == port
    # 4. the kiosk connects with what enrolment installed (no paths configured)
    monkeypatch.setenv("KIOSK_ROOT", str(device_root))
    telemetry = effective_telemetry(Settings())
    assert telemetry is not None and telemetry.cert_file == ""
    agent = TelemetryAgent(telemetry, site=SITE, device_id=DEVICE,
                           data_dir=tmp_path / "spool")
    builtins.install(agent)  # rebirth, selftest, logs
    agent.register_command("say", lambda args: {"said": args["text"]})
    agent.start()
    try:
        wait_for(lambda: agent.listening, what="the enrolled kiosk on the broker")
        # 5. consoles issued while the broker runs: the ACL is re-rendered, a reload reads it
        ingest = fleet_cli("ca", "console-cert", "ingest-a", "--dir", str(ca))
        ops = fleet_cli("ca", "console-cert", "ops", "--dir", str(ca))
        assert ops["fleet_identities"] == ["fleet.ingest-a", "fleet.ops"]
        broker.reload()
        store = FleetStore(tmp_path / "fleet.db")
        ingester = Ingester(BrokerConfig("localhost", port, ingest["ca"], ingest["cert"],
                                         ingest["key"]), store).start()
        try:
            wait_for(lambda: any(d["device_id"] == DEVICE and d["online"]
                                 for d in store.devices()), what="the kiosk in the store")
        finally:
            ingester.stop()
            store.close()
        console = ["--broker", f"localhost:{port}", "--ca", ops["ca"], "--cert", ops["cert"],
                   "--key", ops["key"], "--db", str(tmp_path / "fleet.db")]
        reply = fleet_cli(*console, "cmd", DEVICE, "say", "text=hello")
        assert reply["status"] == "ok" and reply["result"] == {"said": "hello"}
    finally:
        agent.stop()
    assert broker.warnings() == []  # the whole session, reloads included
    identity = device_root / "var/lib/kiosk/identity"
    device_tls = (out / "certs/kiosk-ca.pem", identity / "device.crt", identity / "device.key")
    tls_handshake(port, *device_tls)  # still welcome
    # 6. revoked: the CRL is refreshed in the broker folder; after a reload it is refused
    revoked = fleet_cli("ca", "revoke", DEVICE, "--dir", str(ca))
    assert [r["cn"] for r in revoked["revoked"]] == [DEVICE]
    broker.reload()
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        tls_handshake(port, *device_tls)
    # the broker logs the refusal just after the handshake fails, not before it
    wait_for(lambda: "certificate verify failed" in broker.log(), timeout=5,
             what="the broker's log of the refused certificate")
