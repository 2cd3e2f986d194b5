"""``kiosk-provision``: the field technician's tool to set up and check a kiosk.

Every path hangs from ``KIOSK_ROOT`` (see :mod:`appliance.settings`), so the
whole tool runs against a scratch tree in development and tests.
"""

__version__ = "0.1.0"
