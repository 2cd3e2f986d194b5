"""Site packs: the content one kiosk serves (intents, slots, network, FAQ, templates, feeds).

Use :func:`load_sitepack` to read a validated pack and :func:`check_sitepack` to list
every problem with its file and line; :func:`default_sitepack_dir` says which pack the
kiosk uses when none is configured.
"""

from __future__ import annotations

from pathlib import Path

from appliance.sitepack.loader import SitePackError, check_sitepack, load_sitepack
from appliance.sitepack.model import (
    REQUIRED_INTENTS,
    FaqEntry,
    Intent,
    Manifest,
    Network,
    Problem,
    SitePack,
    SlotValue,
)

__all__ = [
    "REQUIRED_INTENTS", "FaqEntry", "Intent", "Manifest", "Network", "Problem", "SitePack",
    "SitePackError", "SlotValue", "bundled_sitepack_dir", "check_sitepack",
    "default_sitepack_dir", "load_sitepack",
]


def bundled_sitepack_dir() -> Path:
    """The metro demo pack shipped in the repository (``models/sitepacks/metro-demo``)."""
    return Path(__file__).resolve().parents[2] / "models" / "sitepacks" / "metro-demo"


def default_sitepack_dir(configured: str = "") -> Path:
    """The configured pack, else the provisioned ``<state>/site``, else the bundled demo."""
    from appliance.settings import state_dir

    if configured:
        return Path(configured)
    installed = state_dir() / "site"
    if (installed / "manifest.yaml").is_file():
        return installed
    return bundled_sitepack_dir()
