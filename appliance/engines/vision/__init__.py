"""vision engines."""
