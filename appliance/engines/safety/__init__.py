"""Safety: is someone in danger (its own engine, independent of the intent classifier)."""
