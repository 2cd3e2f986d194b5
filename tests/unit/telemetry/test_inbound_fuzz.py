"""Property-based: no cmd/ or cfg/desired payload can crash the agent."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from appliance.settings import TelemetrySettings
from appliance.telemetry import TelemetryAgent, builtins

DEVICE = "dev-fuzz"
BASE = f"kiosk/v1/site/{DEVICE}"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
command_docs = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.text(max_size=200), st.integers(), st.none()),
    "args": json_values,
    "expires": st.one_of(st.floats(), st.integers(), st.text(max_size=5), st.booleans()),
    "device": st.one_of(st.just(DEVICE), st.text(max_size=10)),
})
config_docs = st.fixed_dictionaries({}, optional={
    "version": st.one_of(st.integers(-5, 10**12), st.floats(), st.text(max_size=4)),
    "config": st.one_of(json_values, st.dictionaries(
        st.sampled_from(["audio", "vad", "tts", "site", "bogus", "telemetry"]), json_values)),
})
payloads = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    command_docs.map(lambda d: json.dumps(d, default=str).encode()),
    config_docs.map(lambda d: json.dumps(d, default=str).encode()),
    st.just(b"[" * 100_000),
    st.just(b'{"id": "' + b"x" * 200_000 + b'"}'),
)
topics = st.one_of(
    st.just(f"{BASE}/cfg/desired"),
    st.sampled_from(["say", "reboot", "logs", "rebirth", "selftest", "update", "nope"]).map(
        lambda n: f"{BASE}/cmd/{n}"),
    st.text(alphabet="abc+#/-_é ", max_size=12).map(lambda n: f"{BASE}/cmd/{n}"),
    st.just("kiosk/v1/site/other/cmd/say"),
    st.just("fleet/v1/host/state"),
)


def _message(topic: str, payload: bytes, response: str | None, corr: bytes | None) -> Any:
    msg = mqtt.MQTTMessage(topic=topic.encode())
    msg.payload = payload
    props = Properties(PacketTypes.PUBLISH)
    if response is not None:
        props.ResponseTopic = response
    if corr is not None:
        props.CorrelationData = corr
    msg.properties = props
    return msg


class _Failures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


def test_no_payload_crashes_the_agent() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        agent = TelemetryAgent(TelemetrySettings(log_file=str(Path(tmp) / "none.log")),
                               site="site", device_id=DEVICE, data_dir=Path(tmp))
        builtins.install(agent)  # rebirth, selftest, logs
        agent.register_command("say", lambda args: {"echo": args.get("text")})

        def hook(config: dict[str, Any]) -> None:
            if "tts" in config:
                raise RuntimeError("tts rejects this")

        agent.set_config_hook(hook)
        failures = _Failures()
        logging.getLogger("appliance").addHandler(failures)
        try:
            _fuzz(agent)
            _wait_idle(agent)
            assert not failures.records, [r.getMessage() for r in failures.records]
            for msg in agent.outbox.batch(0, 100_000):
                body = json.loads(msg.payload)
                assert isinstance(body["seq"], int)
                if msg.topic.endswith("/res") or "/res/" in msg.topic:
                    assert body["status"] in {"ok", "error", "refused", "duplicate",
                                              "unsupported", "interrupted"}
            # still alive and obedient
            agent._on_message(None, None, _message(f"{BASE}/cmd/say", json.dumps(
                {"id": "final-check", "args": {"text": "hi"}}).encode(), None, b"c"))
            _wait_idle(agent)
            last = json.loads(agent.outbox.batch(agent.outbox.last_seq - 1, 1)[0].payload)
            assert last["id"] == "final-check" and last["status"] == "ok"
        finally:
            logging.getLogger("appliance").removeHandler(failures)
            agent.stop()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(topic=topics, payload=payloads,
       response=st.one_of(st.none(), st.just(f"{BASE}/res"), st.text(max_size=30)),
       corr=st.one_of(st.none(), st.binary(max_size=40)))
def _fuzz(agent: TelemetryAgent, topic: str, payload: bytes, response: str | None,
          corr: bytes | None) -> None:
    agent._on_message(None, None, _message(topic, payload, response, corr))  # type: ignore[arg-type]


def _wait_idle(agent: TelemetryAgent) -> None:
    deadline = time.monotonic() + 30
    while agent._busy and time.monotonic() < deadline:
        time.sleep(0.01)
    assert agent._busy == 0
