"""Sign-language input: camera -> hand landmarks -> fingerspelled letters -> a word.

:mod:`landmarks` holds the 21-point hand (MediaPipe's order) and the source interface,
:mod:`mediapipe_source` the optional MediaPipe landmarker (not installed by default: it
pins numpy<2), :mod:`synth` landmarks drawn from the avatar's own ASL hand model,
:mod:`features` and :mod:`classifier` the letter recogniser, :mod:`speller` the pure
state machine that turns per-frame letters into words, and :mod:`bridge` hands a word to
the kiosk as a question with source ``"sign"``.

Honest limits: the recogniser is trained and measured only on landmarks synthesised
from our own hand model (:mod:`appliance.sign.handshape`), never on real signers, so its
real-world accuracy is unknown. It reads the 24 static letters (J and Z move) and no
isolated signs. This room may import the sign output's hand model, numpy and
:mod:`appliance.pipeline.typed` (to build the question); never the engines or the CLI.
"""
