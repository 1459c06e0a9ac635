"""Benchmark (not a test): a full sync of 50,000 responses against the floor.

The floor is the same export, page by page, fetched with a bare POST, base64 decode and
json parse: what any client must do. The sync is ``run_sync`` through the real
``LimeSurveyClient`` into a SQLite store, and into a PostgreSQL one (a private schema
of the local server, dropped afterwards; skipped when none answers). The server
(benchmarks/loopback_server.py) runs in its own process so it does not share the
interpreter with what is measured.

Floor and sync runs alternate, one pair at a time, and each pair gives one ratio: the
two runs of a pair see the same moment of a shared machine. The figures are the median
ratio and its spread (lowest to highest) over the pairs.

    python benchmarks/bench_sync.py            # prints the figures and ratios
    BIP_BRIDGE_BENCH_POSTGRES_URL=postgresql+psycopg://USER@127.0.0.1/DB  # another server
"""

from __future__ import annotations

import base64
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from bip_bridge.limesurvey import LimeSurveyClient  # noqa: E402
from bip_bridge.store import open_store  # noqa: E402
from bip_bridge.store.schema import surveys  # noqa: E402
from bip_bridge.sync import run_sync  # noqa: E402

SID = 845216
TOTAL = 50_000
PAGE = 1000
PAIRS = 3
POSTGRES_URL = os.environ.get("BIP_BRIDGE_BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")

TARGETS = {
    "sqlite_sync_over_floor_median": "<= 1.5",
    "postgres_sync_over_floor_median": "<= 2",
    "incremental_1pct_over_full": "<= 0.05",
    "peak_mb_50k_over_10k": "~1 (bounded by the page size)",
}


@contextmanager
def loopback(n: int) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, str(HERE / "loopback_server.py"), str(n)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def rpc(http: requests.Session, url: str, method: str, *params: Any) -> Any:
    reply = http.post(url, json={"method": method, "params": list(params), "id": 1}, timeout=120)
    return reply.json()["result"]


def floor(url: str, n: int, page: int = PAGE) -> float:
    """Bare POST + base64 decode + json parse of the same pages."""
    with requests.Session() as http:
        key = rpc(http, url, "get_session_key", "u", "p")
        start = time.perf_counter()
        for lo in range(1, n + 1, page):
            result = rpc(http, url, "export_responses", key, SID, "json", None, "all", "code",
                         "short", lo, lo + page - 1)
            rows = json.loads(base64.b64decode(result))["responses"]
            assert rows
        return time.perf_counter() - start


def _add_survey(engine: Any) -> Any:
    with engine.begin() as conn:
        conn.execute(surveys.insert().values(sid=SID, kind="participant", template_version="1",
                                             structure_hash="0" * 64, active=True,
                                             provisioned_at=datetime.now(UTC)))
    return engine


def new_store(folder: Path) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    return _add_survey(open_store(f"sqlite:///{folder / 'bench.sqlite'}"))


def postgres_reachable(url: str = POSTGRES_URL) -> bool:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def postgres_store(url: str = POSTGRES_URL) -> Iterator[Any]:
    """A fresh store in a private schema of the PostgreSQL server at ``url`` (dropped after)."""
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    engine = _add_survey(open_store(f"{url}{sep}options=-csearch_path%3D{schema}"))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def timed_sync(url: str, engine: Any, page: int = PAGE) -> tuple[float, Any]:
    client = LimeSurveyClient(url, "u", "p", retries=0)
    try:
        client.get_summary(SID)  # log in outside the measured time, as the floor does
        start = time.perf_counter()
        summary = run_sync(client, engine, page_size=page)
        return time.perf_counter() - start, summary
    finally:
        client.close()


def peak_memory_mb(n: int) -> float:
    with loopback(n) as url, tempfile.TemporaryDirectory() as tmp:
        engine = new_store(Path(tmp))
        client = LimeSurveyClient(url, "u", "p", retries=0)
        client.get_summary(SID)
        gc.collect()
        tracemalloc.start()
        run_sync(client, engine, page_size=PAGE)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        client.close()
        engine.dispose()
    return peak / 1e6


def spread(values: list[float]) -> str:
    """``median (lowest–highest)`` of a list of figures."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def paired(url: str, store: Any, n: int, pairs: int, page: int = PAGE
           ) -> tuple[list[float], list[float]]:
    """``pairs`` times: the floor, then a full sync into a fresh store from ``store()``."""
    floors: list[float] = []
    syncs: list[float] = []
    for _ in range(pairs):
        floors.append(floor(url, n, page))
        with store() as engine:
            full, summary = timed_sync(url, engine, page)
            assert summary.totals()["new"] == n
        syncs.append(full)
    return floors, syncs


def add_pair_figures(figures: dict[str, object], name: str, floors: list[float],
                     syncs: list[float]) -> None:
    ratios = [s / f for s, f in zip(syncs, floors, strict=True)]
    figures[f"{name}_floor_s"] = spread(floors)
    figures[f"{name}_sync_s"] = spread(syncs)
    figures[f"{name}_sync_over_floor"] = spread(ratios)
    figures[f"{name}_sync_over_floor_median"] = statistics.median(ratios)


def run(pairs: int = PAIRS, n: int = TOTAL, page: int = PAGE,
        postgres: bool = True) -> dict[str, object]:
    """Floor/sync pairs on SQLite (then the 1 % incremental), and on PostgreSQL."""
    figures: dict[str, object] = {"responses": n, "pairs": pairs}
    with loopback(n) as url, tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10**6))

        @contextmanager
        def sqlite_store() -> Iterator[Any]:
            engine = new_store(Path(tmp) / str(next(counter)))
            try:
                yield engine
            finally:
                engine.dispose()

        floors, syncs = paired(url, sqlite_store, n, pairs, page)
        add_pair_figures(figures, "sqlite", floors, syncs)
        incrementals: list[float] = []
        engine = new_store(Path(tmp) / "incremental")
        timed_sync(url, engine, page)
        with requests.Session() as http:  # the pairs are measured: the server may grow now
            for _ in range(pairs):
                rpc(http, url, "bench_add", max(n // 100, 1))
                incremental, inc_summary = timed_sync(url, engine, page)
                assert inc_summary.totals()["new"] == max(n // 100, 1)
                incrementals.append(incremental)
            engine.dispose()
            figures["incremental_1pct_s"] = spread(incrementals)
            figures["incremental_1pct_over_full"] = (statistics.median(incrementals)
                                                     / statistics.median(syncs))
            if postgres and postgres_reachable():
                total = int(rpc(http, url, "bench_add", 0))
                pg_floors, pg_syncs = paired(url, postgres_store, total, pairs, page)
                figures["postgres_responses"] = total
                add_pair_figures(figures, "postgres", pg_floors, pg_syncs)
            else:
                figures["postgres_sync_over_floor"] = "skipped (no PostgreSQL reachable)"
    return figures


def run_memory() -> dict[str, object]:
    peak_10k, peak_50k = peak_memory_mb(10_000), peak_memory_mb(50_000)
    return {"peak_mb_10k": peak_10k, "peak_mb_50k": peak_50k,
            "peak_mb_50k_over_10k": peak_50k / peak_10k}


if __name__ == "__main__":
    for name, value in {**run(), **run_memory()}.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{name:34} {shown:>22}  {TARGETS.get(name, '')}")
