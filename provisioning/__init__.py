"""kiosk-provision: the field technician's CLI."""
