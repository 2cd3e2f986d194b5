"""System self-tests: camera, sign input, display, GPU, models, MQTT, disk, temperature.

Each reads the host through :func:`provisioning.checks.host_path`, so a
machine (or a scratch ``KIOSK_ROOT``) without the device gets the sim result,
which says so.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import shutil
import socket
import ssl
import struct
import sys
from typing import Any

import numpy as np

from provisioning import enroll, identity, models
from provisioning.checks import CheckContext, CheckResult, host_path
from provisioning.errors import ProvisionError
from provisioning.paths import atomic_write, selftest_dir, state_dir


def _video_devices() -> list[str]:
    return sorted(p.name for p in host_path("dev").glob("video*"))


def check_camera(ctx: CheckContext) -> CheckResult:
    """Grab a frame from the configured camera and look for faces in it (the kiosk's own
    camera and detector, so a CSI/GStreamer source is tested as the kiosk opens it)."""
    cam = ctx.settings.camera
    if ctx.force_sim or (not cam.enabled and not _video_devices()):
        return CheckResult("camera", "skip", "no camera (/dev/video*): sim twin in use", sim=True)
    from appliance.devices.hardware import build_camera, build_detector

    camera = build_camera(cam)
    try:
        frame = asyncio.run(_first_frame(camera))
    except (OSError, RuntimeError, ValueError) as exc:
        return CheckResult("camera", "fail", f"{camera.name}: {exc}")
    if frame is None:
        return CheckResult("camera", "fail",
                           f"{camera.name}: {camera.health.message or 'no frame arrived'}")
    faces = build_detector(ctx.settings.vision).detect(frame)
    height, width = frame.shape[:2]
    data = {"device": camera.name, "width": width, "height": height, "faces": len(faces)}
    return CheckResult("camera", "pass", f"{camera.name}: {width}x{height} frame, "
                       f"{len(faces)} face(s) (stand in front to test detection)", data=data)


def check_sign(ctx: CheckContext) -> CheckResult:
    """``[sign] input``: can ``kiosk run`` read fingerspelling (mediapipe importable, a
    camera the behaviour tree reads)? A warning, never a failure: the kiosk runs without it."""
    from appliance.service.sign_input import NO_CAMERA
    from appliance.sign.input.landmarks import SignInputError
    from appliance.sign.input.mediapipe_source import MISSING

    settings = ctx.settings
    if not settings.sign.input:
        return CheckResult("sign", "skip", "sign input off ([sign] input = false)")
    problems: list[tuple[str, str]] = []
    loaded = sys.modules.get("mediapipe", False)  # None: its import is blocked
    if loaded is None or (loaded is False and importlib.util.find_spec("mediapipe") is None):
        problems.append((MISSING, "mediapipe is not installed (the 'sign' extra, "
                                  "mediapipe 0.10.18, needs numpy<2)"))
    elif not ctx.quick:  # installed: does it import beside this numpy and protobuf?
        from appliance.sign.input.mediapipe_source import load_mediapipe

        try:
            load_mediapipe()
        except SignInputError as exc:
            problems.append((exc.code, str(exc)))
    if not settings.camera.enabled:
        problems.append((NO_CAMERA, "[camera] enabled = false"))
    if not settings.behavior.enabled:
        problems.append((NO_CAMERA, "[behavior] enabled = false (nothing reads the camera)"))
    if problems:
        detail = "; ".join(f"{text} [{code}]" for code, text in problems)
        return CheckResult("sign", "warn", f"sign input is on but will not run: {detail}; "
                           "the kiosk runs without it",
                           data={"codes": sorted({code for code, _ in problems})})
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("mediapipe")
    except PackageNotFoundError:
        found = "?"
    return CheckResult("sign", "pass", f"mediapipe {found}; fingerspelling read at up to "
                       f"{settings.sign.fps:g} fps (accuracy measured on synthetic hands only)",
                       data={"mediapipe": found, "fps": settings.sign.fps})


async def _first_frame(camera: Any, timeout: float = 5.0) -> np.ndarray | None:
    async def first() -> np.ndarray | None:
        async for frame in camera.frames():
            return np.asarray(frame.image)
        return None

    try:
        return await asyncio.wait_for(first(), timeout)
    except asyncio.TimeoutError:
        return None
    finally:
        await camera.close()


def colour_bars(width: int = 320, height: int = 180) -> np.ndarray:
    """The display test pattern: eight SMPTE-like colour bars (RGB)."""
    colours = np.array([[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0],
                        [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]], dtype=np.uint8)
    index = (np.arange(width) * len(colours) // width)
    return np.repeat(colours[index][None, :, :], height, axis=0)


def check_display(ctx: CheckContext) -> CheckResult:
    """Which screens are connected; writes the test pattern for the display session."""
    pattern = colour_bars()
    header = f"P6 {pattern.shape[1]} {pattern.shape[0]} 255\n".encode()
    path = selftest_dir() / "pattern.ppm"
    atomic_write(path, header + pattern.tobytes())
    statuses = [] if ctx.force_sim else sorted(host_path("sys/class/drm").glob("card*-*/status"))
    if not statuses:
        return CheckResult("display", "skip", f"no display (DRM): sim twin; pattern in {path}",
                           sim=True, data={"pattern": str(path)})
    connected = [p.parent.name for p in statuses if p.read_text().strip() == "connected"]
    data = {"connected": connected, "pattern": str(path)}
    if not connected:
        return CheckResult("display", "fail", "no screen connected", data=data)
    return CheckResult("display", "pass", "connected: " + ", ".join(connected), data=data)


def is_jetson() -> bool:
    if host_path("etc/nv_tegra_release").exists():
        return True
    try:
        return b"nvidia,tegra" in host_path("proc/device-tree/compatible").read_bytes()
    except OSError:
        return False


def check_gpu(ctx: CheckContext) -> CheckResult:
    """GPU present, TensorRT importable, ONNX Runtime's accelerated providers."""
    jetson = is_jetson()
    gpu = jetson or host_path("dev/nvidia0").exists()
    data: dict[str, Any] = {"jetson": jetson, "gpu": gpu}
    providers: list[str] = []
    if importlib.util.find_spec("onnxruntime") is not None:
        ort: Any = importlib.import_module("onnxruntime")
        providers = list(ort.get_available_providers())
    data["onnxruntime_providers"] = providers
    trt_version = None
    if importlib.util.find_spec("tensorrt") is not None:
        try:
            trt_version = str(importlib.import_module("tensorrt").__version__)
        except Exception as exc:  # a broken TensorRT install is reported, not raised
            data["tensorrt_error"] = str(exc)
    data["tensorrt"] = trt_version
    if not gpu or ctx.force_sim:
        return CheckResult("gpu", "skip", "no GPU: engines run on the CPU", sim=True, data=data)
    accelerated = [p for p in providers if p in ("TensorrtExecutionProvider",
                                                 "CUDAExecutionProvider")]
    if trt_version and accelerated:
        return CheckResult("gpu", "pass", f"TensorRT {trt_version}; ONNX Runtime: "
                           + ", ".join(accelerated), data=data)
    if trt_version or accelerated:
        missing = "ONNX Runtime has no GPU provider" if trt_version else "TensorRT is missing"
        return CheckResult("gpu", "warn", "GPU usable but " + missing, data=data)
    return CheckResult("gpu", "fail", "GPU present but neither TensorRT nor a GPU ONNX Runtime "
                       "is installed (JetPack: see README 'Jetson')", data=data)


def check_models(ctx: CheckContext) -> CheckResult:
    try:
        results = models.verify()
    except ProvisionError as err:
        return CheckResult("models", "skip", str(err))
    unbuilt = [r["name"] for r in results
               if not r.get("ok") and r.get("source") == "recipe" and not r.get("built")]
    bad = [r.get("name", "?") for r in results if not r.get("ok") and r["name"] not in unbuilt]
    data = {"models": results}
    if bad:
        return CheckResult("models", "fail", "hash mismatch or missing: " + ", ".join(bad),
                           data=data)
    if unbuilt:
        return CheckResult("models", "warn", "not built yet (the kiosk builds them at first "
                           "start, or run: kiosk-provision models build): " + ", ".join(unbuilt),
                           data=data)
    return CheckResult("models", "pass", f"{len(results)} model(s) match their hashes", data=data)


def mqtt_connect_packet(client_id: str, keepalive: int = 10) -> bytes:
    """An MQTT v5 CONNECT with a clean start and no properties."""
    cid = client_id.encode()
    body = (b"\x00\x04MQTT\x05\x02" + struct.pack(">H", keepalive) + b"\x00"
            + struct.pack(">H", len(cid)) + cid)
    return b"\x10" + _varint(len(body)) + body


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value % 128, value // 128
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def mqtt_probe(host: str, port: int, device_id: str, timeout: float = 5.0) -> int:
    """TLS with the device's certificate, CONNECT, DISCONNECT; the CONNACK reason code."""
    context = ssl.create_default_context(cafile=str(enroll.ca_path()))
    context.load_cert_chain(str(enroll.cert_path()), str(identity.key_path()))
    with socket.create_connection((host, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(mqtt_connect_packet(device_id))
        head = tls.recv(2)
        if len(head) < 2 or head[0] != 0x20:
            raise ConnectionError("the broker did not answer with CONNACK")
        rest = tls.recv(head[1])
        tls.sendall(b"\xe0\x00")  # DISCONNECT
        return rest[1] if len(rest) > 1 else 255


def check_mqtt(ctx: CheckContext) -> CheckResult:
    status = enroll.enrolment_status()
    if not status.get("enrolled"):
        return CheckResult("mqtt", "skip", "not enrolled yet (kiosk-provision enroll BUNDLE)")
    broker = status.get("broker", {})
    host, port = broker.get("host", ""), int(broker.get("port", 8883))
    device_id = identity.current_device_id() or ""
    data = {"host": host, "port": port}
    try:
        reason = mqtt_probe(broker.get("tls_server_name") or host, port, device_id) \
            if host else -1
    except (OSError, ssl.SSLError, ConnectionError) as exc:
        return CheckResult("mqtt", "fail", f"{host}:{port}: {exc}", data=data)
    data["reason_code"] = reason
    if reason == 0:
        return CheckResult("mqtt", "pass", f"connected to {host}:{port} as {device_id}", data=data)
    return CheckResult("mqtt", "fail", f"{host}:{port} refused the device (reason {reason})",
                       data=data)


def check_disk(ctx: CheckContext) -> CheckResult:
    where = state_dir() if state_dir().exists() else host_path("")
    usage = shutil.disk_usage(where)
    free_gib = usage.free / 2**30
    free_pct = 100 * usage.free / usage.total if usage.total else 0.0
    data = {"path": str(where), "free_gib": round(free_gib, 2), "free_percent": round(free_pct, 1)}
    text = f"{free_gib:.1f} GiB free ({free_pct:.0f}%) on {where}"
    if free_gib < 1 or free_pct < 3:
        return CheckResult("disk", "fail", text, data=data)
    if free_gib < 4 or free_pct < 10:
        return CheckResult("disk", "warn", text, data=data)
    return CheckResult("disk", "pass", text, data=data)


def check_temperature(ctx: CheckContext) -> CheckResult:
    zones: dict[str, float] = {}
    for zone in sorted(host_path("sys/class/thermal").glob("thermal_zone*")):
        try:
            value = int((zone / "temp").read_text().strip()) / 1000
            name = (zone / "type").read_text().strip() if (zone / "type").exists() else zone.name
        except (OSError, ValueError):
            continue
        zones[name] = value
    if not zones:
        return CheckResult("temperature", "skip", "no thermal sensors: sim twin", sim=True)
    hottest = max(zones, key=lambda k: zones[k])
    data = {"zones_c": zones, "max_c": zones[hottest]}
    text = f"hottest {hottest} {zones[hottest]:.1f} °C"
    if zones[hottest] >= 95:
        return CheckResult("temperature", "fail", text + ": overheating", data=data)
    if zones[hottest] >= 80:
        return CheckResult("temperature", "warn", text + ": check the airflow", data=data)
    return CheckResult("temperature", "pass", text, data=data)
