"""A letter and a meeting sheet rendered in headless Chromium (Debian's chromium): the QR
code read back from the screenshot is the letter's link, a letter prints on one A4 page,
no console message. Skips without /usr/bin/chromium or zxing-cpp."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from bip_bridge.outreach.letters import qr_svg, render_letter, render_sheet
from bip_bridge.outreach.links import survey_url
from bip_bridge.outreach.texts import format_date, wave_words

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not shutil.which(CHROMIUM),
                                reason="needs Debian's chromium at /usr/bin/chromium")
RPC = "https://survey.example.org/index.php/admin/remotecontrol"


def chromium(page: Path, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    consoles = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert consoles == [], consoles
    return done.stderr


def decode(png: Path) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    with Image.open(png) as image:
        return sorted(r.text for r in zxingcpp.read_barcodes(image.convert("L")))


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_letter_qr_reads_back_as_its_link_on_one_a4_page(tmp_path: Path, language: str) -> None:
    link = survey_url(RPC, 482913, "k3xq7m2vbr5t9wz4hn6d", language)
    page = tmp_path / "letter.html"
    page.write_text(render_letter(name="Åsa-Zoë", language=language, wave=1,
                                  due_on=date(2026, 4, 15), link=link, interval_months=3),
                    encoding="utf-8")
    png = tmp_path / "letter.png"
    chromium(page, "--window-size=794,1123", f"--screenshot={png}")
    assert decode(png) == [link]
    pdf = tmp_path / "letter.pdf"
    chromium(page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) == 1


def test_meeting_sheet_codes_read_back(tmp_path: Path) -> None:
    rows = []
    links = []
    for i, name in enumerate(["Anna", "Mads", "Eva Lisa"]):
        link = survey_url(RPC, 482913, f"tok{i}abcdefghijklmnopq", "sv")
        links.append(link)
        rows.append({"name": name, "wave": wave_words(i, "sv"),
                     "since": format_date(date(2026, 4, 1 + i), "sv"), "link": link,
                     "qr": qr_svg(link, scale=2),
                     "own": survey_url(RPC, 591024, f"cw{i}abcdefghijklmnopq", "sv")})
    page = tmp_path / "sheet.html"
    page.write_text(render_sheet(caseworker_id="HL-017", language="sv", today=date(2026, 4, 20),
                                 rows=rows), encoding="utf-8")
    png = tmp_path / "sheet.png"
    chromium(page, "--window-size=1588,2246", "--force-device-scale-factor=2",
             f"--screenshot={png}")
    assert decode(png) == sorted(links)
