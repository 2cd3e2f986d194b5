"""Self-test checks of what the kiosk will read: its settings and its site pack.

The config check runs the kiosk's own loader (every layer: site settings,
kiosk.toml, the fleet's config) and fails on any refused value, because the
kiosk would then run on a fallback the technician did not choose. The site pack
check runs the same checker as ``kiosk sitepack check`` on the installed pack.
"""

from __future__ import annotations

from appliance import settings as app_settings
from appliance.sitepack import check_sitepack as check_pack_files
from provisioning.checks import CheckContext, CheckResult
from provisioning.paths import config_path, site_dir


def check_config(ctx: CheckContext) -> CheckResult:
    """Every settings layer against the schema; a refused value is a failure."""
    result = app_settings.load_config(config_path())
    problems = [p.as_dict() for p in result.problems]
    data = {"problems": problems, "notes": result.notes, "fleet_version": result.fleet_version,
            "overridden": sorted(k for k, v in result.origins.items() if v != "default")}
    if problems:
        shown = "; ".join(str(p) for p in result.problems[:3])
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return CheckResult("config", "fail", f"refused settings run on fallbacks: {shown}{more}",
                           data=data)
    if not config_path().exists():
        return CheckResult("config", "warn", f"{config_path()} missing: "
                           + "; ".join(result.notes), data=data)
    return CheckResult("config", "pass", f"{config_path()} valid"
                       + (f", fleet config v{result.fleet_version}"
                          if result.fleet_version else ""), data=data)


def check_sitepack(ctx: CheckContext) -> CheckResult:
    """The installed site pack, file by file (errors fail; warnings warn)."""
    folder = site_dir()
    if not (folder / "manifest.yaml").exists():
        status = "fail" if ctx.strict else "warn"
        return CheckResult("sitepack", status, "no site pack installed "
                           "(kiosk-provision site install PACK); the kiosk would serve the "
                           "bundled demo")
    pack, problems = check_pack_files(folder)
    errors = [str(p) for p in problems if p.severity == "error"]
    warnings = [str(p) for p in problems if p.severity != "error"]
    data = {"path": str(folder), "errors": errors[:50], "warnings": warnings[:50]}
    if errors or pack is None:
        return CheckResult("sitepack", "fail", f"{len(errors)} error(s): "
                           + "; ".join(errors[:3]), data=data)
    name = pack.manifest.name
    if warnings:
        return CheckResult("sitepack", "warn", f"{name}: {len(warnings)} warning(s): "
                           + "; ".join(warnings[:3]), data=data)
    return CheckResult("sitepack", "pass", f"{name}: valid", data=data)

