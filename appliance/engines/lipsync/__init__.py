"""lipsync engines."""
