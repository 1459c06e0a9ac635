"""``bip-bridge templates preview``: the questionnaires and e-mails as people will see
them, as static HTML, without LimeSurvey.

For every language of the templates it writes each questionnaire page by page (the
welcome page, one page per question group as LimeSurvey's group-by-group format shows
it, the end page) with the questions, items and answer options as a respondent sees
them, and each e-mail (invitation and reminder, participant and caseworker) with sample
values in place of LimeSurvey's placeholders. Pure rendering (:func:`render_preview`)
and one writer (:func:`write_preview`); Jinja2 with autoescaping, and the template texts
that LimeSurvey shows as HTML (e-mail bodies, question texts) marked safe after the
placeholders are replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from bip_bridge.templates.types import (
    EQUATION,
    GAP_WEEKS,
    INDICATORS,
    INTERVENTIONS,
    STATUS,
    Questionnaire,
    TemplateSet,
)

# Sample values shown in place of LimeSurvey's placeholders.
SAMPLE_FIRSTNAME = "Anna"
SAMPLE_WAVE = "1"
SAMPLE_PREVIOUS = "7"
SAMPLE_SURVEYURL = "https://limesurvey.example.org/index.php/123456?token=abcdefgh&lang={lang}"
SAMPLE_OPTOUTURL = "https://limesurvey.example.org/index.php/optout/tokens/123456?token=abcdefgh"
SAMPLE_RPC_URL = "https://limesurvey.example.org/index.php/admin/remotecontrol"
SAMPLE_DUE = (2025, 3, 3)
SAMPLE_ACCESS_CODES = ("abcdefgh", "ijklmnop")  # made-up LimeSurvey access codes

# The words around the questions (LimeSurvey's buttons, the reviewer's notes).
CHROME: dict[str, dict[str, str]] = {
    "next": {"sv": "Nästa", "da": "Næste", "en": "Next"},
    "previous": {"sv": "Föregående", "da": "Forrige", "en": "Previous"},
    "submit": {"sv": "Skicka", "da": "Indsend", "en": "Submit"},
    "page": {"sv": "Sida {n} av {total}", "da": "Side {n} af {total}",
             "en": "Page {n} of {total}"},
    "welcome_page": {"sv": "Välkomstsida", "da": "Velkomstside", "en": "Welcome page"},
    "end_page": {"sv": "Slutsida", "da": "Slutside", "en": "End page"},
    "from_wave_1": {
        "sv": "Visas från mätomgång 1 (inte vid första mätningen).",
        "da": "Vises fra målerunde 1 (ikke ved første måling).",
        "en": "Shown from wave 1 on (not at the first measurement).",
    },
    "previous_note": {
        "sv": "Från mätomgång 1 visar varje rad förra svaret, här med exempelvärdet {value}.",
        "da": "Fra målerunde 1 viser hver række sidste svar, her med eksempelværdien {value}.",
        "en": "From wave 1 on each row shows the previous answer, here with the sample "
              "value {value}.",
    },
    "samples": {
        "sv": "Exempelvärden: förnamn {name}, mätomgång {wave}; länkarna är påhittade.",
        "da": "Eksempelværdier: fornavn {name}, målerunde {wave}; linkene er opdigtede.",
        "en": "Sample values: first name {name}, wave {wave}; the links are made up.",
    },
    "subject": {"sv": "Ämne", "da": "Emne", "en": "Subject"},
    "number_hint": {"sv": "Ett heltal från {min} till {max}", "da": "Et helt tal fra {min} "
                    "til {max}", "en": "A whole number from {min} to {max}"},
    "dropdown": {"sv": "Välj …", "da": "Vælg …", "en": "Please choose …"},
    "participant": {"sv": "Deltagarens enkät", "da": "Deltagerens spørgeskema",
                    "en": "Participant questionnaire"},
    "caseworker": {"sv": "Handledarens enkät", "da": "Sagsbehandlerens spørgeskema",
                   "en": "Caseworker questionnaire"},
    "invite": {"sv": "Inbjudan", "da": "Invitation", "en": "Invitation"},
    "remind": {"sv": "Påminnelse", "da": "Påmindelse", "en": "Reminder"},
    "emails": {"sv": "E-post", "da": "E-mail", "en": "E-mails"},
    "to_participant": {"sv": "till deltagaren", "da": "til deltageren",
                       "en": "to the participant"},
    "to_caseworker": {"sv": "till handledaren", "da": "til sagsbehandleren",
                      "en": "to the caseworker"},
    "digest": {"sv": "Samlat utskick från bip-bridge", "da": "Samlet e-mail fra bip-bridge",
               "en": "Digest sent by bip-bridge"},
    "letter": {"sv": "Brev med QR-kod", "da": "Brev med QR-kode", "en": "Letter with a QR code"},
    "digest_note": {
        "sv": "Standard: en e-post per handledare och körning, som vanlig text, med två "
              "påhittade deltagare.",
        "da": "Standard: én e-mail pr. sagsbehandler og kørsel, som almindelig tekst, med to "
              "opdigtede deltagere.",
        "en": "The default: one plain-text e-mail per caseworker and run, here with two "
              "made-up participants.",
    },
}
LANGUAGE_NAMES = {"sv": "Svenska", "da": "Dansk", "en": "English"}


@dataclass(frozen=True)
class PreviewPage:
    file: str
    title: str
    kind: str  # participant | caseworker
    language: str
    what: str  # questionnaire | invite | remind


def _chrome(key: str, lang: str, **values: Any) -> str:
    text = CHROME[key].get(lang) or CHROME[key]["en"]
    return text.format(**values) if values else text


def fill(text: str, lang: str) -> str:
    """LimeSurvey's placeholders replaced by sample values (the text stays HTML)."""
    replacements = {
        "{TOKEN:FIRSTNAME}": SAMPLE_FIRSTNAME,
        "{FIRSTNAME}": SAMPLE_FIRSTNAME,
        "{TOKEN:ATTRIBUTE_2}": SAMPLE_WAVE,
        "{ATTRIBUTE_2}": SAMPLE_WAVE,
        "{SURVEYURL}": SAMPLE_SURVEYURL.format(lang=lang),
        "{OPTOUTURL}": SAMPLE_OPTOUTURL,
    }
    for key, value in replacements.items():
        text = text.replace(key, str(escape(value)))
    return text


def _html(text: str, lang: str) -> Markup:
    """A template text as LimeSurvey shows it: HTML, placeholders filled in. The
    templates are the association's own trusted source, as for LimeSurvey itself."""
    return Markup(fill(text, lang))  # noqa: S704 - trusted template HTML, as LimeSurvey shows it


def _question(q: Questionnaire, question: Any, lang: str) -> dict[str, Any]:
    answers = [{"code": a.code, "label": a.labels.get(lang, a.code)}
               for a in (question.scale.answers if question.scale else ())]
    previous = ""
    if question.type == INDICATORS and q.previous_answer.get(lang):
        previous = q.previous_answer[lang].replace("{value}", SAMPLE_PREVIOUS)
    widget = {INDICATORS: "array", INTERVENTIONS: "array", STATUS: "list",
              GAP_WEEKS: "number"}.get(question.type, "text")
    if widget == "array" and q.use_dropdown:
        widget = "dropdowns"
    return {
        "code": question.code,
        "text": _html(question.text[lang], lang),
        "help": _html(question.help[lang], lang) if question.help else "",
        "widget": widget,
        "rows": [{"code": i.code, "text": _html(i.text[lang], lang) + previous}
                  for i in question.items],
        "answers": answers,
        "min": question.minimum, "max": question.maximum,
        "from_wave_1": question.relevance.replace(" ", "") not in ("1", ""),
        "mandatory": question.mandatory,
    }


def questionnaire_pages(q: Questionnaire, lang: str) -> list[dict[str, Any]]:
    """The pages a respondent goes through: welcome, one per group, end."""
    pages: list[dict[str, Any]] = [{"kind": "welcome", "title": _chrome("welcome_page", lang),
                                    "text": _html(q.welcome[lang], lang)}]
    for group in q.groups:
        questions = [_question(q, x, lang) for x in group.questions if x.type != EQUATION]
        if not questions:
            continue
        pages.append({
            "kind": "group",
            "title": group.name[lang],
            "description": _html(group.description[lang], lang),
            "questions": questions,
            "from_wave_1": group.relevance.replace(" ", "") not in ("1", ""),
            "previous_note": bool(q.previous_answer.get(lang)) and any(
                x["code"] == q.indicator_question.code for x in questions),
        })
    pages.append({"kind": "end", "title": _chrome("end_page", lang),
                  "text": _html(q.end[lang], lang)})
    return pages


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bip_bridge.templates", "preview_html"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True,
    )


def render_preview(templates: TemplateSet) -> dict[str, str]:
    """File name -> HTML of every preview page, plus ``index.html`` linking them."""
    env = _environment()
    out: dict[str, str] = {}
    listed: list[PreviewPage] = []
    languages = templates.participant.languages
    for lang in languages:
        def chrome(key: str, lang: str = lang, **values: Any) -> str:
            return _chrome(key, lang, **values)

        for q in templates.questionnaires:
            name = f"{q.kind}.{lang}.html"
            out[name] = env.get_template("questionnaire.html.j2").render(
                lang=lang, c=chrome, title=q.title[lang], description=q.description[lang],
                heading=chrome(q.kind), pages=questionnaire_pages(q, lang),
                samples=chrome("samples", name=SAMPLE_FIRSTNAME, wave=SAMPLE_WAVE))
            listed.append(PreviewPage(name, q.title[lang], q.kind, lang, "questionnaire"))
            for what, mail in q.emails.items():
                name = f"email.{q.kind}.{what}.{lang}.html"
                out[name] = env.get_template("email.html.j2").render(
                    lang=lang, c=chrome, what=chrome(what) if what in CHROME else what,
                    to=chrome(f"to_{q.kind}"),
                    subject=fill(mail["subject"][lang], lang),
                    body=_html(mail["body"][lang], lang),
                    samples=chrome("samples", name=SAMPLE_FIRSTNAME, wave=SAMPLE_WAVE))
                listed.append(PreviewPage(name, fill(mail["subject"][lang], lang), q.kind,
                                          lang, what))
        out.update(_outreach_pages(env, lang, chrome, listed))
    out["index.html"] = env.get_template("index.html.j2").render(
        version=templates.version, languages=languages, names=LANGUAGE_NAMES,
        pages=listed, c=_chrome)
    return out


def _outreach_pages(env: jinja2.Environment, lang: str, chrome: Any,
                    listed: list[PreviewPage]) -> dict[str, str]:
    """The caseworker digest (sent by bip-bridge over SMTP) and the participant letter,
    with made-up people: the texts people get besides LimeSurvey's own e-mails."""
    from datetime import date

    from bip_bridge.outreach.digest import DigestItem, render_digest
    from bip_bridge.outreach.letters import render_letter
    from bip_bridge.tokens import LsToken

    due = date(*SAMPLE_DUE)
    items = [DigestItem(sid=654321, pseudonym="0" * 64, wave=0, due_on=due,
                        caseworker_id="HL-017", tid=1, token=SAMPLE_ACCESS_CODES[0], op="invite"),
             DigestItem(sid=654321, pseudonym="1" * 64, wave=2, due_on=due,
                        caseworker_id="HL-017", tid=2, token=SAMPLE_ACCESS_CODES[1], op="remind",
                        reminder=1)]
    contacts = {i.tid: LsToken(tid=i.tid, token=i.token, pseudonym=i.pseudonym, wave=i.wave,
                               caseworker_id="HL-017", firstname=name, lastname="",
                               email="", language=lang, sent="N", remindersent="N",
                               remindercount=0, completed=False)
                for i, name in zip(items, (SAMPLE_FIRSTNAME, "Omar"), strict=True)}
    subject, body = render_digest(items, contacts, language=lang, rpc_url=SAMPLE_RPC_URL,
                                  interval_months=3)
    name = f"email.caseworker.digest.{lang}.html"
    pages = {name: env.get_template("digest.html.j2").render(
        lang=lang, c=chrome, subject=subject, body=body, note=chrome("digest_note"))}
    listed.append(PreviewPage(name, subject, "caseworker", lang, "digest"))
    name = f"letter.participant.{lang}.html"
    pages[name] = render_letter(name=SAMPLE_FIRSTNAME, language=lang, wave=1, due_on=due,
                                link=SAMPLE_SURVEYURL.format(lang=lang), interval_months=3)
    listed.append(PreviewPage(name, chrome("letter"), "participant", lang, "letter"))
    return pages


def write_preview(templates: TemplateSet, out_dir: Path) -> list[Path]:
    """Write the preview pages into ``out_dir`` (created if missing; files of the same
    names are replaced, nothing else is touched). Returns the paths, index first."""
    pages = render_preview(templates)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ["index.html", *sorted(n for n in pages if n != "index.html")]:
        target = out_dir / name
        tmp = out_dir / f".{name}.tmp"
        tmp.write_text(pages[name], encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    return written
