"""Settings -> devices: the one place ``appliance`` turns ``kiosk.toml`` into ``hw`` objects.

``audio`` opens the microphone (or array) and speaker the settings ask for, ``hardware``
builds the camera, the vision engine, the display and the platform probes, ``presence``
turns camera frames into :class:`~appliance.frames.Presence` for the behaviour runner.
Every builder falls back to the sim twin and says why. This room may import ``hw``,
``settings``, ``frames`` and ``engines`` (vision); ``app`` and the rooms above it import it.
"""
