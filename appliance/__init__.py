"""The kiosk's on-device orchestrator."""

__version__ = "0.1.0"
