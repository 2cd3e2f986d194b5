"""Where rendered frames go: a window, an MP4 file, an MJPEG preview, or memory."""

from appliance.avatar.sinks.base import DisplayError, FrameSink
from appliance.avatar.sinks.memory import MemorySink
from appliance.avatar.sinks.mjpeg import MjpegPreview
from appliance.avatar.sinks.mp4 import Mp4Recorder
from appliance.avatar.sinks.window import WindowSink

__all__ = ["DisplayError", "FrameSink", "MemorySink", "MjpegPreview", "Mp4Recorder", "WindowSink"]
