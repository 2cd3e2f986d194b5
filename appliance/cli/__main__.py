"""``python -m appliance.cli``: the ``kiosk`` command."""

import sys

from appliance.cli.main import main

sys.exit(main())
