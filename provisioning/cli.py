"""``kiosk-provision``: set up and check a kiosk in the field.

The commands are thin: each calls one module of this package, prints friendly
coloured lines (or one JSON object with ``--json``) and exits 0 on success,
1 when something failed, 2 for a usage mistake.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from appliance import settings as app_settings
from appliance.errors import KioskError
from provisioning import (
    __version__,
    configedit,
    enroll,
    identity,
    maintenance,
    models,
    selftest,
    sitepack,
)
from provisioning.output import Output

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="kiosk-provision",
    help=(
        "Set up and check a kiosk: its identity, fleet enrolment, site pack, settings and "
        "hardware.\n\n"
        "A new box, in order: **init** (identity + CSR), send the CSR to the fleet CA, "
        "**enroll** BUNDLE (certificate from USB), **site install** PACK, **selftest**.\n\n"
        "Every command is safe to run again and takes **--json** for scripts. "
        "Paths hang from KIOSK_ROOT (default /)."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    add_completion=False,
    pretty_exceptions_enable=False,
)
site_app = typer.Typer(help="Install or show the site pack (what the kiosk knows and says).",
                       no_args_is_help=True)
config_app = typer.Typer(help="Read or change settings in kiosk.toml (validated, atomic).",
                         no_args_is_help=True)
models_app = typer.Typer(help="Verify, install and build the models the kiosk runs.",
                         no_args_is_help=True)
app.add_typer(site_app, name="site")
app.add_typer(config_app, name="config")
app.add_typer(models_app, name="models")

JsonFlag = Annotated[bool, typer.Option(
    "--json", help="Print one JSON object (for scripts; versioned by its \"v\" field).")]

_global_json = False
"""``kiosk-provision --json COMMAND``: the same as ``COMMAND --json``."""


def json_mode(local: bool) -> bool:
    """JSON output when asked for before or after the command."""
    return local or _global_json


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"kiosk-provision {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    json_out: JsonFlag = False,
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Print the version and exit.")] = None,
) -> None:
    global _global_json
    _global_json = json_out


def handled(func: F) -> F:
    """Turn known errors into one clear line (or a JSON error) and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = Output(json_mode(bool(kwargs.get("json_out", False))))
        try:
            return func(*args, out=out, **kwargs)
        except KioskError as err:
            out.error(err.code, str(err), getattr(err, "hint", ""))
        except app_settings.SettingsError as err:
            out.error(err.code, "; ".join(err.problems))
        except PermissionError as err:
            out.error("permission-denied", str(err), "run as root (sudo kiosk-provision ...)")
        except OSError as err:
            out.error("io-error", str(err))
        raise typer.Exit(1)

    signature = inspect.signature(func, eval_str=True)  # Typer must not see ``out`` as an option
    params = [p for p in signature.parameters.values() if p.name != "out"]
    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


@app.command()
@handled
def init(
    device_id: Annotated[str | None, typer.Option(
        help="Device id to use; default: from the board serial, else /etc/machine-id.")] = None,
    key_type: Annotated[str, typer.Option(help="ed25519 or ecdsa-p256.")] = "ed25519",
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Give this device its identity: id, key pair (made here, never leaves) and CSR.

    Send the printed CSR file to the fleet CA; it returns the enrolment bundle.
    """
    ident = identity.init(device_id, key_type)
    out.status("ok", f"device id [bold]{ident.device_id}[/] ({ident.source})")
    out.status("ok" if ident.created else "skip",
               f"{ident.key_type} key {'created' if ident.created else 'already present'}: "
               f"{ident.key_path}")
    out.line(f"  CSR for the fleet CA: [cyan]{ident.csr_path}[/]")
    out.emit({"ok": True, **ident.as_dict()})


@app.command(name="enroll")
@handled
def enroll_cmd(
    bundle: Annotated[Path, typer.Argument(help="Folder or .tar.gz from the fleet (USB path).")],
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Install the device certificate, fleet CA and broker address from BUNDLE.

    The certificate must match this device's key and id and be issued by the CA.
    An update-signing.pub in BUNDLE becomes the key fleet updates must be signed with.
    """
    result = enroll.enroll(bundle)
    for warning in result.warnings:
        out.warn(warning)
    state = "installed" if result.changed else "already installed"
    out.status("ok", f"certificate for {result.device_id} {state} (valid to {result.not_after})")
    out.status("ok", f"broker {result.broker['host']}:{result.broker['port']}")
    out.emit({"ok": True, **result.as_dict()})


@app.command()
@handled
def firstboot(
    bundle: Annotated[Path | None, typer.Option(
        help="Enrolment bundle to install too, if present.")] = None,
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """First-boot steps, run by kiosk-firstboot.service.

    Creates the identity if missing, then enrols from --bundle when that exists.
    """
    ident = identity.init()
    result: dict[str, Any] = {"ok": True, "identity": ident.as_dict(), "enrolment": None}
    out.status("ok", f"identity {ident.device_id} ({'created' if ident.created else 'present'})")
    if bundle is not None and bundle.exists():
        result["enrolment"] = enroll.enroll(bundle).as_dict()
        out.status("ok", "enrolled from " + str(bundle))
    out.emit(result)


@site_app.command("install")
@handled
def site_install(
    pack: Annotated[Path, typer.Argument(help="Site pack folder or .tar.gz.")],
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Validate PACK and make it the site (atomic: the old one stays until the new is in)."""
    result = sitepack.install(pack)
    if result["changed"] and result.get("name"):
        configedit.set_value("site", str(result["name"]))
    verb = "installed" if result["changed"] else "already installed"
    out.status("ok", f"site [bold]{result['name']}[/] {result['version']} {verb} "
               f"({result['files']} files, {', '.join(result['languages']) or 'no language'}, "
               f"{result['orientation']})")
    out.emit({"ok": True, **result})


@site_app.command("show")
@handled
def site_show(json_out: JsonFlag = False, *, out: Output) -> None:
    """Show the installed site pack: name, version, languages, orientation."""
    result = sitepack.summary()
    if not result["installed"]:
        out.status("warn", "no site pack installed (kiosk-provision site install PACK)")
    else:
        for key in ("name", "version", "languages", "orientation", "files", "installed_at",
                    "hash", "path"):
            out.line(f"[bold]{key:>12}[/]  {result[key]}")
    out.emit({"ok": True, **result})


@config_app.command("get")
@handled
def config_get(
    key: Annotated[str, typer.Argument(
        help="Dotted key like asr.engine, or a section like tts; empty = all.")] = "",
    origin: Annotated[bool, typer.Option(
        "--origin", help="Show where each value comes from: default, site, file or fleet.")
    ] = False,
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Print the effective settings as TOML (every layer applied, defaults filled in).

    Layers, lowest first: default, site (the site pack's settings.toml), file
    (kiosk.toml), fleet (the config the fleet pushed). --origin marks each value.
    """
    value, origins, result = configedit.effective(key)
    text = configedit.render_toml(key, value, origins if origin else None)
    out.raw(text.rstrip("\n"))
    for problem in result.problems:
        out.warn(escape(f"{problem} (in {problem.source or '?'}; the value above is the "
                        "fallback)"))
    doc: dict[str, Any] = {"ok": True, "key": key, "value": value, "toml": text,
                           "problems": [p.as_dict() for p in result.problems]}
    if origin:
        doc["origins"] = origins
    out.emit(doc)


@config_app.command("set", context_settings={"ignore_unknown_options": True})
@handled
def config_set(
    key: Annotated[str, typer.Argument(help="Dotted key like tts.length_scale.")],
    value: Annotated[str, typer.Argument(help="TOML value: 1.1, true, \"text\", [\"a\"].")],
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Change one setting in kiosk.toml (checked against the schema first).

    A refused value names the key, the value and what is allowed, and nothing is
    written. The previous file is kept as kiosk.toml.prev.
    Example: kiosk-provision config set tts.length_scale 1.1
    Restart the kiosk to apply: systemctl restart kiosk
    """
    result = configedit.set_value(key, value)
    if result["changed"]:
        was = "unset" if result["previous"] is None else repr(result["previous"])
        out.status("ok", f"{key} = {result['value']!r} (was {was})")
    else:
        out.status("skip", f"{key} is already {result['value']!r}")
    for problem in result["problems"]:
        out.warn(escape(f"kiosk.toml still has a problem: {problem}"))
    out.emit({"ok": True, **result})


@config_app.command("unset")
@handled
def config_unset(
    key: Annotated[str, typer.Argument(help="Dotted key like tts.length_scale.")],
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Remove one setting from kiosk.toml: it falls back to the site, fleet or default value.

    The previous file is kept as kiosk.toml.prev. A misspelt key the file holds can
    be removed too.
    """
    result = configedit.unset_value(key)
    if result["changed"]:
        out.status("ok", f"{key} removed (was {result['previous']!r}); now "
                         f"{_effective_text(key)}")
    else:
        out.status("skip", f"{key} is not set in kiosk.toml")
    out.emit({"ok": True, **result})


def _effective_text(key: str) -> str:
    try:
        value, origins, _ = configedit.effective(key)
    except KioskError:  # an unknown key that was only in the file
        return "gone"
    return f"{value!r} ({origins.get(key, 'default')})"


@app.command("selftest")
def selftest_cmd(
    only: Annotated[list[str] | None, typer.Option(
        "--only", help="Run only these checks (repeatable).")] = None,
    quick: Annotated[bool, typer.Option(help="Shorter recordings.")] = False,
    sim: Annotated[bool, typer.Option(help="Use the sim twins even if devices exist.")] = False,
    strict: Annotated[bool | None, typer.Option(
        "--strict/--no-strict",
        help="Fail on a simulated microphone, speaker or camera and on a missing site pack "
             "(default: on once the device is enrolled).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Check the hardware, the settings, the site pack and the fleet link; exit 1 on a failure.

    Checks: microphone (noise floor), loopback (speaker tone heard by the mic), camera,
    display, config (every settings layer against the schema), sitepack (the installed
    pack), gpu (TensorRT), models (hashes), mqtt (broker with the device certificate),
    disk, temperature. Devices missing here run on their sim twins, marked SIM; with
    --strict (the default on an enrolled device) a SIM microphone, speaker or camera fails.
    """
    out = Output(json_mode(json_out))
    loaded = app_settings.load_config(app_settings.config_path()).settings
    if strict is None:
        strict = bool(enroll.enrolment_status().get("enrolled")) and not sim
    ctx = selftest.CheckContext(loaded, quick=quick, force_sim=sim, strict=strict)
    count = len(only) if only else len(selftest.registry())
    try:
        with out.progress() as bar:
            task = bar.add_task("self-test", total=count)

            def step(name: str) -> None:
                bar.update(task, description=f"checking {name}")
                bar.advance(task)

            results = selftest.run_checks(ctx, only, on_step=step)
    except KeyError as exc:
        out.error("bad-check", f"unknown check(s): {exc.args[0]}",
                  "choose from: " + " ".join(selftest.registry()))
        raise typer.Exit(2) from exc
    doc = selftest.report(results, identity.current_device_id(), strict=strict)
    path = selftest.save(doc)
    doc["published"] = selftest.publish(doc)
    rows = [[r.name, r.status, "SIM" if r.sim else "", escape(r.detail)] for r in results]
    out.table("kiosk self-test" + (" (strict)" if strict else ""),
              ["check", "result", "", "detail"], rows)
    out.status(doc["overall"], f"overall: {doc['overall']}  (report {path})")
    if doc["sim"]:
        out.line("[dim]SIM = no such device here; the check ran on its sim twin[/]")
    out.emit({"ok": doc["overall"] != "fail", **doc})
    if doc["overall"] == "fail":
        raise typer.Exit(1)


def _progress_runner(out: Output, label: str) -> Callable[[Callable[..., Any]], Any]:
    def run(call: Callable[..., Any]) -> Any:
        with out.progress() as bar:
            task = bar.add_task(label, total=100)

            def progress(description: str, fraction: float) -> None:
                bar.update(task, description=description, completed=100 * fraction)

            return call(progress)

    return run


@models_app.command("verify")
@handled
def models_verify(json_out: JsonFlag = False, *, out: Output) -> None:
    """Check every model file against the hash in the manifest."""
    results = models.verify()
    for item in results:
        out.status("pass" if item.get("ok") else "fail",
                   f"{item.get('name', '?')}: {item.get('detail', '')}")
    ok = all(item.get("ok") for item in results)
    out.emit({"ok": ok, "models": results})
    if not ok:
        raise typer.Exit(1)


@models_app.command("install")
@handled
def models_install(
    bundle: Annotated[Path, typer.Argument(help="Signed model bundle (offline, e.g. USB).")],
    key: Annotated[Path | None, typer.Option(
        help="Ed25519 public key the bundle must be signed with "
        "(default: /var/lib/kiosk/identity/update-signing.pub).")] = None,
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Install a signed model bundle (signature and hashes checked first)."""
    result = _progress_runner(out, "installing models")(
        lambda progress: models.install(bundle, progress, key))
    out.status("ok", "models installed")
    out.emit({"ok": True, **result})


@models_app.command("build")
@handled
def models_build(json_out: JsonFlag = False, *, out: Output) -> None:
    """Build TensorRT engines for this GPU (slow the first time; cached afterwards)."""
    results = _progress_runner(out, "building engines")(lambda progress: models.build(progress))
    for item in results:
        out.status("ok", str(item.get("name", item)))
    out.emit({"ok": True, "engines": results})


@models_app.command("plan")
@handled
def models_plan(json_out: JsonFlag = False, *, out: Output) -> None:
    """Show, per model (vad, asr, tts, encoder), the backends it would try and why."""
    from appliance.runtime.plan import plan_all

    doc = plan_all()
    for model in doc["models"]:
        rows = [[r["backend"], "yes" if r["available"] else "no", r["precision"], r["reason"]]
                for r in model["backends"]]
        out.table(f"{model['role'] or '-'}: {model['model']} -> {model['chosen']}",
                  ["backend", "usable", "precision", "why"], rows)
    out.emit({"ok": True, **doc})


@app.command()
@handled
def status(json_out: JsonFlag = False, *, out: Output) -> None:
    """One screen: identity, enrolment, site, config, services, last self-test."""
    info = maintenance.status()
    enrolled = info["enrolment"].get("enrolled")
    out.status("ok" if info["identity"] else "warn",
               f"identity: {info['device_id'] or 'none (kiosk-provision init)'}")
    out.status("ok" if enrolled else "warn", "enrolled: " + (
        f"{info['enrolment']['broker'].get('host')} until {info['enrolment']['not_after']}"
        if enrolled else "no (kiosk-provision enroll BUNDLE)"))
    site = info["site"]
    out.status("ok" if site.get("installed") else "warn",
               f"site: {site.get('name') or 'none (kiosk-provision site install PACK)'}")
    _config_status(out, info["config"])
    for unit, state in info["services"].items():
        out.status("ok" if state == "active" else "skip", f"{unit}: {state}")
    last = info["last_selftest"]
    out.status(last["overall"] if last else "skip",
               f"last self-test: {last['overall']} at {last['at']}" if last else
               "last self-test: never")
    out.emit({"ok": True, **info})


def _config_status(out: Output, config: dict[str, Any]) -> None:
    """One line per settings file, each telling what is really there."""
    path = config["path"]
    if not config["exists"]:
        fallback = ("the last good copy" if config["last_good"]["exists"]
                    else "built-in defaults")
        out.status("warn", f"config: {path} missing; the kiosk uses {fallback}")
    elif config["valid"]:
        out.status("ok", f"config: {path}")
    else:
        out.status("fail", f"config: {path} has refused values (they run on fallbacks)")
    for problem in config["problems"]:
        if problem["code"] == "config-unreadable":
            out.raw(f"    {problem['source']}: {problem['allowed']}")
        else:
            out.raw(f"    {problem['key']} = {problem['value']!r} refused, allowed "
                    f"{problem['allowed']} ({problem['source']})")
    fleet = config["fleet"]
    if fleet["exists"]:
        out.status("ok", f"fleet config: version {fleet['version']} ({fleet['path']})")
    else:
        out.status("skip", "fleet config: none pushed")
    if config["site_settings"]["exists"]:
        out.status("ok", f"site settings: {config['site_settings']['path']}")


@app.command()
@handled
def diagnostics(
    out_path: Annotated[Path | None, typer.Option(
        "--out", help="Tarball path or folder (e.g. a USB stick).")] = None,
    hours: Annotated[float, typer.Option(
        "--hours", min=0.1, max=24 * 14, help="How many hours of the kiosk's log to include.")
    ] = 6.0,
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Write a support tarball a support engineer can act on.

    The last hours of the kiosk's log (journal and log file), the effective config with
    each value's origin and problems, the engines' and devices' last health (states,
    degraded reasons, latency of recent turns), the fleet link and its outbox, the last
    self-test and versions. Secrets are redacted; the private key is never included.
    """
    result = maintenance.diagnostics(out_path, hours)
    out.status("ok", f"wrote {result['path']} ({result['bytes']} bytes)")
    out.emit({"ok": True, **result})


@app.command("factory-reset")
@handled
def factory_reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_out: JsonFlag = False,
    *,
    out: Output,
) -> None:
    """Erase identity, certificates, site pack, config and spool (models are kept)."""
    if not yes:
        if json_out:
            out.error("confirmation-needed", "factory-reset needs --yes with --json")
            raise typer.Exit(2)
        typer.confirm("Erase this kiosk's identity, enrolment, site and settings?", abort=True)
    result = maintenance.factory_reset()
    out.status("ok", f"erased {len(result['removed'])} item(s); run kiosk-provision init next")
    out.emit({"ok": True, **result})


def main() -> None:
    """Entry point of the ``kiosk-provision`` script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
