"""``python -m provisioning`` is ``kiosk-provision``."""

from provisioning.cli import main

main()
