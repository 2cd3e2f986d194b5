"""nlu engines."""
