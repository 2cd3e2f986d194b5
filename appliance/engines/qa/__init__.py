"""qa engines."""
