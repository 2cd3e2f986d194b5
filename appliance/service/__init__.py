"""``kiosk run``: the kiosk as a long-running systemd service.

``daemon`` runs the :class:`~appliance.app.Kiosk` until stopped (sd_notify, the health
snapshot, the out-of-service report); ``behaviour`` wires the behaviour runner to the camera,
the display, the live avatar and the staff commands; ``telemetry_link`` joins the kiosk to the
telemetry agent (health, events, remote commands); ``fleet_config`` applies a config the fleet
pushed, live or by a clean restart; ``sign_input`` reads fingerspelled words from the
behaviour runner's camera into the kiosk (``[sign] input``). It may import ``app``,
``avatar``, ``behavior``, ``devices``, ``sign``, ``telemetry`` and everything below them;
only ``cli`` imports it.
"""
