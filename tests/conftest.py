"""Shared fixtures: recorded LimeSurvey bodies, store URLs (SQLite and PostgreSQL),
the LimeSurvey emulator and a client connected to it."""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
RECORDINGS = FIXTURES / "limesurvey"
EMULATOR_USER = "admin"
EMULATOR_PASSWORD = "emulator-Pa55word!"  # test-only credential of the bundled emulator


def load_recording(name: str) -> list[dict[str, Any]]:
    """Records of tests/fixtures/limesurvey/<name>.jsonl, in order."""
    with (RECORDINGS / f"{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def recording_step(name: str, step: str) -> dict[str, Any]:
    for record in load_recording(name):
        if record.get("step") == step:
            return record
    raise KeyError(f"{name}.jsonl has no step {step!r}")


@pytest.fixture(autouse=True)
def _restore_bip_bridge_logger() -> Iterator[None]:
    """CLI tests call setup_logging (handlers, propagate=False); undo it after each test so
    caplog-based tests see bip_bridge records whatever ran before."""
    logger = logging.getLogger("bip_bridge")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


# --- store --------------------------------------------------------------------------


def _postgres_url() -> str | None:
    return os.environ.get(
        "BIP_BRIDGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


def _postgres_reachable(url: str) -> bool:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or a private schema on a real PostgreSQL.

    PostgreSQL is skipped when unreachable locally, but fails under CI
    (BIP_BRIDGE_REQUIRE_POSTGRES=1), where .ci/run installs and starts one.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    base = _postgres_url()
    assert base is not None
    if not _postgres_reachable(base):
        if os.environ.get("BIP_BRIDGE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here but not reachable at {base}")
        pytest.skip("no PostgreSQL reachable (set BIP_BRIDGE_TEST_POSTGRES_URL)")
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


# --- LimeSurvey emulator ------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[Any]:
    """A running LimeSurvey emulator on a loopback port (``.url``, ``.username``, ``.password``)."""
    from bip_bridge.emulator import EmulatorServer

    with EmulatorServer(username=EMULATOR_USER, password=EMULATOR_PASSWORD) as server:
        yield server


@pytest.fixture
def ls_client(emulator: Any) -> Iterator[Any]:
    """The real client (bip_bridge.limesurvey) talking to the emulator."""
    from bip_bridge.limesurvey import LimeSurveyClient

    client = LimeSurveyClient(emulator.url, EMULATOR_USER, EMULATOR_PASSWORD, timeout=10, retries=1)
    try:
        yield client
    finally:
        client.close()
