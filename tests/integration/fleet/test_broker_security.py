"""The shipped ACL and TLS settings: devices are confined, bad certificates refused."""

from __future__ import annotations

import ssl
import threading
from typing import Any

import pytest
from fleet_helpers import SITE

from appliance.telemetry import link


class RawClient:
    """A bare paho client that records CONNACK, SUBACK and PUBACK reason codes."""

    def __init__(self, broker: Any, ca: str, cert: str | None, key: str | None,
                 client_id: str) -> None:
        self.client = link.make_client(client_id, ca_file=ca, cert_file=cert, key_file=key)
        self.connack: Any = None
        self.events: dict[str, threading.Event] = {k: threading.Event() for k in
                                                   ("connect", "sub", "pub", "gone")}
        self.sub_codes: list[int] = []
        self.pub_code: int | None = None
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_sub
        self.client.on_publish = self._on_pub
        self.client.on_disconnect = lambda *_a: self.events["gone"].set()
        self.broker = broker

    def _on_connect(self, _c: Any, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
        self.connack = rc
        self.events["connect"].set()

    def _on_sub(self, _c: Any, _u: Any, _mid: int, rcs: Any, _p: Any) -> None:
        self.sub_codes = [int(rc.value) for rc in rcs]
        self.events["sub"].set()

    def _on_pub(self, _c: Any, _u: Any, _mid: int, rc: Any, _p: Any) -> None:
        self.pub_code = int(rc.value)
        self.events["pub"].set()

    def connect(self) -> bool:
        """True when the broker accepted us (CONNACK success)."""
        try:
            self.client.connect("localhost", self.broker.port, 10)
        except (OSError, ssl.SSLError):
            return False
        self.client.loop_start()
        for _ in range(60):
            if self.events["connect"].wait(0.05) or self.events["gone"].is_set():
                break
        return self.connack is not None and not self.connack.is_failure

    def subscribe(self, topic: str) -> int:
        self.events["sub"].clear()
        self.client.subscribe(topic, 1)
        assert self.events["sub"].wait(5)
        return self.sub_codes[0]

    def publish(self, topic: str) -> int | None:
        self.events["pub"].clear()
        self.client.publish(topic, b"{}", qos=1)
        assert self.events["pub"].wait(5)
        return self.pub_code

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


NOT_AUTHORIZED = 0x87
OK = (0x00, 0x10)  # success, success with no subscribers


def _device(broker: Any, pki: Any, device_id: str) -> RawClient:
    issued = pki.device(device_id)
    raw = RawClient(broker, str(pki.ca.ca_file), str(issued.cert), str(issued.key), device_id)
    assert raw.connect()
    return raw


def test_device_is_confined_to_its_own_subtree(broker: Any, pki: Any) -> None:
    mine = f"kiosk/v1/{SITE}/dev-a"
    other = f"kiosk/v1/{SITE}/dev-b"
    dev = _device(broker, pki, "dev-a")
    fleet = RawClient(broker, str(pki.ca.ca_file), str(pki.fleet.cert), str(pki.fleet.key),
                      "fleet-sec")
    assert fleet.connect()
    try:
        assert dev.publish(f"{mine}/health") in OK
        assert dev.publish(f"{mine}/res") in OK
        assert dev.publish(f"{other}/health") == NOT_AUTHORIZED
        assert dev.publish(f"{other}/state") == NOT_AUTHORIZED
        assert dev.publish(f"{mine}/cfg/desired") == NOT_AUTHORIZED  # only the fleet sets it
        assert dev.publish(f"{mine}/cmd/reboot") == NOT_AUTHORIZED
        assert dev.publish("fleet/v1/host/state") == NOT_AUTHORIZED
        # Mosquitto's acl_file grants SUBSCRIBE and enforces "read" on every delivery:
        # a device listening to the whole tree hears only its own cmd/ and cfg/desired.
        for pattern in ("kiosk/v1/#", f"{other}/cmd/+", f"{mine}/cmd/+"):
            assert dev.subscribe(pattern) < 0x80
        heard: list[str] = []
        got_mine = threading.Event()

        def on_message(_c: Any, _u: Any, msg: Any) -> None:
            heard.append(msg.topic)
            if msg.topic == f"{mine}/cmd/ping":
                got_mine.set()

        dev.client.on_message = on_message
        neighbour = _device(broker, pki, "dev-b")
        assert neighbour.publish(f"{other}/health") in OK
        neighbour.close()
        for topic in (f"{other}/cmd/reboot", f"{other}/cfg/desired", f"{mine}/cmd/ping"):
            assert fleet.publish(topic) in OK
        assert got_mine.wait(5)
        assert set(heard) == {f"{mine}/cmd/ping"}
    finally:
        dev.close()
        fleet.close()


def test_fleet_may_command_but_not_impersonate_devices(broker: Any, pki: Any) -> None:
    fleet = RawClient(broker, str(pki.ca.ca_file), str(pki.fleet.cert), str(pki.fleet.key),
                      "fleet-sec")
    assert fleet.connect()
    try:
        assert fleet.subscribe("$share/ingest/kiosk/v1/+/+/health") == 1
        assert fleet.publish(f"kiosk/v1/{SITE}/dev-a/cmd/reboot") in OK
        assert fleet.publish(f"kiosk/v1/{SITE}/dev-a/health") == NOT_AUTHORIZED
    finally:
        fleet.close()


@pytest.mark.parametrize("who", ["anonymous", "expired", "revoked", "rogue"])
def test_bad_certificates_are_refused(broker: Any, pki: Any, who: str) -> None:
    issued = None if who == "anonymous" else getattr(pki, who)
    raw = RawClient(broker, str(pki.ca.ca_file), issued and str(issued.cert),
                    issued and str(issued.key), f"dev-{who}")
    try:
        assert not raw.connect()
    finally:
        raw.client.loop_stop()


def test_client_refuses_a_broker_from_another_ca(broker: Any, pki: Any) -> None:
    issued = pki.device("dev-a")
    raw = RawClient(broker, str(pki.rogue.cert.parent / "rogue-ca.pem"), str(issued.cert),
                    str(issued.key), "dev-a")
    assert not raw.connect()
