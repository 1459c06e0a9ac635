"""Pull responses from LimeSurvey into the store: incremental, idempotent, crash-safe.

Per survey in the store's ``surveys`` table, one run:

1. re-checks the responses that were incomplete last time: one id-only export of the
   ones still incomplete; those that left that list (completed, or deleted) are
   fetched again in a few id ranges;
2. pulls new responses in response-id pages from the stored cursor
   (``from_id``/``to_id`` inclusive, ``page_size`` ids a page) until a page is empty;
3. asks ``get_summary`` for the server's response count and compares it with the
   store: more stored than the server has means deletions, found with an id-only
   listing and marked ``deleted_in_source`` (kept for the audit record); fewer means a
   gap of more than a page of ids, found with an id-only probe and pulled.

Each page is one transaction that writes its rows *and* moves the cursor, so a crash
loses at most the page in flight, and the next run pulls it again. With nothing new a
run costs at most four calls per survey, whatever the history. ``full_refresh`` pulls
everything again from id 1, reports the responses whose data changed, and marks the
ones gone; the cursor never moves back.

The decisions are pure functions (:func:`plan_page`, :func:`merge_ranges`); the store
side is :mod:`bip_bridge.store.sync_state`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol

import orjson
import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI, Row
from bip_bridge.errors import BipBridgeError, LimeSurveyError, redact
from bip_bridge.gcpause import gc_paused
from bip_bridge.model import MeasurementModel
from bip_bridge.store import RawJSON
from bip_bridge.store import sync_state as st

log = logging.getLogger(__name__)

ID_ONLY = ("id",)
LISTING_WINDOW_PAGES = 20  # an id-only listing window spans this many pages of ids
MAX_DIFFERENCES = 100  # response ids listed per survey in a full refresh's differences


# --- results ---------------------------------------------------------------------------


@dataclass
class SurveySync:
    """What one run did to one survey."""

    sid: int
    kind: str
    new: int = 0
    updated: int = 0
    completed: int = 0  # incomplete before, complete now (also counted in `updated`)
    still_incomplete: int = 0  # stored as incomplete after the run
    deleted: int = 0  # newly found gone from LimeSurvey (kept, marked deleted_in_source)
    unchanged: int = 0  # fetched again with identical data
    pages: int = 0
    api_calls: int = 0
    cursor: int = 0  # highest response id pulled
    erased_skipped: int = 0  # responses of people erased with `participants forget`, not stored
    differences: list[int] = field(default_factory=list)  # full refresh: changed ids


@dataclass
class SyncSummary:
    run_id: int
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"  # ok | stopped | failed
    full_refresh: bool = False
    surveys: list[SurveySync] = field(default_factory=list)
    error: str | None = None

    def totals(self) -> dict[str, int]:
        keys = ("new", "updated", "completed", "still_incomplete", "deleted", "unchanged",
                "pages", "api_calls", "erased_skipped")
        return {k: sum(getattr(s, k) for s in self.surveys) for k in keys}

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "full_refresh": self.full_refresh,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "totals": self.totals(),
            "surveys": [asdict(s) for s in self.surveys],
            "error": self.error,
        }

    def lines(self) -> list[str]:
        """The summary as text for the terminal and logs."""
        head = f"Sync run {self.run_id}: {self.status}" + (
            " (full refresh)" if self.full_refresh else "")
        out = [head]
        for s in self.surveys:
            out.append(
                f"  survey {s.sid} ({s.kind}): {s.new} new, {s.updated} updated "
                f"({s.completed} completed), {s.still_incomplete} still incomplete, "
                f"{s.deleted} deleted in LimeSurvey; {s.api_calls} API calls")
            if s.erased_skipped:
                out.append(f"    {s.erased_skipped} response(s) of erased people skipped "
                           "(not stored; delete them in LimeSurvey with `participants forget`)")
            if self.full_refresh and s.differences:
                more = "" if len(s.differences) < MAX_DIFFERENCES else " …"
                ids = ", ".join(str(i) for i in s.differences)
                out.append(f"    changed since last pulled: response ids {ids}{more}")
        if not self.surveys:
            out.append("  no surveys in the store yet (run `bip-bridge provision` first)")
        if self.error:
            out.append(f"  error: {self.error}")
        return out


class SyncProgress(Protocol):
    """Where run_sync reports progress (a rich bar on a terminal, log lines otherwise)."""

    def survey_started(self, sid: int, kind: str) -> None: ...

    def rows_done(self, sid: int, count: int) -> None: ...

    def survey_finished(self, result: SurveySync) -> None: ...


class LogProgress:
    """Plain log lines, one per page: for cron, systemd and pipes."""

    def survey_started(self, sid: int, kind: str) -> None:
        log.info("sync: survey %s (%s) started", sid, kind)

    def rows_done(self, sid: int, count: int) -> None:
        log.info("sync: survey %s: %d responses pulled", sid, count)

    def survey_finished(self, result: SurveySync) -> None:
        log.info("sync: survey %s done: %d new, %d updated, %d deleted, %d API calls",
                 result.sid, result.new, result.updated, result.deleted, result.api_calls)


# --- pure decisions --------------------------------------------------------------------


@dataclass(frozen=True)
class Codes:
    """Export columns copied into indexed store columns (from the measurement model)."""

    pseudonym: str
    wave: str

    @classmethod
    def of(cls, model: MeasurementModel | None) -> Codes:
        if model is not None:
            return cls(model.pseudonym_question, model.wave_question)
        defaults = {f.name: f.default for f in fields(MeasurementModel)}
        return cls(str(defaults["pseudonym_question"]), str(defaults["wave_question"]))


@dataclass
class PageCounts:
    new: int = 0
    updated: int = 0
    completed: int = 0
    unchanged: int = 0
    deleted: int = 0
    differences: list[int] = field(default_factory=list)


def digest(row: Mapping[str, Any]) -> tuple[str, str]:
    """The row's compact JSON text (keys in LimeSurvey's column order) and its SHA-256.

    orjson, not json: this runs once per response and dominated a full sync's CPU time.
    """
    data = orjson.dumps(row)
    return data.decode(), hashlib.sha256(data).hexdigest()


def response_id(row: Mapping[str, Any]) -> int:
    try:
        return int(row["id"])
    except (KeyError, TypeError, ValueError):
        raise LimeSurveyError(
            "LimeSurvey exported a response without a numeric id "
            f"(columns: {', '.join(list(row)[:8])}).",
            method="export_responses",
            hint="Exports must use heading=code; check the survey in LimeSurvey.") from None


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            number = float(str(value))
        except ValueError:
            return None
        return int(number) if number.is_integer() else None


def to_record(sid: int, row: Mapping[str, Any], codes: Codes) -> dict[str, Any]:
    """The store row of one exported response (raw JSON kept as sent)."""
    return _record(sid, row, response_id(row), codes)


def _record(sid: int, row: Mapping[str, Any], rid: int, codes: Codes,
            _dumps: Callable[[Any], bytes] = orjson.dumps,
            _sha256: Callable[[bytes], Any] = hashlib.sha256) -> dict[str, Any]:
    """:func:`to_record` for an id already read: the full sync's per-response work.

    It runs once per response, so it does each thing once: one orjson dump gives both
    the stored text and the bytes hashed (as :func:`digest`, inlined), and the common
    shapes (a string pseudonym, a digit-string wave) skip the general conversions.
    """
    data = _dumps(row)
    submit = row.get("submitdate")
    complete = submit is not None and submit != ""
    pseudonym = row.get(codes.pseudonym)
    if pseudonym is not None:
        if type(pseudonym) is not str:
            pseudonym = str(pseudonym)
        if pseudonym == "" or len(pseudonym) > 64:
            pseudonym = None
    wave = row.get(codes.wave)
    wave = int(wave) if type(wave) is str and wave.isascii() and wave.isdigit() else \
        _as_int(wave)
    return {
        "sid": sid,
        "response_id": rid,
        "pseudonym": pseudonym,
        "wave": wave,
        "submitted_at": str(submit)[:32] if complete else None,
        "complete": complete,
        "data": RawJSON(row, data.decode()),
        "data_hash": _sha256(data).hexdigest(),
    }


def plan_page(
    sid: int,
    rows: Iterable[Mapping[str, Any]],
    existing: Mapping[int, st.Stored],
    *,
    codes: Codes,
    id_range: tuple[int, int] | None = None,
    ids: Collection[int] | None = None,
) -> tuple[st.PageWrite, PageCounts]:
    """Decide what one page changes in the store.

    Give what the export covered: ``id_range``, the inclusive ``(lo, hi)`` of an
    unfiltered export, or ``ids``, the ids asked for. Rows outside it are ignored;
    stored, not yet deleted responses inside it that the export did not return are gone
    from LimeSurvey. ``existing`` must hold every stored response inside it.

    Two steps, so that sync can run the first away from the store: :func:`prepare_page`
    (the per-row work, needing nothing stored) and :func:`classify_page`.
    """
    wanted = coverage(id_range, ids)
    return classify_page(prepare_page(sid, rows, wanted, codes=codes), existing, wanted)


def coverage(id_range: tuple[int, int] | None, ids: Collection[int] | None) -> Collection[int]:
    """The ids an export covered, as a collection to test ``in`` against."""
    if (id_range is None) == (ids is None):
        raise ValueError("give exactly one of id_range and ids")
    if id_range is not None:
        return range(id_range[0], id_range[1] + 1)  # `in` on a range is arithmetic
    return set(ids or ())


def prepare_page(sid: int, rows: Iterable[Mapping[str, Any]], wanted: Collection[int], *,
                 codes: Codes) -> list[dict[str, Any]]:
    """The store records of the rows inside ``wanted``, first of each id, in export order."""
    records: list[dict[str, Any]] = []
    seen: set[int] = set()
    for row in rows:
        rid = response_id(row)
        if rid not in wanted or rid in seen:
            continue
        seen.add(rid)
        records.append(_record(sid, row, rid, codes))
    return records


def classify_page(records: Sequence[dict[str, Any]], existing: Mapping[int, st.Stored],
                  wanted: Collection[int]) -> tuple[st.PageWrite, PageCounts]:
    """New, changed, unchanged and gone, from prepared records and what is stored."""
    write, counts = st.PageWrite(), PageCounts()
    if not existing:  # the usual page of a pull: everything is new
        write.inserts = list(records)
    else:
        for record in records:
            rid = record["response_id"]
            before = existing.get(rid)
            if before is None:
                write.inserts.append(record)
            elif before.data_hash != record["data_hash"] or before.deleted:
                write.updates.append(record)
                counts.differences.append(rid)
                if record["complete"] and not before.complete:
                    counts.completed += 1
            else:
                counts.unchanged += 1
    counts.new, counts.updated = len(write.inserts), len(write.updates)
    seen = {record["response_id"] for record in records}
    write.deletions = sorted(i for i, s in existing.items()
                             if i in wanted and i not in seen and not s.deleted)
    counts.deleted = len(write.deletions)
    if seen:
        write.cursor = max(seen)
    return write, counts


def merge_ranges(ids: Iterable[int], span: int) -> list[tuple[int, int]]:
    """Sorted ids grouped into inclusive ranges no wider than ``span`` ids."""
    ranges: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if ranges and i - ranges[-1][0] < span:
            ranges[-1] = (ranges[-1][0], i)
        else:
            ranges.append((i, i))
    return ranges


def summary_total(summary: Any) -> int | None:
    """The server's response count from get_summary (None when it gave none)."""
    if isinstance(summary, Mapping):
        value = summary.get("full_responses")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


# --- the run ---------------------------------------------------------------------------


class _SyncStopped(Exception):
    """Internal: a stop was requested between two pages."""


_Page = tuple[int, int, list[dict[str, Any]]]  # highest id, rows fetched, records


class _Prefetch:
    """Pages fetched ahead on one worker thread, handed over in order (a one-slot queue).

    ``fetch(lo)`` returns a page whose highest id is ``top``, or None at the end; the next
    fetch starts at ``top + 1``. An error on the worker is raised in the consumer when
    it reaches that page. Leaving the ``with`` block early (an error or a stop while
    writing) tells the worker to stop after the call in flight and waits for it, so no
    call outlives the pull.
    """

    _END = object()

    def __init__(self, fetch: Callable[[int], _Page | None], start: int) -> None:
        self._fetch, self._start = fetch, start
        self._slot: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="bip-sync-fetch", daemon=True)

    def __enter__(self) -> Iterator[_Page]:
        self._thread.start()
        return self._pages()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a worker waiting on a full slot
            with contextlib.suppress(queue.Empty):
                self._slot.get(timeout=0.05)
        self._thread.join()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._slot.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        lo = self._start
        try:
            while not self._stop.is_set():
                page = self._fetch(lo)
                if page is None:
                    break
                if not self._put(page):
                    return
                lo = page[0] + 1
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(_Failed(exc))
            return
        self._put(self._END)

    def _pages(self) -> Iterator[_Page]:
        while True:
            item = self._slot.get()
            if item is self._END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item


@dataclass(frozen=True)
class _Failed:
    exc: BaseException


class _SurveyRun:
    """One survey's pull: the calls and writes, with the decisions delegated to plan_page."""

    def __init__(self, api: LimeSurveyAPI, engine: sa.Engine, run_id: int, result: SurveySync,
                 *, page_size: int, codes: Codes, progress: SyncProgress | None,
                 should_stop: Callable[[], bool],
                 forgotten: Callable[[str], bool] | None = None) -> None:
        self.api, self.engine, self.run_id, self.r = api, engine, run_id, result
        self.forgotten = forgotten
        self.page_size, self.codes, self.progress = page_size, codes, progress
        self.should_stop = should_stop
        self.sid = result.sid
        self.bind: sa.Engine | sa.Connection = engine  # run() swaps in one writer connection

    # calls -----------------------------------------------------------------------------
    def export(self, *, from_id: int | None = None, to_id: int | None = None,
               completion: str = "all", fields: Sequence[str] | None = None) -> list[Row]:
        self.r.api_calls += 1
        return self.api.export_responses(self.sid, from_id=from_id, to_id=to_id,
                                         completion=completion, fields=fields)

    def total(self) -> int | None:
        self.r.api_calls += 1
        return summary_total(self.api.get_summary(self.sid))

    # writes ----------------------------------------------------------------------------
    def apply(self, rows: list[Row], *, id_range: tuple[int, int] | None = None,
              ids: Collection[int] | None = None) -> None:
        wanted = coverage(id_range, ids)
        self.write(prepare_page(self.sid, rows, wanted, codes=self.codes), wanted, len(rows),
                   id_range=id_range, ids=ids)

    def write(self, records: list[dict[str, Any]], wanted: Collection[int], fetched: int, *,
              id_range: tuple[int, int] | None = None,
              ids: Collection[int] | None = None) -> None:
        """One page's transaction: read what is stored in its coverage, classify, write."""
        counts = PageCounts()
        top = max((r["response_id"] for r in records), default=None)
        if self.forgotten is not None:  # erased people never come back into the store
            forgotten = self.forgotten
            skipped = {r["response_id"] for r in records
                       if r["pseudonym"] and forgotten(r["pseudonym"])}
            if skipped:
                self.r.erased_skipped += len(skipped)
                records = [r for r in records if r["response_id"] not in skipped]
                wanted = set(wanted) - skipped

        def decide(conn: sa.Connection) -> st.PageWrite:
            nonlocal counts
            if id_range is not None:
                existing = st.read_existing(conn, self.sid, id_range[0], id_range[1])
            else:
                existing = st.read_ids(conn, self.sid, ids or ())
            write, counts = classify_page(records, existing, wanted)
            if top is not None and (write.cursor is None or write.cursor < top):
                write.cursor = top  # past the skipped responses too
            return write

        st.apply_page(self.bind, self.sid, self.run_id, decide)
        r = self.r
        r.new += counts.new
        r.updated += counts.updated
        r.completed += counts.completed
        r.unchanged += counts.unchanged
        r.deleted += counts.deleted
        room = MAX_DIFFERENCES - len(r.differences)
        r.differences.extend(counts.differences[:max(room, 0)])
        if fetched:
            r.pages += 1
            if self.progress is not None:
                self.progress.rows_done(self.sid, fetched)
        if self.should_stop():
            raise _SyncStopped

    # steps -----------------------------------------------------------------------------
    def recheck_incomplete(self) -> None:
        stored = st.incomplete_ids(self.engine, self.sid)
        if not stored:
            return
        cursor = st.cursor_of(self.engine, self.sid)
        still = {response_id(r) for r in self.export(
            from_id=stored[0], to_id=max(cursor, stored[-1]), completion="incomplete",
            fields=ID_ONLY)}
        moved = [i for i in stored if i not in still]
        for lo, hi in merge_ranges(moved, self.page_size):
            wanted = [i for i in moved if lo <= i <= hi]
            self.apply(self.export(from_id=lo, to_id=hi), ids=wanted)

    def fetch_page(self, lo: int) -> tuple[int, int, list[dict[str, Any]]] | None:
        """Export ids ``lo``… (one page) and prepare its records: the per-row work.

        Returns (highest id, rows fetched, records), or None for an empty page. Runs on
        the fetch thread, so everything here overlaps with the previous page's write.
        """
        hi = lo + self.page_size - 1
        rows = self.export(from_id=lo, to_id=hi)
        ids = [response_id(r) for r in rows]
        if not ids:
            return None
        if min(ids) < lo or max(ids) > hi:
            raise LimeSurveyError(
                f"Survey {self.sid}: LimeSurvey returned response ids outside the "
                f"asked range {lo}–{hi}.", method="export_responses",
                hint="The server ignores from/to bounds; nothing past this page was "
                "stored. Report this with the LimeSurvey version.")
        top = max(ids)
        return top, len(rows), prepare_page(self.sid, rows, range(lo, top + 1),
                                            codes=self.codes)

    def pull_from(self, start: int) -> int:
        """Pages from id ``start`` until an empty page; returns the first id not covered.

        A fetch thread exports and prepares the pages (JSON text, hash: the per-row
        work), one call at a time, and hands them over through a one-slot queue while
        this thread writes them, each in its own transaction, in id order. The store's
        part of a page is then only a read of what is stored in its range, the
        classification and the insert, and the writes (which release the GIL) hide
        behind the fetch. At most three pages are in memory: one being written, one
        waiting, one being fetched.
        """
        # the pages' parsed responses are acyclic: no collections while they stream
        with gc_paused(), _Prefetch(self.fetch_page, start) as pages:
            lo = start
            for top, fetched, records in pages:
                self.write(records, range(lo, top + 1), fetched, id_range=(lo, top))
                lo = top + 1
            return lo

    def probe_after(self, lo: int) -> int | None:
        """First existing response id >= lo (None if none). Marks stored ids skipped as gone."""
        ids = sorted(response_id(r) for r in self.export(from_id=lo, fields=ID_ONLY))
        nxt = ids[0] if ids else None
        # stored responses between lo and the next existing id are gone (full refresh)
        self.apply([], id_range=(lo, (nxt - 1) if nxt is not None else 2**62))
        return nxt

    def reconcile_deletions(self, upto: int) -> None:
        """Id-only listing of [1, upto] in windows; stored ids missing from it are gone."""
        width = self.page_size * LISTING_WINDOW_PAGES
        lo = 1
        while lo <= upto:
            hi = min(lo + width - 1, upto)
            present = [{"id": response_id(r)}
                       for r in self.export(from_id=lo, to_id=hi, fields=ID_ONLY)]
            self._mark_missing(present, lo, hi)
            lo = hi + 1

    def _mark_missing(self, present: list[Row], lo: int, hi: int) -> None:
        ids = {int(r["id"]) for r in present}

        def decide(conn: sa.Connection) -> st.PageWrite:
            existing = st.read_existing(conn, self.sid, lo, hi)
            gone = sorted(i for i, s in existing.items() if i not in ids and not s.deleted)
            return st.PageWrite(deletions=gone)

        self.r.deleted += len(st.apply_page(self.bind, self.sid, self.run_id, decide).deletions)

    def run(self, full_refresh: bool) -> None:
        with st.writer(self.engine) as conn:
            self.bind = conn
            try:
                self._run(full_refresh)
            finally:
                self.bind = self.engine

    def _run(self, full_refresh: bool) -> None:
        if not full_refresh:
            self.recheck_incomplete()
        start = 1 if full_refresh else st.cursor_of(self.engine, self.sid) + 1
        nxt: int | None = self.pull_from(start)
        total = self.total()
        live = st.live_count(self.engine, self.sid) if total is not None else None
        if full_refresh or (total is not None and live is not None and live < total):
            # possibly more past a gap wider than a page (or, in a full refresh, always)
            while nxt is not None:
                nxt = self.probe_after(nxt)
                if nxt is not None:
                    nxt = self.pull_from(nxt)
        elif total is not None and live is not None and live > total:
            self.reconcile_deletions(st.cursor_of(self.engine, self.sid))
        elif total is None:
            log.warning("survey %s: LimeSurvey gave no response count (get_summary); "
                        "deletions are not checked this run", self.sid)


def run_sync(
    api: LimeSurveyAPI,
    engine: sa.Engine,
    *,
    page_size: int = 1000,
    full_refresh: bool = False,
    progress: SyncProgress | None = None,
    model: MeasurementModel | None = None,
    should_stop: Callable[[], bool] | None = None,
    forgotten: Callable[[str], bool] | None = None,
) -> SyncSummary:
    """Pull every survey of the store's ``surveys`` table; returns (and stores) the summary.

    ``should_stop`` is polled after each committed page: when it returns True the run
    ends there with status ``stopped`` (everything committed is consistent).
    ``forgotten`` says whether a pseudonym belongs to an erased person
    (:func:`bip_bridge.erasure.forgotten_predicate`): such responses are skipped and
    counted, never stored.
    Errors propagate after the run is recorded as ``failed``.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    codes = Codes.of(model)
    stop = should_stop or (lambda: False)
    run_id = st.start_run(engine)
    summary = SyncSummary(run_id=run_id, started_at=st.now(), full_refresh=full_refresh)
    try:
        for sid, kind in st.survey_list(engine):
            result = SurveySync(sid=sid, kind=kind)
            summary.surveys.append(result)
            if progress is not None:
                progress.survey_started(sid, kind)
            _SurveyRun(api, engine, run_id, result, page_size=page_size, codes=codes,
                       progress=progress, should_stop=stop,
                       forgotten=forgotten).run(full_refresh)
            _finish_survey(engine, result, progress)
            if stop():
                raise _SyncStopped
        summary.status = "ok"
    except _SyncStopped:
        summary.status = "stopped"
        for result in summary.surveys:
            _finish_survey(engine, result, None)
    except BaseException as exc:
        summary.status = "failed"
        summary.error = redact(str(exc) if isinstance(exc, BipBridgeError)
                               else f"{type(exc).__name__}: {exc}")
        summary.finished_at = st.now()
        try:
            st.finish_run(engine, run_id, "failed", summary.to_json())
        except Exception:  # the store itself failed: the run row stays "running"
            log.debug("could not record the failed sync run", exc_info=True)
        raise
    summary.finished_at = st.now()
    st.finish_run(engine, run_id, summary.status, summary.to_json())
    return summary


def _finish_survey(engine: sa.Engine, result: SurveySync, progress: SyncProgress | None) -> None:
    result.still_incomplete = len(st.incomplete_ids(engine, result.sid))
    result.cursor = st.cursor_of(engine, result.sid)
    if progress is not None:
        progress.survey_finished(result)


__all__ = ["LogProgress", "SurveySync", "SyncProgress", "SyncSummary", "merge_ranges",
           "plan_page", "run_sync"]
