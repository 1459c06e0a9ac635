"""The HTML report and a card rendered in headless Chromium (Debian's chromium) to PNG,
with no console message. Skips when /usr/bin/chromium is absent (apt-get install chromium)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from bip_bridge.reports import write_report_folder
from regen_golden import golden_inputs

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not shutil.which(CHROMIUM),
                                reason="needs Debian's chromium at /usr/bin/chromium")


def screenshot(page: Path, png: Path, size: str) -> str:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", f"--window-size={size}",
         f"--screenshot={png}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result, model = golden_inputs()
    out = tmp_path_factory.mktemp("chromium") / "2025-03-01"
    return write_report_folder(result, out, model, language="sv", min_cell=5,
                               today=dt.date(2025, 3, 1))


def test_report_and_card_render_without_console_messages(folder: Path, tmp_path: Path) -> None:
    card = sorted((folder / "cards").rglob("*.html"))[0]
    for page, size in ((folder / "report.html", "1000,3000"), (card, "794,1123")):
        png = tmp_path / f"{page.stem}.png"
        log = screenshot(page, png, size)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 20_000  # a rendered page, not a blank one
        consoles = [line for line in log.splitlines() if ":CONSOLE" in line]
        assert consoles == [], consoles
