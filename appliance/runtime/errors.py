"""Errors of the model runtime and the model supply chain, each with a stable code."""

from __future__ import annotations

from appliance.errors import EngineLoadError, KioskError


class ModelNotFoundError(EngineLoadError):
    """The manifest has no such model, or its files are not on this machine."""

    code = "model-missing"


class ModelHashError(KioskError):
    """A model file's sha256 differs from the manifest (or the file is missing)."""

    code = "model-hash-mismatch"


class ManifestError(KioskError):
    """``models/manifest.toml`` (or an overlay) is malformed."""

    code = "manifest-invalid"


class BackendUnavailableError(EngineLoadError):
    """No runtime backend could load the model (every candidate failed)."""

    code = "runtime-unavailable"


class BundleError(KioskError):
    """A model bundle is unsigned, tampered, signed by another key or malformed."""

    code = "bundle-rejected"
