"""`letters` end to end on the emulator: letters for people without e-mail (QR code
decodes to the personal link), meeting sheets, owner-only files, never twice unless
--again, and the store holds no name."""

from __future__ import annotations

import re
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bip_bridge.outreach.letters import qr_svg
from bip_bridge.store import schema
from outreach_support import ROWS, TODAY, cli, smtp, world, write_roster

__all__ = ["smtp", "world"]  # fixtures


def _no_email_roster(world: dict[str, Any]) -> Path:
    """Mads has no e-mail address (set in LimeSurvey: the roster change is the safety
    lane's; LimeSurvey holds the contact data either way)."""
    return write_roster(world["tmp"] / "roster.csv", ROWS)


def _drop_email(world: dict[str, Any], firstname: str) -> None:
    client = world["client"]
    for sid, kind in _surveys(world):
        if kind != "participant":
            continue
        for row in client.list_participants(sid, start=0, limit=100):
            if row["participant_info"]["firstname"] == firstname:
                client.set_participant_properties(sid, int(row["tid"]), {"email": ""})


def _surveys(world: dict[str, Any]) -> list[tuple[int, str]]:
    with world["engine"].connect() as conn:
        return [(int(r.sid), r.kind) for r in conn.execute(sa.select(schema.surveys))]


def test_letters_for_people_without_email(world: dict[str, Any]) -> None:
    _no_email_roster(world)
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    _drop_email(world, "Mads")
    assert cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY).exit_code == 0
    import json
    status = json.loads(cli(world, "status", "--json", "--today", TODAY.isoformat()).output)
    assert status["waves"][0]["invited_p"] == 2  # LimeSurvey mails nobody without an address
    out = world["tmp"] / "letters"
    result = cli(world, "letters", "--out", str(out), "--today", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "1 letter(s), 2 meeting sheet(s)" in result.output
    assert "2 participant(s) with an e-mail address got no letter" in result.output
    letter = out / "HL-018"
    files = sorted(p.name for p in letter.iterdir())
    assert files[1] == "meeting-sheet.html" and files[0].startswith("letter-w0-")
    html = (letter / files[0]).read_text(encoding="utf-8")
    assert 'lang="da"' in html and "Hej Mads!" in html and "første måling" in html
    p_sid = next(s for s, k in _surveys(world) if k == "participant")
    link = re.search(r'href="([^"]+)"', html)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith(f"{world['server'].base_url}/index.php/{p_sid}?token=")
    assert url.endswith("&lang=da")
    assert "<svg" in html and str(qr_svg(url, scale=6)) in html
    # owner-only
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE(letter.stat().st_mode) == 0o700
    for path in letter.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # the meeting sheet of HL-017 lists Anna and Eva Lisa with their links, in Swedish
    sheet = (out / "HL-017" / "meeting-sheet.html").read_text(encoding="utf-8")
    assert "Anna" in sheet and "Eva Lisa" in sheet and "Mads" not in sheet
    assert sheet.count("<svg") == 2 and "Din bedömning" in sheet
    # the letter counts as Mads's invitation in status
    status = json.loads(cli(world, "status", "--json", "--today", TODAY.isoformat()).output)
    assert status["waves"][0]["invited_p"] == 3
    # never twice; says where; --again writes it again
    again = cli(world, "letters", "--out", str(out), "--today", TODAY.isoformat())
    assert "0 letter(s)" in again.output and "written before and not again" in again.output
    assert str((letter / files[0]).resolve()) in again.output
    forced = cli(world, "letters", "--out", str(out), "--today", TODAY.isoformat(), "--again")
    assert "1 letter(s)" in forced.output
    everyone = cli(world, "letters", "--all", "--out", str(world["tmp"] / "all"),
                   "--today", TODAY.isoformat())
    assert "2 letter(s)" in everyone.output  # Mads's was written before
    # the store holds paths and pseudonyms, never the names
    from test_waves_support import dump_store
    stored = dump_store(world["engine"])
    for value in ("Anna", "Mads", "Eva"):
        assert value not in stored


def test_no_letter_for_an_answered_questionnaire(world: dict[str, Any]) -> None:
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    for sid, kind in _surveys(world):
        if kind == "participant":
            for row in world["client"].list_participants(sid, start=0, limit=100):
                world["client"].set_participant_properties(
                    sid, int(row["tid"]), {"completed": f"{TODAY.isoformat()} 10:00"})
    day = TODAY + timedelta(days=1)
    result = cli(world, "letters", "--all", "--out", str(world["tmp"] / "l"),
                 "--today", day.isoformat())
    assert "0 letter(s), 2 meeting sheet(s)" in result.output, result.output
    sheet = (world["tmp"] / "l" / "HL-017" / "meeting-sheet.html").read_text(encoding="utf-8")
    assert "besvarad" in sheet and sheet.count("<svg") == 0


def test_qr_code_decodes_to_the_link() -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    import io

    import segno
    from PIL import Image

    link = "https://survey.example.org/index.php/123456?token=abcdefghij0123456789&lang=sv"
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    buffer.seek(0)
    found = zxingcpp.read_barcodes(Image.open(buffer))
    assert [r.text for r in found] == [link]


def test_erasure_removes_the_delivery_records(world: dict[str, Any]) -> None:
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    assert cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY).exit_code == 0
    assert cli(world, "letters", "--all", "--out", str(world["tmp"] / "l"),
               "--today", TODAY.isoformat()).exit_code == 0
    with world["engine"].connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(schema.deliveries)).scalar()
    assert before == 6  # 3 digest items, 3 letters
    result = cli(world, "participants", "forget", ROWS[0][0], "--yes")
    assert result.exit_code == 0, result.output
    with world["engine"].connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(schema.deliveries)).scalar()
    assert after == 4


def test_forget_names_the_letter_folders_that_still_hold_the_person(
        world: dict[str, Any]) -> None:
    """Letters are named with the pseudonym's first 8 characters (cards use 12): forget
    must still find them, so the admin knows which printed-out folders to clean."""
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    assert cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY).exit_code == 0
    out = world["tmp"] / "letters-elsewhere"
    assert cli(world, "letters", "--all", "--out", str(out),
               "--today", TODAY.isoformat()).exit_code == 0
    assert any(p.name.startswith("letter-w") for p in (out / "HL-018").iterdir())
    result = cli(world, "participants", "forget", ROWS[1][0], "--yes")  # Mads, HL-018
    assert result.exit_code == 0, result.output
    assert "still hold files about this person" in result.output
    assert str(out / "HL-018") in result.output
    assert str(out / "HL-017") not in result.output  # Anna's and Eva Lisa's folder


def test_forget_lists_the_dated_letters_folder_once(world: dict[str, Any]) -> None:
    """Letters in the default place ([reports] out_dir/letters/DATE): one line naming the
    dated folder (it listed out_dir/letters and, again, the caseworker folder in it)."""
    from outreach_support import settings_of

    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    assert cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY).exit_code == 0
    assert cli(world, "letters", "--all", "--today", TODAY.isoformat()).exit_code == 0
    result = cli(world, "participants", "forget", ROWS[1][0], "--yes")
    assert result.exit_code == 0, result.output
    listed = result.output.split("about this person:")[1].split()
    out_dir = settings_of(world).reports.out_dir
    assert listed == [str(out_dir / "letters" / TODAY.isoformat())]


def test_forget_names_the_meeting_sheet_of_a_person_who_got_no_letter(
        world: dict[str, Any]) -> None:
    """Anna has an e-mail address, so she gets no letter, but her caseworker's meeting
    sheet names her and carries her link (not her pseudonym): forget must list it."""
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    assert cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY).exit_code == 0
    from outreach_support import settings_of

    assert cli(world, "letters", "--today", TODAY.isoformat()).exit_code == 0
    dated = settings_of(world).reports.out_dir / "letters" / TODAY.isoformat()
    sheet = (dated / "HL-017" / "meeting-sheet.html").read_text(encoding="utf-8")
    assert "Anna" in sheet
    assert not any(p.name.startswith("letter-w") for p in (dated / "HL-017").iterdir())
    result = cli(world, "participants", "forget", ROWS[0][0], "--yes")  # Anna, HL-017
    assert result.exit_code == 0, result.output
    assert result.output.split("about this person:")[1].split() == [str(dated)]
