"""Crisis lines carry the languages they answer in, and a viewer sees the lines in their language first."""

from __future__ import annotations

import pytest

from couples import create_app
from couples.config import DEFAULT_CRISIS_LINES, CrisisLine, Settings, lines_for_language

SAMARITANS = CrisisLine("Samaritans", "116 123", "tel:116123")
LINEA = CrisisLine("Línea de ayuda", "555-0101", "tel:5550101", ("es",))
BOTH = CrisisLine("Helpline", "555-0102", "tel:5550102", ("en", "es"))


def test_the_default_us_lines_answer_in_english_and_spanish():
    assert [line.number for line in DEFAULT_CRISIS_LINES] == ["1-800-662-4357", "988"]
    assert all(line.languages == ("en", "es") for line in DEFAULT_CRISIS_LINES)
    assert lines_for_language(DEFAULT_CRISIS_LINES, "es") == DEFAULT_CRISIS_LINES


def test_a_configured_line_may_name_its_languages_and_answers_in_english_otherwise(monkeypatch):
    monkeypatch.setenv("COUPLES_CRISIS_RESOURCES",
                       "Samaritans|116 123|tel:116123; Línea de ayuda|555-0101|tel:5550101|es")
    settings = Settings.from_env()
    assert settings.crisis_lines == (SAMARITANS, LINEA)
    assert settings.crisis_resources == (SAMARITANS.entry, LINEA.entry)


@pytest.mark.parametrize("value", ["A|1|tel:1|", "A|1|tel:1|Spanish", "A|1|tel:1|es,es", "A|1|tel:1|es|x"])
def test_a_malformed_languages_part_is_refused_naming_the_setting(monkeypatch, value):
    monkeypatch.setenv("COUPLES_CRISIS_RESOURCES", value)
    with pytest.raises(ValueError, match="COUPLES_CRISIS_RESOURCES"):
        Settings.from_env()


def test_a_spanish_speaker_sees_the_spanish_lines_first_and_english_speakers_keep_the_configured_order():
    lines = (SAMARITANS, LINEA, BOTH)
    assert lines_for_language(lines, "es") == (LINEA, BOTH, SAMARITANS)
    assert lines_for_language(lines, "en") == (SAMARITANS, BOTH, LINEA)
    assert lines_for_language(lines, "fr") == lines


def test_the_app_config_keeps_the_pages_shape_and_adds_the_lines_with_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("COUPLES_CRISIS_RESOURCES", "Línea de ayuda|555-0101|tel:5550101|es")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.db", "SECRET_KEY": "x", "ASYNC_MODE": "threading"})
    assert app.config["CRISIS_RESOURCES"] == (LINEA.entry,)
    assert app.config["CRISIS_LINES"] == (LINEA,)
