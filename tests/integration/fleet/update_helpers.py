"""A build machine that makes signed bundles of a tiny model, and a local bundle server."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from appliance.runtime.bundle import create_bundle, generate_keypair
from appliance.runtime.store import sha256_file

MANIFEST = """
[models.tiny]
version = "{version}"
format = "onnx"
licence = "CC0-1.0"
variants = {{ fp32 = "tiny.onnx" }}
[models.tiny.source]
kind = "package"
package = "kiosk-tiny-v{version}"
module = "kiosk_tiny_v{version}"
path = "data"
[models.tiny.files]
"tiny.onnx" = "{sha}"
"""


def tiny_model(path: Path, bias: float) -> Path:
    """``y = relu(x) + bias``: a real ONNX model whose bytes differ per ``bias``."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    b = numpy_helper.from_array(np.full((4,), bias, dtype=np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["r", "b"], ["y"])],
        "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], initializer=[b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


class BundleShop:
    """Signed bundles of model ``tiny`` at versions 1 and 2, and a device root using v1's
    manifest as its firmware manifest (``KIOSK_ROOT``/``KIOSK_MODEL_MANIFEST`` set)."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp = tmp
        self.priv, self.pub = generate_keypair(tmp / "keys")
        self.models: dict[int, bytes] = {}
        self.bundles: dict[int, Path] = {}
        self.manifests: dict[int, Path] = {}
        monkeypatch.setenv("KIOSK_ROOT", str(tmp / "build-root"))
        for version in (1, 2):
            pkg = tmp / "site-packages" / f"kiosk_tiny_v{version}"
            (pkg / "__init__.py").parent.mkdir(parents=True, exist_ok=True)
            (pkg / "__init__.py").write_text("")
            model = tiny_model(pkg / "data" / "tiny.onnx", float(version))
            self.models[version] = model.read_bytes()
            manifest = tmp / f"manifest-v{version}.toml"
            manifest.write_text(MANIFEST.format(version=version, sha=sha256_file(model)))
            self.manifests[version] = manifest
        monkeypatch.syspath_prepend(str(tmp / "site-packages"))
        for version in (1, 2):
            sys.modules.pop(f"kiosk_tiny_v{version}", None)
            monkeypatch.setenv("KIOSK_MODEL_MANIFEST", str(self.manifests[version]))
            self.bundles[version] = create_bundle(["tiny"], tmp / "www" / f"tiny-{version}.kbundle",
                                                  self.priv, version=version)
        self.device = tmp / "device"
        monkeypatch.setenv("KIOSK_ROOT", str(self.device))
        monkeypatch.setenv("KIOSK_MODEL_MANIFEST", str(self.manifests[1]))
        self.models_dir = self.device / "var/lib/kiosk/models"

    def trust(self) -> Path:
        """Install the signing key in the device's trust store (as enroll would)."""
        dest = self.device / "var/lib/kiosk/identity/update-signing.pub"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self.pub.read_bytes())
        return dest

    def installed_model(self) -> bytes | None:
        path = self.models_dir / "tiny" / "tiny.onnx"
        return path.read_bytes() if path.exists() else None


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A local http.server on 127.0.0.1 serving ``folder``; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
