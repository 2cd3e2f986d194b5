"""Engine families: one folder each, ``base.py`` (the interface), implementations, ``fake.py``.

Engines are synchronous and blocking; they never import the pipeline. The
pipeline's processors run them on one-thread executors.
"""
