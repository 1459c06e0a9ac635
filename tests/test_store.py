"""The store: migrations on open, clear errors, SQLite settings, and the read queries."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bip_bridge.errors import StoreError
from bip_bridge.store import open_store, schema
from bip_bridge.store.queries import active_surveys, all_surveys, load_response_frames

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_migrations_create_exactly_the_declared_schema(store_url: str) -> None:
    engine = open_store(store_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() == "0004"
        # schema.py edited without a migration shows up here
        assert compare_metadata(context, schema.metadata) == []
    engine.dispose()


def test_reopening_migrates_nothing_and_keeps_data(store_url: str) -> None:
    engine = open_store(store_url)
    with engine.begin() as conn:
        conn.execute(schema.sync_runs.insert().values(started_at=T0, status="ok"))
    engine.dispose()
    again = open_store(store_url)
    with again.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.sync_runs)).scalar() == 1
    again.dispose()


def test_a_0003_store_with_responses_upgrades_keeping_them(store_url: str) -> None:
    """0004 drops the run-id foreign keys: on SQLite by copying the table, rows included."""
    from alembic import command
    from alembic.config import Config

    from bip_bridge.store import MIGRATIONS_DIR, create_store_engine

    engine = create_store_engine(store_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    with engine.begin() as conn:
        conn.execute(schema.sync_runs.insert().values(id=1, started_at=T0, status="ok"))
        conn.execute(schema.responses.insert(), [
            {"sid": 7, "response_id": i, "pseudonym": f"p{i}", "wave": 0, "submitted_at": None,
             "complete": i % 2 == 0, "data": {"id": i}, "data_hash": "0" * 64,
             "first_run_id": 1, "last_run_id": 1, "deleted_in_source": i == 3,
             "deleted_run_id": 1 if i == 3 else None} for i in range(1, 6)])
        assert len(sa.inspect(conn).get_foreign_keys("responses")) == 3
    engine.dispose()
    engine = open_store(store_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0004"
        assert sa.inspect(conn).get_foreign_keys("responses") == []
        rows = conn.execute(sa.select(schema.responses.c.response_id,
                                      schema.responses.c.deleted_run_id)
                            .order_by(schema.responses.c.response_id)).all()
        assert rows == [(1, None), (2, None), (3, 1), (4, None), (5, None)]
        indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("responses")}
        assert {"ix_responses_pseudonym", "ix_responses_incomplete",
                "ix_responses_deleted"} <= indexes
    engine.dispose()


def test_a_store_from_a_newer_bip_bridge_is_refused(store_url: str) -> None:
    engine = open_store(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="revision 9999") as info:
        open_store(store_url)
    assert "Upgrade bip-bridge" in (info.value.hint or "")


def test_unreachable_database_names_the_url_without_its_password() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql+psycopg://bip:s3cret-pw@127.0.0.1:9/bip?connect_timeout=2")
    message = str(info.value)
    assert "s3cret-pw" not in message and "s3cret-pw" not in (info.value.hint or "")
    assert "postgresql+psycopg://bip:***@127.0.0.1:9/bip" in message
    assert info.value.exit_code == 69


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    from bip_bridge.errors import FileAccessError

    with pytest.raises(FileAccessError, match="does not exist") as info:
        open_store(f"sqlite:///{tmp_path / 'nope' / 'bip.sqlite'}")
    assert info.value.exit_code == 73  # as for every other missing folder


def test_plain_postgresql_url_uses_psycopg_3() -> None:
    from bip_bridge.store import create_store_engine

    engine = create_store_engine("postgresql://bip@127.0.0.1/bip")
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'bip.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(schema.caseworker_assignments.insert().values(
            pseudonym="nobody", from_wave=0, caseworker_id="CW1", recorded_at=T0))
    engine.dispose()


def test_two_processes_opening_a_new_store_at_once_both_succeed(store_url: str) -> None:
    code = "import sys; from bip_bridge.store import open_store; open_store(sys.argv[1])"
    procs = [subprocess.Popen([sys.executable, "-c", code, store_url], stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors


# --- queries ------------------------------------------------------------------------


def seed(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(schema.surveys.insert(), [
            {"sid": 11, "kind": "participant", "template_version": "1", "structure_hash": "a",
             "active": False, "provisioned_at": T0},
            {"sid": 12, "kind": "participant", "template_version": "2", "structure_hash": "b",
             "active": True, "provisioned_at": T0.replace(day=2)},
            {"sid": 21, "kind": "caseworker", "template_version": "2", "structure_hash": "c",
             "active": True, "provisioned_at": T0.replace(day=2)},
        ])
        conn.execute(schema.sync_runs.insert().values(id=1, started_at=T0, status="ok"))

        def row(sid: int, rid: int, data: dict, deleted: bool = False) -> dict:
            return {"sid": sid, "response_id": rid, "pseudonym": data.get("PSEUDO"),
                    "wave": 0, "submitted_at": data.get("submitdate"),
                    "complete": data.get("submitdate") is not None, "data": data,
                    "data_hash": "h", "first_run_id": 1, "last_run_id": 1,
                    "deleted_in_source": deleted}

        conn.execute(schema.responses.insert(), [
            row(12, 2, {"id": 2, "submitdate": None, "PSEUDO": "B", "BIPD[JOBTRO]": None}),
            row(11, 1, {"id": 1, "submitdate": "2026-11-20 10:15:00", "PSEUDO": "A",
                        "BIPD[JOBTRO]": "7"}),
            row(11, 3, {"id": 3, "submitdate": "2026-11-20 10:15:00", "PSEUDO": "C",
                        "BIPD[JOBTRO]": "2"}, deleted=True),
            row(21, 1, {"id": 1, "submitdate": "2026-11-21 09:00:00", "PSEUDO": "A",
                        "BIPH[HLTRO]": "8"}),
        ])


def test_response_frames_have_the_export_shape(store_url: str) -> None:
    engine = open_store(store_url)
    seed(engine)
    participant, caseworker = load_response_frames(engine)
    expected_p = pd.DataFrame({
        "sid": [11, 12], "id": [1, 2], "submitdate": ["2026-11-20 10:15:00", None],
        "PSEUDO": ["A", "B"], "BIPD[JOBTRO]": ["7", None],
    })
    expected_c = pd.DataFrame({
        "sid": [21], "id": [1], "submitdate": ["2026-11-21 09:00:00"], "PSEUDO": ["A"],
        "BIPH[HLTRO]": ["8"],
    })
    pd.testing.assert_frame_equal(participant, expected_p)
    pd.testing.assert_frame_equal(caseworker, expected_c)
    assert active_surveys(engine) == {"participant": 12, "caseworker": 21}
    assert [(s["sid"], s["kind"], s["active"]) for s in all_surveys(engine)] == [
        (11, "participant", False), (12, "participant", True), (21, "caseworker", True)]
    engine.dispose()


def test_empty_store_gives_empty_frames(store_url: str) -> None:
    engine = open_store(store_url)
    participant, caseworker = load_response_frames(engine)
    assert participant.empty and caseworker.empty
    assert {"sid", "id"} <= set(participant.columns)
    assert active_surveys(engine) == {}
    engine.dispose()
