"""Letters on a real LimeSurvey (skipped unless one is named, see live_support): the link in
a letter, and the QR code read back from the letter rendered in Chromium, open that
person's questionnaire on the server (HTTP 200, the survey's title in the person's
language, the access code accepted). Creates its own surveys and deletes them."""

from __future__ import annotations

import dataclasses
import html as html_lib
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

import live_support
from bip_bridge.config import LimeSurveySettings
from bip_bridge.outreach.letters import write_letters
from bip_bridge.participants import import_roster
from bip_bridge.provision import provision
from bip_bridge.roster import parse_roster
from bip_bridge.store import open_store
from bip_bridge.templates import load_templates
from test_waves_support import make_settings, roster_bytes

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture
CHROMIUM = "/usr/bin/chromium"


def _qr_from_chromium(page: Path, png: Path) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    if not shutil.which(CHROMIUM):
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=794,1123", f"--screenshot={png}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    with Image.open(png) as image:
        return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


def test_a_letters_link_and_qr_code_open_that_persons_questionnaire(
        live_client: Any, tmp_path: Path) -> None:
    today = date.today()
    templates = load_templates()
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = open_store(url)
    settings = make_settings(url, tmp_path)
    settings = dataclasses.replace(settings, limesurvey=LimeSurveySettings(
        url=os.environ["BIP_BRIDGE_TEST_LIMESURVEY_URL"], username="unused"))
    created: list[int] = []
    try:
        report = provision(live_client, engine, templates)
        created = [o.sid for o in report.outcomes if o.sid is not None]
        sids = {o.kind: o.sid for o in report.outcomes}
        people = [("X-LETTER-1", "Mads", "mads@example.org", "da", today.isoformat(), "HL-1",
                   "cw1@example.org")]
        rows = parse_roster(roster_bytes(*people), today=today)
        import_roster(live_client, engine, settings, templates, rows, today=today)
        result = write_letters(live_client, engine, settings, templates, today=today,
                               out_dir=tmp_path / "letters", everyone=True)
        assert len(result.letters) == 1 and len(result.sheets) == 1
        page = result.letters[0]
        text = page.read_text(encoding="utf-8")
        match = re.search(r'<a href="([^"]+)"', text)
        assert match is not None
        link = html_lib.unescape(match.group(1))
        assert link.startswith(os.environ["BIP_BRIDGE_TEST_LIMESURVEY_URL"].split(
            "/index.php")[0] + f"/index.php/{sids['participant']}?token=")
        assert _qr_from_chromium(page, tmp_path / "letter.png") == [link]

        token = link.split("token=")[1].split("&")[0]
        answer = requests.get(link, timeout=60)
        assert answer.status_code == 200
        body = answer.text
        title = templates.participant.title["da"]
        assert title in html_lib.unescape(body) and 'lang="da"' in body
        # accepted: the welcome page with its Next button, no access-code form
        assert "Velkommen" in body and "Næste" in body
        assert "access code" not in body and "ikke gyldig" not in body
        # the same link with another access code is refused (the check above means something)
        wrong = requests.get(link.replace(token, "x" * len(token)), timeout=60)
        # (6.14 also shows an untranslated "Please enter your access code"; 5.6.8 does not)
        assert "ikke gyldig" in wrong.text
        assert "Velkommen" not in wrong.text
    finally:
        live_support.delete_own_surveys(live_client, engine, created)
        engine.dispose()
