"""`bip-bridge report` end to end: responses in a store (SQLite and PostgreSQL) -> folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner


def test_report_command_end_to_end(tmp_path: Path, store_url: str, monkeypatch: Any) -> None:
    """`bip-bridge report` on a store holding the synthetic responses."""
    from bip_bridge.cli import main
    from bip_bridge.store import open_store, schema
    from bip_bridge.synthetic import generate_frames
    from bip_bridge.templates import load_templates

    model = load_templates().model
    engine = open_store(store_url)
    p_df, c_df = generate_frames(8, 2, seed=3, model=model, extras=False)
    now = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.sync_runs).values(id=1, started_at=now, status="ok"))
        for sid, kind, df in ((111111, "participant", p_df), (222222, "caseworker", c_df)):
            conn.execute(sa.insert(schema.surveys).values(
                sid=sid, kind=kind, template_version=model.template_version,
                structure_hash="x", active=True, provisioned_at=now))
            for rec in df.to_dict("records"):
                data = {k: (None if v is None or v != v else v) for k, v in rec.items()}
                conn.execute(sa.insert(schema.responses).values(
                    sid=sid, response_id=int(rec["id"]), pseudonym=rec["PSEUDO"],
                    wave=int(rec["WAVE"]), submitted_at=rec["submitdate"], complete=True,
                    data=data, data_hash="h", first_run_id=1, last_run_id=1,
                    deleted_in_source=False))
    engine.dispose()
    config = tmp_path / "bip-bridge.toml"
    config.write_text(
        '[limesurvey]\nurl = "https://survey.example.org/index.php/admin/remotecontrol"\n'
        f'username = "bip"\n[store]\nurl = "{store_url}"\n[reports]\nout_dir = "out"\n'
        'language = "en"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "report", "--date",
                                       "2025-03-01", "--excel"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "2025-03-01"
    assert (folder / "report.html").exists()
    assert (folder / "cohort.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    cards = sorted(p.relative_to(folder / "cards").parts[0]
                   for p in (folder / "cards").rglob("*.html") if p.name != "index.html")
    assert len(cards) == 8 and all(c.startswith("CW") for c in cards)
    assert {p.parent.name for p in (folder / "cards").rglob("index.html")} == set(cards)
    assert "Progression cards: 8, with an index page per caseworker" in result.output
