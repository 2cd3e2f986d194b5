"""``make bench``: one module per measured area, all merged into ``build/bench.json``.

``main`` runs the areas (``python -m appliance.bench [--only AREA] [--quick]``) and keeps
figures it did not re-measure; ``speech_loop``, ``asr_bias``, ``audio``, ``avatar``,
``conversation``, ``fleet``, ``nlu``, ``runtime``, ``system`` and ``vision`` each measure one
area with ``run(quick) -> dict``. ``fleet_soak`` (``make soak``) and ``gpu_check``
(``make gpu-check``) are the long and the GPU-only runs. Benches may import every room
except ``cli``; nothing but ``cli`` and the benches themselves imports this room.
"""
