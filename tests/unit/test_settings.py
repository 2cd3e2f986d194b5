"""Settings: typed, validated by key, never bricking the device."""

from pathlib import Path

import pytest

from appliance import settings as s


def write(root: Path, text: str) -> Path:
    path = root / "etc/kiosk/kiosk.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_when_no_file(kiosk_root: Path) -> None:
    settings, warnings = s.load()
    assert settings == s.Settings()
    assert warnings == []


def test_good_file_is_read_and_kept_as_last_good(kiosk_root: Path) -> None:
    write(kiosk_root, '[asr]\nengine = "vosk"\nbeam_size = 2\n[vad]\nthreshold = 1\n')
    settings, warnings = s.load()
    assert warnings == []
    assert settings.asr.engine == "vosk" and settings.asr.beam_size == 2
    assert settings.vad.threshold == 1.0 and isinstance(settings.vad.threshold, float)
    assert s.last_good_path().read_text().startswith("[asr]")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[asr]\nbeam_size = "two"\n', "asr.beam_size: expected int"),
        ("[asr]\nbeems = 2\n", "asr.beems: unknown key"),
        ("[asr\n", "not valid TOML"),
        ("asr = 3\n", "[asr] must be a table"),
        ("[asr]\ngrammar = [1, 2]\n", "asr.grammar: expected a list of str"),
        ("[vad]\nmin_silence_ms = true\n", "vad.min_silence_ms: expected int"),
    ],
)
def test_bad_file_names_the_key_and_falls_back(kiosk_root: Path, text: str, needle: str) -> None:
    write(kiosk_root, text)
    settings, warnings = s.load()
    assert any(needle in w for w in warnings), warnings
    assert settings == s.Settings()
    assert warnings[-1] == "using built-in defaults"


def test_bad_file_falls_back_to_last_good(kiosk_root: Path) -> None:
    path = write(kiosk_root, '[tts]\nlength_scale = 1.2\n')
    assert s.load()[0].tts.length_scale == 1.2
    path.write_text("[tts]\nlength_scale = 'slow'\n")
    settings, warnings = s.load()
    assert settings.tts.length_scale == 1.2
    assert any("last good" in w for w in warnings)


def test_parse_file_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text("[asr]\nbeam_size = 'x'\nnope = 1\n")
    with pytest.raises(s.SettingsError) as err:
        s.parse_file(path)
    assert len(err.value.problems) == 2
    assert err.value.code == "config-invalid"


def test_kiosk_root_reroots_paths(kiosk_root: Path) -> None:
    assert s.config_path() == kiosk_root / "etc/kiosk/kiosk.toml"
    assert s.state_dir() == kiosk_root / "var/lib/kiosk"
