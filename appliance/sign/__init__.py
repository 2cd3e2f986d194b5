"""Sign-language output: the avatar signs a reply (lexicon + gloss, not full grammar).

Here live the hand model with per-finger flexion (:mod:`handshape`), the keyframed
station-sign lexicon and its data files (:mod:`lexicon`, ``data/``), fingerspelling of
names and numbers (:mod:`fingerspell`), reply text -> gloss with character spans
(:mod:`gloss`), the timed signing track a renderer samples at any ``t``
(:mod:`timeline`) and the drawing of signing arms and hands (:mod:`render`, with a
contact sheet in :mod:`sheet`). This room may import only the avatar's data types and
drawing helpers (``appliance.avatar``), the standard library, numpy, OpenCV and PyYAML;
never the pipeline, the CLI or the engines. Sign-language input lives in
:mod:`appliance.sign.input` (landmarks -> fingerspelled words); it alone may also import
:mod:`appliance.pipeline.typed`, to hand a word in as a question. The signs are
simplified, hand-made approximations for a 2D avatar, not validated by Deaf signers
(see docs/sign-language.md).
"""
