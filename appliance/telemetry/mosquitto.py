"""Render the shipped Mosquitto configs and run a private broker (tests, bench, demos).

:func:`render_production` fills ``broker/mosquitto.conf.template`` and
``broker/acl.template`` for ``/etc/mosquitto``; :class:`MosquittoBroker` starts
the Debian ``mosquitto`` on a free loopback port with TLS, the ACL and a CRL,
and can be stopped, ``kill -9``-ed, paused (half-open links) and restarted on the
same port.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

TEMPLATES = Path(__file__).parent / "broker"
FLEET_USER = "fleet"
"""CN of operator consoles and ingesters in the shipped ACL."""


class BrokerError(RuntimeError):
    """The broker binary is missing or did not come up."""

    code = "broker-failed"


def render_acl(fleet_user: str = FLEET_USER) -> str:
    return (TEMPLATES / "acl.template").read_text().replace("{fleet_user}", fleet_user)


def render_production(
    acl_file: str = "/etc/mosquitto/kiosk.acl",
    port: int = 8883,
    ca_file: str = "/etc/mosquitto/certs/kiosk-ca.pem",
    cert_file: str = "/etc/mosquitto/certs/broker.pem",
    key_file: str = "/etc/mosquitto/certs/broker.key",
    crl_file: str = "/etc/mosquitto/certs/kiosk-crl.pem",
) -> str:
    """The production broker config with the given paths."""
    return (TEMPLATES / "mosquitto.conf.template").read_text().format(
        acl_file=acl_file, port=port, ca_file=ca_file, cert_file=cert_file, key_file=key_file,
        crl_file=crl_file)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MosquittoBroker:
    """A private Mosquitto with TLS + ACL in ``workdir``."""

    def __init__(
        self,
        workdir: Path,
        *,
        ca_file: Path,
        cert_file: Path,
        key_file: Path,
        crl_file: Path | None = None,
        port: int | None = None,
        fleet_user: str = FLEET_USER,
    ) -> None:
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(self.binary):
            raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.acl_file = workdir / "kiosk.acl"
        self.acl_file.write_text(render_acl(fleet_user))
        self.log_file = workdir / "mosquitto.log"
        self.conf_file = workdir / "mosquitto.conf"
        self.conf_file.write_text((TEMPLATES / "mosquitto-test.conf.template").read_text().format(
            log_file=self.log_file, acl_file=self.acl_file, port=self.port,
            ca_file=ca_file, cert_file=cert_file, key_file=key_file,
            crl_line=f"crlfile {crl_file}" if crl_file else "",
            user_line=f"user {getpass.getuser()}" if os.geteuid() == 0 else "",
        ))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start and wait until the port accepts connections."""
        self.proc = subprocess.Popen([self.binary, "-c", str(self.conf_file)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise BrokerError(f"mosquitto exited: {err.strip() or self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on {self.port} within {timeout} s")

    def kill9(self) -> None:
        """``kill -9`` the broker (no will messages, no persistence save)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def pause(self) -> None:
        """SIGSTOP: connections stay open but nothing answers (a half-open link)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stderr:
                self.proc.stderr.close()
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text().splitlines()[-n:])
        except OSError:
            return ""

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
