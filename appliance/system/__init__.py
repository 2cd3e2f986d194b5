"""The kiosk and the operating system, and small shared utilities.

``sdnotify`` (readiness and watchdog for systemd), ``journal`` (structured logging to the
journal or a file), ``bootloop`` (the boot-loop guard and the out-of-service record),
``unitcheck`` (offline ``systemd-analyze`` checks of the units), ``fileio`` (atomic file
writes), ``jsonout`` (the versioned JSON every command prints), ``metrics`` (percentiles,
word error rate). This room sits at the bottom of ``appliance``: it may import the
standard library, ``errors`` and ``settings`` only, and every other room may import it.
"""
