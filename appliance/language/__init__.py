"""Expressive language: how the kiosk says things.

``style`` is the reply's style transfer (the visitor's emotion and the intent choose a style;
the style rewrites the words and sets the voice's prosody). ``announce`` is Data2Text: a
structured notice becomes a spoken script in five visible steps (gather, order, link, smooth,
rewrite in the site's style). ``text_language`` tells a typed question's language among the
pack's, where speech has the ASR's language ID. The answer templates a site pack may
override live with the pack's data in ``appliance/sitepack/templating.py``. This room may
import ``engines`` (text normalisation, emotion cues, TTS prosody), ``sitepack``, ``frames``,
``errors`` and ``settings``; the pipeline, the dialogue and the commands import it.
"""
