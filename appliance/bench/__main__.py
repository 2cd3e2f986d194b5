"""``python -m appliance.bench``: ``make bench``, every area into one JSON file."""

import sys

from appliance.bench.main import main

sys.exit(main())
