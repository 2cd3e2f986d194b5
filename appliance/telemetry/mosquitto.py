"""Render the shipped Mosquitto configs and run a private broker (tests, bench, demos).

:func:`render_production` fills ``broker/mosquitto.conf.template`` and
``broker/acl.template`` for ``/etc/mosquitto``; :class:`MosquittoBroker` starts
the Debian ``mosquitto`` with *the same rendered config* (its own paths, a free
loopback port, a log file), so persistence, queues, identities and the ACL in the
tests are the ones that ship. It can be stopped, ``kill -9``-ed (keeping its
persistence file, as a crashed production broker would), paused (half-open
links) and restarted on the same port.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from appliance.telemetry.topics import valid_segment

TEMPLATES = Path(__file__).parent / "broker"
FLEET_USER = "fleet"
"""CN of the default operator console in the shipped ACL."""
FLEET_PREFIX = "fleet."
"""Other fleet identities (ingesters, named consoles) have CNs ``fleet.<name>``."""


def is_fleet_identity(cn: str) -> bool:
    """True for the CNs the ACL gives fleet rights (never to be issued to a device)."""
    return cn == FLEET_USER or cn.startswith(FLEET_PREFIX)


class BrokerError(RuntimeError):
    """The broker binary is missing or did not come up."""

    code = "broker-failed"


_FLEET_BLOCK = """user {user}
topic read kiosk/v1/#
topic write kiosk/v1/+/+/cmd/#
topic write kiosk/v1/+/+/cfg/desired
topic readwrite fleet/v1/#
"""


def render_acl(fleet_users: Sequence[str] = (FLEET_USER,)) -> str:
    """The ACL with one fleet block per fleet identity (CN) that may connect."""
    users = sorted(set(fleet_users))
    for user in users:
        if not is_fleet_identity(user) or not valid_segment(user):
            raise ValueError(f"{user!r} is not a fleet identity (use 'fleet' or 'fleet.<name>')")
    blocks = "\n".join(_FLEET_BLOCK.format(user=u) for u in users)
    return (TEMPLATES / "acl.template").read_text().replace("{fleet_blocks}", blocks)


def render_production(
    acl_file: str = "/etc/mosquitto/kiosk.acl",
    port: int = 8883,
    ca_file: str = "/etc/mosquitto/certs/kiosk-ca.pem",
    cert_file: str = "/etc/mosquitto/certs/broker.pem",
    key_file: str = "/etc/mosquitto/certs/broker.key",
    crl_file: str = "/etc/mosquitto/certs/kiosk-crl.pem",
    persistence_dir: str = "/var/lib/mosquitto/",
    bind: str = "",
) -> str:
    """The production broker config with the given paths (``bind``: an address to
    listen on, all interfaces when empty)."""
    return (TEMPLATES / "mosquitto.conf.template").read_text().format(
        acl_file=acl_file, port=port, ca_file=ca_file, cert_file=cert_file, key_file=key_file,
        crl_file=crl_file, persistence_dir=persistence_dir, bind=f" {bind}" if bind else "")


_TEST_LINES = """
# --- test-only additions (MosquittoBroker): a log file to read, run as this user ---
log_dest file {log_file}
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
{user_line}
"""


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
        crl_file: Path,
        port: int | None = None,
        fleet_users: Sequence[str] = (FLEET_USER,),
    ) -> None:
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(self.binary):
            raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.acl_file = workdir / "kiosk.acl"
        self.acl_file.write_text(render_acl(fleet_users))
        self.log_file = workdir / "mosquitto.log"
        self.conf_file = workdir / "mosquitto.conf"
        self.persistence_dir = workdir / "persistence"
        self.persistence_dir.mkdir(exist_ok=True)
        self.conf_file.write_text(render_production(
            acl_file=str(self.acl_file), port=self.port, ca_file=str(ca_file),
            cert_file=str(cert_file), key_file=str(key_file), crl_file=str(crl_file),
            persistence_dir=f"{self.persistence_dir}/", bind="127.0.0.1",
        ) + _TEST_LINES.format(
            log_file=self.log_file,
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
        """``kill -9`` the broker: no will messages, no final persistence save (what
        the last autosave wrote is what a restart finds)."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def save(self, timeout: float = 5.0) -> None:
        """SIGUSR1: write the persistence file now, as an autosave would (retained
        messages, sessions, queues). Returns once the file has been rewritten."""
        if self.proc is None:
            return
        db = self.persistence_dir / "mosquitto.db"
        before = db.stat().st_mtime_ns if db.exists() else 0
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if db.exists() and db.stat().st_mtime_ns != before:
                time.sleep(0.1)  # the rename is the last step; let it settle
                return
            time.sleep(0.02)
        raise BrokerError(f"mosquitto did not save {db} within {timeout} s")

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

    def warnings(self) -> list[str]:
        """Warning and error lines the broker logged (e.g. about its config)."""
        try:
            lines = self.log_file.read_text().splitlines()
        except OSError:
            return []
        return [line for line in lines if "Warning" in line or "Error" in line]

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
