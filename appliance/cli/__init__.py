"""The ``kiosk`` command, the top of the house.

``main`` parses the command line and dispatches; ``demo`` holds ``kiosk demo``, ``say`` and
``announce`` (``make run`` writes ``out/demo.mp4`` through it); ``nlu`` holds the text
commands (``kiosk ask``, ``chat``, ``sitepack ...``). ``python -m appliance.cli`` is the same
as ``kiosk``. This room may import every other room of ``appliance`` and ``hw``; nothing in
``appliance``, ``hw`` or ``provisioning`` imports it (``tests/unit/test_layers.py``).
"""
