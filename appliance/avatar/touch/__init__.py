"""Touch and text: questions from the screen (suggestion buttons, a text box with an
on-screen keyboard) into the same loop as speech, in the browser preview (``desk``,
``page``) and in ``kiosk display`` (``panel``, ``client``)."""
