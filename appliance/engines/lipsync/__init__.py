"""Lip-sync engines."""
