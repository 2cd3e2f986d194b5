"""Settings: one schema, validated by key, layered with origins, never bricking the device."""

import dataclasses
import json
import logging
from pathlib import Path

import pytest

from appliance import settings as s

ISSUE_BAD_VALUES = {
    "avatar.mjpeg_port": 99999,
    "vad.threshold": 1.5,
    "audio.volume": 5,
    "display.night_start": "25:99",
    "tts.length_scale": -3,
    "asr.engine": "whsiper",
    "telemetry.port": 99999,
    "telemetry.keepalive_s": -5,
    "site": "bad/site",
}
BAD_TOML = """site = "bad/site"
[avatar]
mjpeg_port = 99999
[vad]
threshold = 1.5
min_speech_ms = 90
[audio]
volume = 5
[display]
night_start = "25:99"
[tts]
length_scale = -3
[asr]
engine = "whsiper"
[telemetry]
port = 99999
keepalive_s = -5
"""


def write(root: Path, text: str) -> Path:
    path = root / "etc/kiosk/kiosk.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_when_no_file_say_so_at_warning(kiosk_root: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="appliance.settings"):
        result = s.load_config()
    assert result.settings == s.Settings()
    assert result.problems == []
    assert any("missing; using built-in defaults" in n for n in result.notes)
    assert any(r.levelno == logging.WARNING and "missing" in r.getMessage()
               for r in caplog.records)
    assert set(result.origins.values()) == {"default"}


def test_missing_file_uses_the_last_good_copy(kiosk_root: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    path = write(kiosk_root, "[tts]\nlength_scale = 1.3\n")
    assert s.load()[0].tts.length_scale == 1.3
    path.unlink()
    with caplog.at_level(logging.WARNING, logger="appliance.settings"):
        result = s.load_config()
    assert result.settings.tts.length_scale == 1.3
    assert any("last good copy" in n for n in result.notes)
    assert any(r.levelno == logging.WARNING and "last good" in r.getMessage()
               for r in caplog.records)


def test_good_file_is_read_and_kept_as_last_good(kiosk_root: Path) -> None:
    write(kiosk_root, '[asr]\nengine = "vosk"\nbeam_size = 2\n[vad]\nthreshold = 1\n')
    settings, warnings = s.load()
    assert warnings == []
    assert settings.asr.engine == "vosk" and settings.asr.beam_size == 2
    assert settings.vad.threshold == 1.0 and isinstance(settings.vad.threshold, float)
    assert s.last_good_path().read_text().startswith("[asr]")


def test_defaults_pass_their_own_schema() -> None:
    assert s.validate_overrides(dataclasses.asdict(s.Settings())) == []


@pytest.mark.parametrize(("key", "value"), sorted(ISSUE_BAD_VALUES.items()))
def test_issue_values_are_refused_naming_key_value_and_allowed(key: str, value: object) -> None:
    (problem,) = s.validate_overrides({key: value})
    assert (problem.key, problem.value, problem.code) == (key, value, "config-invalid")
    assert problem.allowed
    assert key in str(problem) and repr(value) in str(problem)


@pytest.mark.parametrize(
    ("tables", "allowed"),
    [
        ({"asr": {"engine": "whsiper"}}, "one of: whisper, vosk"),
        ({"avatar": {"mjpeg_port": 99999}}, "an integer 0..65535"),
        ({"telemetry": {"port": 0}}, "an integer 1..65535"),
        ({"display": {"night_end": "6:00"}}, "HH:MM"),
        ({"vad": {"min_silence_ms": True}}, "an integer 1..10000"),
        ({"audio": {"volume": "5"}}, "a number 0..2"),
        ({"asr": {"grammar": [1, 2]}}, "a list of text"),
        ({"asr": 3}, "a table of engine, model"),
    ],
)
def test_allowed_reads_the_declaration(tables: dict[str, object], allowed: str) -> None:
    (problem,) = s.validate_overrides(tables)
    assert allowed in problem.allowed, problem


def test_unknown_key_lists_the_known_ones() -> None:
    (problem,) = s.validate_overrides({"asr": {"beems": 2}}, source="fleet")
    assert problem.code == "config-unknown-key" and problem.key == "asr.beems"
    assert "beam_size" in problem.allowed and problem.source == "fleet"
    assert problem.as_dict()["key"] == "asr.beems"


def test_validate_overrides_judges_only_the_given_keys_and_never_raises() -> None:
    assert s.validate_overrides({"tts": {"length_scale": 1.15}}) == []
    assert s.validate_overrides({"tts.length_scale": 1.15}) == []
    assert s.validate_overrides({}) == []
    assert s.validate_overrides(["not", "a", "table"])[0].code == "config-not-table"  # type: ignore[arg-type]


def test_a_file_with_every_bad_value_starts_with_defaults_for_those_keys(
        kiosk_root: Path) -> None:
    write(kiosk_root, BAD_TOML)
    result = s.load_config()
    assert {p.key for p in result.problems} == set(ISSUE_BAD_VALUES)
    defaults = s.EffectiveConfig(s.Settings(), {})
    for key in ISSUE_BAD_VALUES:
        assert result.value(key) == defaults.value(key), key
        assert result.origins[key] == "default"
    assert result.settings.vad.min_speech_ms == 90  # a good neighbour is kept
    assert result.origins["vad.min_speech_ms"] == "file"
    assert not s.last_good_path().exists()  # a file with problems is never the last good one


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[asr]\nbeam_size = "two"\n', "asr.beam_size = 'two' refused"),
        ("[asr]\nbeems = 2\n", "asr.beems: unknown key"),
        ("[asr\n", "not valid TOML"),
        ("asr = 3\n", "asr = 3 refused: allowed a table"),
        ("[vad]\nmin_silence_ms = true\n", "vad.min_silence_ms = True refused"),
    ],
)
def test_bad_file_names_the_key_and_falls_back(kiosk_root: Path, text: str, needle: str) -> None:
    write(kiosk_root, text)
    settings, warnings = s.load()
    assert any(needle in w for w in warnings), warnings
    assert settings == s.Settings()
    assert "built-in defaults" in warnings[-1]


def test_bad_key_falls_back_to_its_last_good_value(kiosk_root: Path) -> None:
    path = write(kiosk_root, '[tts]\nlength_scale = 1.2\n')
    assert s.load()[0].tts.length_scale == 1.2
    path.write_text("[tts]\nlength_scale = 'slow'\n[vad]\npad_ms = 100\n")
    settings, warnings = s.load()
    assert settings.tts.length_scale == 1.2
    assert settings.vad.pad_ms == 100
    assert any("last good" in w for w in warnings)


def test_not_toml_falls_back_to_the_whole_last_good_copy(kiosk_root: Path) -> None:
    path = write(kiosk_root, '[tts]\nlength_scale = 1.2\n')
    s.load()
    path.write_text("[tts\n")
    result = s.load_config()
    assert result.settings.tts.length_scale == 1.2
    assert result.problems[0].code == "config-unreadable"


def test_parse_file_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text("[asr]\nbeam_size = 'x'\nnope = 1\n")
    with pytest.raises(s.SettingsError) as err:
        s.parse_file(path)
    assert len(err.value.problems) == 2
    assert {d.key for d in err.value.details} == {"asr.beam_size", "asr.nope"}
    assert err.value.code == "config-invalid"


def test_layers_and_origins(kiosk_root: Path) -> None:
    s.site_settings_path().parent.mkdir(parents=True)
    s.site_settings_path().write_text('[avatar]\nlanguage = "ko"\n[tts]\nlength_scale = 0.9\n'
                                      '[vad]\npad_ms = 50\n')
    write(kiosk_root, "[tts]\nlength_scale = 1.0\n[vad]\npad_ms = 60\n")
    s.fleet_config_path().parent.mkdir(parents=True)
    s.fleet_config_path().write_text(json.dumps(
        {"version": 7, "config": {"tts": {"length_scale": 1.15}, "audio": {"volume": 9}}}))
    result = s.load_config()
    assert result.settings.tts.length_scale == 1.15 and result.origins["tts.length_scale"] == \
        "fleet"
    assert result.settings.vad.pad_ms == 60 and result.origins["vad.pad_ms"] == "file"
    assert result.settings.avatar.language == "ko" and result.origins["avatar.language"] == \
        "site"
    assert result.origins["asr.engine"] == "default"
    assert result.fleet_version == 7
    (problem,) = result.problems  # the fleet's bad volume: reported, the default kept
    assert (problem.key, problem.source) == ("audio.volume", "fleet")
    assert result.settings.audio.volume == 1.0


def test_unreadable_fleet_layer_is_a_note_not_a_crash(kiosk_root: Path) -> None:
    s.fleet_config_path().parent.mkdir(parents=True)
    s.fleet_config_path().write_text("{not json")
    result = s.load_config()
    assert result.settings == s.Settings()
    assert any("fleet config" in n for n in result.notes)


def test_kiosk_root_reroots_paths(kiosk_root: Path) -> None:
    assert s.config_path() == kiosk_root / "etc/kiosk/kiosk.toml"
    assert s.state_dir() == kiosk_root / "var/lib/kiosk"
    assert s.fleet_config_path() == kiosk_root / "var/lib/kiosk/telemetry/config.json"
