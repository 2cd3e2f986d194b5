"""Many simulated devices in one process: a minimal MQTT v5 publisher over TLS.

paho costs a thread or a loop call per client; a bench needs thousands of
devices on two cores, so each simulated device is one TLS socket that sends a
hand-encoded CONNECT and QoS 1 PUBLISH packets (PUBACKs are read and
discarded). Each device has its own certificate (CN = device id), so the
broker's ACL is exercised exactly as for real kiosks.
"""

from __future__ import annotations

import socket
import ssl
import struct
from pathlib import Path


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s: str) -> bytes:
    raw = s.encode()
    return struct.pack("!H", len(raw)) + raw


def connect_packet(client_id: str, keepalive: int = 300) -> bytes:
    var = _str("MQTT") + bytes([5, 0x02]) + struct.pack("!H", keepalive) + _varint(0)
    body = var + _str(client_id)
    return b"\x10" + _varint(len(body)) + body


def publish_packet(topic: str, payload: bytes, packet_id: int) -> bytes:
    body = _str(topic) + struct.pack("!H", packet_id) + _varint(0) + payload
    return b"\x32" + _varint(len(body)) + body


class SimDevice:
    """One simulated kiosk connection."""

    def __init__(self, device_id: str, ctx: ssl.SSLContext, host: str, port: int) -> None:
        self.device_id = device_id
        raw = socket.create_connection((host, port), timeout=10)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = ctx.wrap_socket(raw, server_hostname=host)
        self.sock.sendall(connect_packet(device_id))
        head = self.sock.recv(5)
        if len(head) < 4 or head[0] != 0x20 or head[3] != 0:
            raise ConnectionError(f"{device_id}: CONNACK refused ({head!r})")
        self.sock.setblocking(False)
        self._pid = 0

    def publish(self, topic: str, payload: bytes) -> None:
        self._pid = self._pid % 65535 + 1
        data = publish_packet(topic, payload, self._pid)
        self.sock.setblocking(True)
        self.sock.sendall(data)
        self.sock.setblocking(False)
        self.drain()

    def drain(self) -> None:
        try:
            while self.sock.recv(65536):
                pass
        except (ssl.SSLWantReadError, BlockingIOError):
            pass

    def close(self) -> None:
        try:
            self.sock.sendall(b"\xe0\x00")
            self.sock.close()
        except OSError:
            pass


def device_context(ca_file: Path, cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(ca_file))
    ctx.load_cert_chain(str(cert), str(key))
    return ctx
