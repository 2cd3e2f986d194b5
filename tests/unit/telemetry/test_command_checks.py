"""Every field of an incoming command is checked before anything is queued."""

from __future__ import annotations

import json
import time

import pytest

from appliance.telemetry import commands
from appliance.telemetry.commands import MAX_COMMAND_TTL_S, CommandRefused
from appliance.telemetry.topics import DeviceTopics

T = DeviceTopics("site-a", "dev-1")


def _parse(doc: object, response_topic: str | None = None,
           raw: bytes | None = None) -> commands.Command:
    payload = raw if raw is not None else json.dumps(doc).encode()
    return commands.parse(T, T.cmd("say"), payload, response_topic, b"corr")


@pytest.mark.parametrize("raw, code", [
    (b'{"id": "a", "expires": Infinity}', "cmd-malformed"),
    (b'{"id": "a", "expires": NaN}', "cmd-expired"),
    (b'{"id": "a", "expires": 1e300}', "cmd-malformed"),
    (json.dumps({"id": "a", "expires": time.time() + 2**32}).encode(), "cmd-malformed"),
    (json.dumps({"id": "a", "expires": 10**400}).encode(), "cmd-malformed"),
])
def test_expiry_outside_the_window_is_refused(raw: bytes, code: str) -> None:
    with pytest.raises(CommandRefused) as err:
        _parse(None, T.res, raw)
    assert err.value.code == code
    refused = err.value.command  # type: ignore[attr-defined]
    assert refused.reply_topic == T.res and refused.correlation == b"corr"


@pytest.mark.parametrize("topic", [
    T.res + "/#", T.res + "/+", "kiosk/v1/site-a/dev-2/res", "#", T.res + "/deeper"])
def test_only_the_devices_own_res_topic_is_a_response_topic(topic: str) -> None:
    with pytest.raises(CommandRefused) as err:
        _parse({"id": "a"}, topic)
    assert err.value.code == "cmd-bad-response-topic"
    assert err.value.command.reply_topic == T.res  # type: ignore[attr-defined]


def test_a_good_command_passes_with_its_expiry() -> None:
    expires = time.time() + MAX_COMMAND_TTL_S - 5
    cmd = _parse({"id": "a", "args": {"text": "hi"}, "expires": expires}, T.res)
    assert cmd.expires_at == expires and cmd.reply_topic == T.res
    assert cmd.reply_expiry() <= expires + 1
