"""`bip-bridge templates preview`: every questionnaire page and every e-mail, in every
language, as static HTML from the templates alone."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.templates import load_templates
from bip_bridge.templates.preview import SAMPLE_FIRSTNAME, render_preview


def test_every_page_question_answer_and_email_in_every_language() -> None:
    templates = load_templates()
    pages = render_preview(templates)
    expected = {"index.html"} | {
        f"{kind}.{lang}.html" for kind in ("participant", "caseworker")
        for lang in ("sv", "da", "en")} | {
        f"email.{kind}.{what}.{lang}.html" for kind in ("participant", "caseworker")
        for what in ("invite", "remind") for lang in ("sv", "da", "en")} | {
        f"{name}.{lang}.html" for name in ("email.caseworker.digest", "letter.participant")
        for lang in ("sv", "da", "en")}
    assert set(pages) == expected
    for q in templates.questionnaires:
        for lang in q.languages:
            html = pages[f"{q.kind}.{lang}.html"]
            assert f'<html lang="{lang}">' in html
            assert html.count('class="page"') == 2 + len(q.groups)  # welcome, groups, end
            for question in q.questions:
                if question.type == "equation":
                    assert f'id="{question.code}"' not in html  # hidden from respondents
                    continue
                assert f'id="{question.code}"' in html
                for item in question.items:
                    assert item.text[lang].replace("{TOKEN:FIRSTNAME}", SAMPLE_FIRSTNAME) in \
                        html.replace("&#39;", "'")
                for answer in question.scale.answers if question.scale else ():
                    assert f">{answer.labels[lang]}<" in html.replace("&#39;", "'") or \
                        f"> {answer.labels[lang]}<" in html.replace("&#39;", "'")
            assert "{TOKEN:" not in html and "{FIRSTNAME}" not in html
            for what, mail in q.emails.items():
                page = pages[f"email.{q.kind}.{what}.{lang}.html"]
                assert "{" not in re.sub(r"<style>.*?</style>", "", page, flags=re.S)
                assert "https://limesurvey.example.org/" in page
                subject = mail["subject"][lang].replace("{ATTRIBUTE_2}", "1")
                assert subject in page.replace("&#39;", "'")
            assert "<script" not in html


def test_the_intervention_page_is_marked_as_from_wave_one() -> None:
    pages = render_preview(load_templates())
    assert "Visas från mätomgång 1" in pages["caseworker.sv.html"]
    assert "Visas från mätomgång 1" not in pages["participant.sv.html"]
    assert "(förra gången: 7)" in pages["participant.sv.html"]


def test_command_writes_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "preview"
    result = CliRunner().invoke(main, ["templates", "preview", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 25 preview page(s)" in result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert len(links) == 24 and all((out / link).is_file() for link in links)
    again = CliRunner().invoke(main, ["templates", "preview", "--out", str(out)])
    assert again.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(["index.html", *links])


def test_digest_and_letter_are_in_the_preview() -> None:
    pages = render_preview(load_templates())
    digest = pages["email.caseworker.digest.sv.html"]
    assert "Anna: första mätningen" in digest and "Omar: mätning 3" in digest
    assert "token=abcdefgh" in digest
    letter = pages["letter.participant.da.html"]
    assert "Hej Anna!" in letter and "<svg" in letter  # the QR code
