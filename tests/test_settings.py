"""The user's settings (annotator.settings): kept in the config folder, checked, damaged files
survived; `annotator config`; `label` takes them as defaults its options override."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import label_choices
from annotator.errors import SettingsError
from annotator.settings import SETTINGS_FILE, config_dir, load_user_settings, pictures_dir
from conftest import run_cli


def test_defaults_when_there_is_no_file(own_settings: Path) -> None:
    s = load_user_settings()
    assert s.path == own_settings / SETTINGS_FILE
    assert (s.theme, s.list_width, s.auto_next, s.show_others, s.suggest) == ("textual-dark", "auto", True, False, None)
    assert s.problems == [] and all(s.source(k) == "default" for k in ("theme", "auto_next"))


def test_round_trip(own_settings: Path) -> None:
    s = load_user_settings()
    s.set("theme", "nord")
    s.set("list_width", "40")
    s.set("auto_next", "false")
    s.set("show_others", "yes")
    s.set("suggest", "rules")
    again = load_user_settings()
    assert (again.theme, again.list_width, again.auto_next, again.show_others, again.suggest) == (
        "nord", "40", False, True, "rules")
    assert again.source("theme") == str(own_settings / SETTINGS_FILE) and again.problems == []
    again.unset("theme")
    assert load_user_settings().theme == "textual-dark"
    assert not list(own_settings.glob(".*.tmp"))  # written atomically, nothing left over


def test_unknown_key_and_bad_values_are_refused(own_settings: Path) -> None:
    s = load_user_settings()
    for key, value in [("colour", "red"), ("theme", "no-such-theme"), ("auto_next", "maybe"),
                       ("list_width", "3"), ("list_width", "wide"), ("suggest", "two words")]:
        with pytest.raises(SettingsError):
            s.set(key, value)
    assert not (own_settings / SETTINGS_FILE).exists()


def test_damaged_file_is_one_line_defaults_and_kept_as_bad(own_settings: Path) -> None:
    path = own_settings / SETTINGS_FILE
    path.write_bytes(b"theme = [\x00\xff")
    s = load_user_settings()
    assert s.damaged and len(s.problems) == 1 and "damaged" in s.problems[0]
    assert s.theme == "textual-dark"
    s.set("auto_next", "false")
    assert (own_settings / (SETTINGS_FILE + ".bad")).read_bytes() == b"theme = [\x00\xff"
    assert load_user_settings().auto_next is False and load_user_settings().problems == []


def test_bad_value_in_the_file_uses_that_default_only(own_settings: Path) -> None:
    (own_settings / SETTINGS_FILE).write_text('theme = "nord"\nauto_next = "sometimes"\nwho = 1\n')
    s = load_user_settings()
    assert s.theme == "nord" and s.auto_next is True
    assert len(s.problems) == 2


def test_unreadable_file(own_settings: Path) -> None:
    (own_settings / SETTINGS_FILE).mkdir()  # a folder where the file should be: cannot be read
    s = load_user_settings()
    assert s.damaged and len(s.problems) == 1 and s.theme == "textual-dark"


def test_xdg_config_home_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANNOTATOR_CONFIG_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_dir() == tmp_path / "xdg" / "annotator"
    load_user_settings().set("theme", "nord")
    assert (tmp_path / "xdg" / "annotator" / SETTINGS_FILE).exists()
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert config_dir() == tmp_path / "home" / ".config" / "annotator"


def test_precedence_option_over_setting_over_default(own_settings: Path) -> None:
    s = load_user_settings()
    assert label_choices(s, None, None, None) == (False, None)  # defaults
    s.set("show_others", "true")
    s.set("suggest", "rules")
    assert label_choices(s, None, None, None) == (True, "rules")  # settings
    assert label_choices(s, False, "model", None) == (False, "model")  # options
    assert label_choices(s, None, "none", None) == (True, None)  # --suggest none turns it off
    assert label_choices(s, None, None, "my-cmd") == (True, None)  # --suggest-cmd replaces it


def test_pictures_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_PICTURES_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert pictures_dir() == tmp_path  # neither Pictures nor Downloads: the current folder
    (tmp_path / "Downloads").mkdir()
    assert pictures_dir() == tmp_path / "Downloads"
    (tmp_path / "Pictures").mkdir()
    assert pictures_dir() == tmp_path / "Pictures"
    (tmp_path / "shots").mkdir()
    monkeypatch.setenv("XDG_PICTURES_DIR", str(tmp_path / "shots"))
    assert pictures_dir() == tmp_path / "shots"


# ----------------------------------------------------------------------------- annotator config


def test_config_shows_every_setting_and_its_source(capsys: pytest.CaptureFixture[str], own_settings: Path) -> None:
    code, out, err = run_cli(capsys, "config")
    assert code == 0 and err == ""
    for key in ("theme", "list_width", "auto_next", "show_others", "suggest"):
        assert f"  {key} " in out
    assert "(default)" in out and "settings file" not in out.split("\n", 1)[1]
    assert run_cli(capsys, "config", "set", "theme", "nord")[0] == 0
    code, out, _ = run_cli(capsys, "config")
    assert "nord" in out and "(settings file)" in out
    code, out, _ = run_cli(capsys, "config", "--json")
    assert '"source": "' + str(own_settings / SETTINGS_FILE) in out


def test_config_set_and_unset(capsys: pytest.CaptureFixture[str], own_settings: Path) -> None:
    assert run_cli(capsys, "config", "set", "list-width", "hidden")[0] == 0
    assert load_user_settings().list_width == "hidden"
    assert run_cli(capsys, "config", "unset", "list_width")[0] == 0
    assert load_user_settings().list_width == "auto"


@pytest.mark.parametrize("args", [("set", "colour", "red"), ("set", "auto_next", "maybe"),
                                  ("set", "theme", "nope"), ("unset", "colour")])
def test_config_refuses_with_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], own_settings: Path,
                                                 args: tuple[str, ...]) -> None:
    code, out, err = run_cli(capsys, "config", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("annotator: bad setting: ")
    assert not (own_settings / SETTINGS_FILE).exists()


def test_config_with_a_damaged_file(capsys: pytest.CaptureFixture[str], own_settings: Path) -> None:
    (own_settings / SETTINGS_FILE).write_text("theme = = =")
    code, out, err = run_cli(capsys, "config")
    assert code == 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "textual-dark" in out


# ----------------------------------------------------------------------------- label takes them


def _label_app(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, object]:
    """Run `annotator label ...` up to the app, which is not run: what it was made with."""
    from annotator.app import AnnotatorApp

    seen: dict[str, object] = {}

    def run(self: AnnotatorApp, *a: object, **k: object) -> None:
        seen.update(show_others=self.session.show_others, suggesting=self.session.live is not None,
                    auto_next=self.auto_next, theme=self._start_theme, list_width=self.list_width,
                    messages=list(self.startup_messages), kept=self.user_settings is not None)

    monkeypatch.setattr(AnnotatorApp, "run", run)
    code, _, err = run_cli(capsys, "label", *args)
    assert code == 0, err
    return seen


def test_label_uses_the_settings_and_options_win(capsys: pytest.CaptureFixture[str], in_tmp: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _label_app(capsys, monkeypatch)
    assert seen["show_others"] is False and seen["suggesting"] is False and seen["auto_next"] is True
    assert seen["theme"] == "textual-dark" and seen["list_width"] == "auto" and seen["kept"] is True
    s = load_user_settings()
    for key, value in [("show_others", "true"), ("suggest", "rules"), ("auto_next", "false"), ("theme", "nord"),
                       ("list_width", "hidden")]:
        s.set(key, value)
    seen = _label_app(capsys, monkeypatch)
    assert seen["show_others"] is True and seen["suggesting"] is True and seen["auto_next"] is False
    assert seen["theme"] == "nord" and seen["list_width"] == "hidden"
    seen = _label_app(capsys, monkeypatch, "--blind", "--suggest", "none")
    assert seen["show_others"] is False and seen["suggesting"] is False


def test_label_with_a_damaged_settings_file_says_so_once(capsys: pytest.CaptureFixture[str], in_tmp: Path,
                                                         own_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (own_settings / SETTINGS_FILE).write_text("theme = \x01")
    seen = _label_app(capsys, monkeypatch)
    messages = seen["messages"]
    assert isinstance(messages, list) and len(messages) == 1 and "damaged" in messages[0][0]
    assert seen["theme"] == "textual-dark"
    assert (own_settings / SETTINGS_FILE).read_text() == "theme = \x01"  # not rewritten


def test_a_change_made_elsewhere_meanwhile_is_kept(own_settings: Path) -> None:
    app_copy = load_user_settings()  # the app, started earlier
    load_user_settings().set("list_width", "40")  # `annotator config set` while it runs
    app_copy.set("theme", "nord")  # then the user picks a theme in the app
    now = load_user_settings()
    assert now.theme == "nord" and now.list_width == "40"
