"""Progression cards and the caseworkers' index pages: what a card shows (explicit
expected values), where cards live, first names at render time and never in the store,
owner-only files, and `participants card`."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.reports import write_report_folder
from bip_bridge.reports.build import ReportInputs
from bip_bridge.reports.card_view import card_context, display_name
from bip_bridge.reports.cards import (
    CardPeople,
    card_path,
    find_card,
    index_path,
    index_row,
    latest_report_folder,
)
from bip_bridge.reports.i18n import Translator
from bip_bridge.templates import load_templates
from regen_golden import golden_inputs

TODAY = dt.date(2025, 3, 1)
PSEUDO = "ab12cd34ef56" + "0" * 52


@pytest.fixture(scope="module")
def model() -> Any:
    return load_templates().model


def _scores(rows: list[tuple[int, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"pseudonym": PSEUDO, "wave": w, "respondent": r, "indicator": i,
                          "score": s} for w, r, i, s in rows])


def test_profile_shows_start_and_latest_of_each_respondent(model: Any) -> None:
    scores = _scores([
        (0, "P", "JOBTRO", 3), (0, "P", "JOBSOK", 5), (2, "P", "JOBTRO", 7),
        (0, "C", "JOBTRO", 4), (0, "C", "HLTRO", 2), (1, "C", "JOBTRO", 6),
        (1, "C", "HLTRO", 8),
    ])
    indices = pd.DataFrame({"pseudonym": PSEUDO, "wave": [0, 1, 2],
                            "p_index": [4.0, None, 6.5], "c_index": [5.0, 5.5, None],
                            "belief": [2.0, 8.0, None]})
    ctx = card_context(PSEUDO, scores, indices, model, language="en", today=TODAY,
                       caseworker_id="CW01", first_name="Anna")
    rows = {r["code"]: r for r in ctx["profile"]["rows"]}
    got = {code: (r["p"]["start"], r["p"]["now"], r["c"]["start"], r["c"]["now"])
           for code, r in rows.items() if code in ("JOBTRO", "JOBSOK", "ARBFOR", "HLTRO")}
    assert got == {
        "JOBTRO": ("3", "7", "4", "6"),
        "JOBSOK": ("5", "–", "–", "–"),  # not answered at the latest wave: a dash
        "ARBFOR": ("", "", "–", "–"),  # caseworker-only: no participant cell
        "HLTRO": ("", "", "2", "8"),
    }
    assert [r["code"] for r in ctx["profile"]["rows"]] == [i.code for i in model.indicators]
    assert ctx["name"] == "Anna" and ctx["named"]
    assert ctx["belief_start"]["text"] == "Low (2 of 10)"
    assert ctx["belief_now"]["text"] == "High (8 of 10)"
    assert [t["label"] for t in ctx["chart"]["ticks"]] == ["Start", "3 mo", "6 mo"]
    assert len(ctx["chart"]["p"]["dots"]) == 2 and ctx["chart"]["p"]["lines"] == []
    assert len(ctx["chart"]["c"]["lines"]) == 1  # waves 0 and 1 joined, 2 missing


def test_period_strip_interventions_gaps_and_caseworker_changes(model: Any) -> None:
    indices = pd.DataFrame({"pseudonym": PSEUDO, "wave": [0, 1, 2, 3]})
    interventions = pd.DataFrame({"pseudonym": PSEUDO, "period": [1, 3],
                                  "JOB": [2, 0], "KOMP": [1, 0], "SOC": [0, None],
                                  "HALSA": [0, 2], "gap_weeks": [0, 5]})
    periods = pd.DataFrame({"pseudonym": PSEUDO, "period": [1, 2, 3],
                            "caseworker_changed": [False, True, None]})
    ctx = card_context(PSEUDO, pd.DataFrame(), indices, model, language="sv", today=TODAY,
                       caseworker_id=None, periods=periods, interventions=interventions)
    strip = ctx["strip"]
    assert [p["label"] for p in strip["periods"]] == ["0–3 mån", "3–6 mån", "6–9 mån"]
    kinds = {row["label"]: [c["kind"] for c in row["cells"]] for row in strip["rows"]}
    assert kinds == {
        "Stöd att få jobb": ["full", "unknown", "none"],
        "Kurs eller utbildning": ["part", "unknown", "none"],
        "Stöd i vardagen": ["none", "unknown", "unknown"],
        "Stöd för hälsan": ["none", "unknown", "full"],
    }
    assert [g["text"] for g in strip["gaps"]] == ["0", "", "5"]
    assert [g["warn"] for g in strip["gaps"]] == [False, False, True]
    assert [c["text"] for c in strip["changes"]] == ["", "ja", ""]
    assert ctx["caseworker"] == "ingen handledare"
    assert ctx["name"] == PSEUDO[:8] and not ctx["named"]


def test_display_name_falls_back_to_eight_characters() -> None:
    assert display_name(PSEUDO, None) == "ab12cd34"
    assert display_name(PSEUDO, "  ") == "ab12cd34"
    assert display_name(PSEUDO, " Märta ") == "Märta"


def test_card_and_index_paths(tmp_path: Path) -> None:
    assert card_path(tmp_path, "HL-017", PSEUDO) == tmp_path / "cards/HL-017/ab12cd34ef56.html"
    assert card_path(tmp_path, None, PSEUDO) == tmp_path / "cards/_unassigned/ab12cd34ef56.html"
    assert card_path(tmp_path, "../x", PSEUDO).parent.name == "_x"
    assert index_path(tmp_path, "HL-017") == tmp_path / "cards/HL-017/index.html"
    assert find_card(tmp_path, PSEUDO) is None


def test_index_row_next_wave_due_overdue_and_ended() -> None:
    t = Translator("en")
    people = CardPeople(enrolled_on={"a": dt.date(2024, 11, 30), "b": dt.date(2024, 1, 10),
                                     "c": dt.date(2024, 1, 10)},
                        ended_on={"c": dt.date(2025, 1, 1)}, first_names={"a": "Ali"})
    def cells(row: dict[str, Any]) -> tuple[Any, ...]:
        return row["name"], row["last"], row["next"], row["due"], row["overdue"]

    a = index_row("a", [0], people, t, today=TODAY, href="a.html")
    assert cells(a) == ("Ali", "the first measurement", "measurement 2 (3 mo)",
                        "28 February 2025 (overdue)", True)
    b = index_row("b", [], people, t, today=TODAY, href="b.html")
    assert cells(b) == ("b", "none yet", "the first measurement",
                        "10 January 2024 (overdue)", True)
    c = index_row("c", [0, 1, 2], people, t, today=TODAY, href="c.html")
    assert cells(c) == ("c", "measurement 3 (6 mo)", "ended", "", False)
    d = index_row("d", [0, 3], CardPeople(enrolled_on={"d": dt.date(2025, 1, 15)}), t,
                  today=TODAY, href="d.html")
    assert cells(d) == ("d", "measurement 4 (9 mo)", "measurement 5 (12 mo)",
                        "15 January 2026", False)
    sv = index_row("d", [0], CardPeople(enrolled_on={"d": dt.date(2025, 1, 15)}),
                   Translator("sv"), today=TODAY, href="d.html")
    assert cells(sv)[1:4] == ("första mätningen", "mätning 2 (3 mån)", "2025-04-15")


@pytest.fixture(scope="module")
def golden() -> tuple[Any, Any]:
    return golden_inputs()


def _write(golden: tuple[Any, Any], folder: Path, names: dict[str, str]) -> Path:
    result, model = golden
    people = sorted(result.indices["pseudonym"].unique())
    inputs = ReportInputs(languages={p: ("sv", "da", "en")[i % 3] for i, p in enumerate(people)},
                          first_names=names)
    return write_report_folder(result, folder, model, language="sv", min_cell=5, today=TODAY,
                               inputs=inputs)


def test_cards_and_index_with_first_names_owner_only(golden: tuple[Any, Any],
                                                     tmp_path: Path) -> None:
    result, _ = golden
    people = sorted(result.indices["pseudonym"].unique())
    names = {p: f"Namn{i:02d}" for i, p in enumerate(people)}
    folder = _write(golden, tmp_path / "2025-03-01", names)
    cards_dir = folder / "cards"
    assert stat.S_IMODE(cards_dir.stat().st_mode) == 0o700
    files = sorted(cards_dir.rglob("*.html"))
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, path.parent
    for i, p in enumerate(people):
        card = find_card(folder, p)
        assert card is not None and card.name == f"{p[:12]}.html"
        text = card.read_text(encoding="utf-8")
        language = ("sv", "da", "en")[i % 3]
        heading = Translator(language)("card_title", name=names[p])
        assert f"<h1>{html_lib.escape(heading)}</h1>" in text
    indexes = sorted(cards_dir.glob("*/index.html"))
    assert {i.parent.name for i in indexes} == {f.parent.name for f in files}
    listed: list[str] = []
    for index in indexes:
        text = index.read_text(encoding="utf-8")
        found = re.findall(r"<tr><td>(Namn\d\d)</td>.*?<a href=\"([^\"]+)\"", text)
        assert [n for n, _ in found] == sorted(n for n, _ in found)  # by first name
        for name, href in found:
            assert (index.parent / href).is_file()
            assert name in (index.parent / href).read_text(encoding="utf-8")
        listed += [n for n, _ in found]
    assert sorted(listed) == sorted(names.values())


def test_cards_without_names_show_the_pseudonym_prefix(golden: tuple[Any, Any],
                                                       tmp_path: Path) -> None:
    result, _ = golden
    folder = _write(golden, tmp_path / "2025-03-01", {})
    first = sorted(result.indices["pseudonym"].unique())[0]
    card = find_card(folder, first)
    assert card is not None
    text = card.read_text(encoding="utf-8")
    assert f"{first[:8]}</h1>" in text
    assert first not in text  # the full pseudonym is not on the card
    assert latest_report_folder(tmp_path) == folder


def test_participants_card_prints_the_path(golden: tuple[Any, Any], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from bip_bridge.pseudonyms import pseudonymise

    key = "cards-test-key-0123456789abcdef"
    external = "19121212-1212"
    pseudonym = pseudonymise(external, key.encode())
    result, model = golden
    first = sorted(result.indices["pseudonym"].unique())[0]
    renamed = type(result)(**{
        name: (df.assign(pseudonym=df["pseudonym"].astype(str).replace({first: pseudonym}))
               if "pseudonym" in df.columns else df)
        for name, df in {**result.frames(),
                         "period_interventions": result.period_interventions}.items()})
    out = tmp_path / "reports"
    write_report_folder(renamed, out / "2025-03-01", model, language="sv", min_cell=5,
                        today=TODAY)
    config = tmp_path / "bip-bridge.toml"
    config.write_text('[limesurvey]\nurl = "http://127.0.0.1:9/index.php/admin/remotecontrol"\n'
                      f'username = "bip"\n[reports]\nout_dir = "{out}"\n', encoding="utf-8")
    monkeypatch.setenv("BIP_BRIDGE_PSEUDONYM_KEY", key)
    runner = CliRunner()
    done = runner.invoke(main, ["--config", str(config), "participants", "card", external])
    assert done.exit_code == 0, done.output
    path = Path(done.output.strip())
    assert path.is_file() and path.name == f"{pseudonym[:12]}.html"
    done = runner.invoke(main, ["--config", str(config), "participants", "card", "--pseudonym",
                                pseudonym, "--index"])
    assert Path(done.output.strip()) == path.parent / "index.html"
    missing = runner.invoke(main, ["--config", str(config), "participants", "card",
                                   "--pseudonym", "0" * 64])
    assert missing.exit_code == 66
    assert "no card" in missing.output
    # an id nobody has: the message repeats it and says how to check it
    unknown = runner.invoke(main, ["--config", str(config), "participants", "card", "P-nobody"])
    assert unknown.exit_code == 66, unknown.output
    assert "has no card for participant P-nobody (pseudonym " in unknown.output
    assert "participants list" in unknown.output and "Traceback" not in unknown.output
    # a --report folder that does not exist is named as such (was: 'has no card')
    wrong = runner.invoke(main, ["--config", str(config), "participants", "card", external,
                                 "--report", str(tmp_path / "nowhere")])
    assert wrong.exit_code == 66, wrong.output
    assert f"The report folder {tmp_path / 'nowhere'} does not exist." in wrong.output
    assert "leave out --report" in wrong.output
    plain = runner.invoke(main, ["--config", str(config), "participants", "card", external,
                                 "--report", str(tmp_path)])
    assert plain.exit_code == 66 and "holds no cards folder" in plain.output


def test_store_holds_no_first_name_after_cards_with_names(tmp_path: Path) -> None:
    """The demo on the emulator reads first names from LimeSurvey for its cards: the cards
    show them, the store holds none of them."""
    from bip_bridge.demo import run_demo
    from bip_bridge.store import open_store
    from test_waves_support import dump_store

    out = tmp_path / "demo"
    result = run_demo(out, participants=12, months=6, seed=11, today=dt.date(2026, 11, 22))
    roster = (out / "roster.csv").read_text(encoding="utf-8-sig")
    header = roster.splitlines()[0].replace(";", ",").split(",")
    sep = ";" if ";" in roster.splitlines()[0] else ","
    column = header.index("first_name")
    names = {line.split(sep)[column] for line in roster.splitlines()[1:] if line.strip()}
    cards = [p for p in (result.report_dir / "cards").rglob("*.html") if p.name != "index.html"]
    shown = set()
    for card in cards:
        title = re.search(r"<h1>(.*?)</h1>", card.read_text(encoding="utf-8"))
        assert title is not None
        shown.update(n for n in names if html_lib.escape(n) in title.group(1))
    assert shown, "no card shows a first name"
    engine = open_store(f"sqlite:///{out / 'bip-bridge.sqlite'}")
    try:
        dump = dump_store(engine)
    finally:
        engine.dispose()
    for name in names:
        assert not re.search(rf"\b{re.escape(name)}\b", dump), f"{name} is in the store"


def test_first_names_fall_back_when_limesurvey_is_unreachable(tmp_path: Path) -> None:
    import contextlib

    import sqlalchemy as sa

    from bip_bridge.config import load_settings
    from bip_bridge.errors import LimeSurveyUnavailable
    from bip_bridge.reports.names import first_names_or_empty
    from bip_bridge.store import open_store, schema

    engine = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    calls: list[str] = []

    @contextlib.contextmanager
    def down(_settings: Any) -> Any:
        calls.append("connect")
        raise LimeSurveyUnavailable("connection refused")
        yield

    config = tmp_path / "c.toml"
    config.write_text('[limesurvey]\nurl = "http://127.0.0.1:9/rc"\nusername = "u"\n',
                      encoding="utf-8")
    settings = load_settings(str(config))
    try:
        assert first_names_or_empty(settings, engine, None, client_factory=down) == {}
        assert calls == []  # no participant survey in the store: no connection at all
        with engine.begin() as conn:
            conn.execute(sa.insert(schema.surveys).values(
                sid=111, kind="participant", template_version="1", structure_hash="x",
                active=True, provisioned_at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)))
        assert first_names_or_empty(settings, engine, None, client_factory=down) == {}
        assert calls == ["connect"]
    finally:
        engine.dispose()


def test_index_tells_apart_participants_with_the_same_first_name() -> None:
    """The demo's index pages listed 'Hugo' three times with nothing to tell them apart."""
    from bip_bridge.reports.cards import tell_apart

    people = CardPeople(enrolled_on={"a": dt.date(2024, 11, 30), "b": dt.date(2024, 6, 1),
                                     "c": dt.date(2024, 6, 1), "d": dt.date(2024, 6, 1)},
                        first_names={"a": "Hugo", "b": "Hugo", "c": "Alva", "d": "Nils"})
    for language, started in (("sv", "start 2024-06-01"), ("en", "started 1 June 2024")):
        t = Translator(language)
        rows = [index_row(p, [0], people, t, today=TODAY, href=f"{p}0000.html")
                for p in "abcd"]
        names = [(r["name"], r["extra"]) for r in tell_apart(rows, t)]
        assert names[1] == ("Hugo", started)
        assert names[0][0] == "Hugo" and names[0][1] not in ("", started)
        assert names[2:] == [("Alva", ""), ("Nils", "")]  # unique names: nothing added
    # the same name and the same start date: the card's file name tells them apart
    same = CardPeople(enrolled_on={"a": dt.date(2024, 6, 1), "b": dt.date(2024, 6, 1)},
                      first_names={"a": "Hugo", "b": "Hugo"})
    t = Translator("sv")
    rows = [index_row(p, [0], same, t, today=TODAY, href=f"{p}0000.html") for p in "ab"]
    assert [r["extra"] for r in tell_apart(rows, t)] == ["a0000", "b0000"]
    from bip_bridge.reports.html import environment

    page = environment().get_template("cards_index.html.j2").render(
        lang="sv", t=t, caseworker="HL-1", today="2025-03-01", rows=tell_apart(rows, t))
    assert '<td>Hugo<br><span class="sub">(a0000)</span></td>' in page


def test_card_legend_explains_the_question_mark(model: Any) -> None:
    """A period without the caseworker's answer shows '?' in the strip; the legend says
    what it means (the demo's cards showed rows of '?' with no key)."""
    from bip_bridge.reports.card_view import render_card

    indices = pd.DataFrame({"pseudonym": PSEUDO, "wave": [0, 1, 2]})
    interventions = pd.DataFrame({"pseudonym": PSEUDO, "period": [1], "JOB": [2],
                                  "KOMP": [1], "SOC": [0], "HALSA": [0], "gap_weeks": [0]})
    html = render_card(PSEUDO, pd.DataFrame(), indices, model, language="sv", today=TODAY,
                       caseworker_id="HL-1", interventions=interventions)
    assert '<span class="key unknown">?</span> inget svar från handledaren' in html
    full = interventions.assign(period=[2])
    both = pd.concat([interventions, full])
    html = render_card(PSEUDO, pd.DataFrame(), indices, model, language="sv", today=TODAY,
                       caseworker_id="HL-1", interventions=both)
    assert "key unknown" not in html  # no '?' on the card, no key for it
