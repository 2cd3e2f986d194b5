"""Getting an update bundle: local paths, http downloads with a size cap, clean failures."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.telemetry.update_fetch import UpdateError, check_sha256, fetch

BODY = b"k" * 300_000


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/missing.kbundle":
            self.send_error(404)
            return
        self.send_response(200)
        if self.path != "/chunked.kbundle":  # no Content-Length: the cap applies while reading
            self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_lands_whole_and_reports_progress(server: str, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    path, downloaded = fetch(f"{server}/pack.kbundle", tmp_path, max_bytes=10**6, timeout_s=30,
                             progress=lambda got, total: seen.append((got, total)))
    assert downloaded and path.read_bytes() == BODY and path.name == "pack.kbundle"
    assert seen[-1] == (len(BODY), len(BODY))
    assert check_sha256(path, "") and not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize("name", ["pack.kbundle", "chunked.kbundle"])
def test_too_large_is_refused_with_nothing_left(server: str, tmp_path: Path, name: str) -> None:
    with pytest.raises(UpdateError) as err:
        fetch(f"{server}/{name}", tmp_path, max_bytes=100_000, timeout_s=30)
    assert err.value.code == "update-too-large"
    assert not list(tmp_path.iterdir())


def test_failures_have_codes(server: str, tmp_path: Path) -> None:
    with pytest.raises(UpdateError) as err:
        fetch(f"{server}/missing.kbundle", tmp_path, max_bytes=10**6, timeout_s=30)
    assert err.value.code == "update-download-failed" and "Not Found" in str(err.value)
    with pytest.raises(UpdateError) as err:
        fetch("ftp://example.invalid/x.kbundle", tmp_path, max_bytes=10**6, timeout_s=30)
    assert err.value.code == "update-bad-args"
    with pytest.raises(UpdateError) as err:
        fetch(str(tmp_path / "nope.kbundle"), tmp_path, max_bytes=10**6, timeout_s=30)
    assert err.value.code == "update-not-found"
    local = tmp_path / "usb.kbundle"
    local.write_bytes(BODY)
    assert fetch(f"file://{local}", tmp_path, max_bytes=10**6, timeout_s=30) == (local, False)
    with pytest.raises(UpdateError) as err:
        check_sha256(local, "0" * 64)
    assert err.value.code == "update-hash-mismatch"
