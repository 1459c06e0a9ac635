"""The scheduled job behind ``bip-bridge sync``: lock, verify, waves, pull, push back, report.

One iteration, in order, under the store's lock for changing commands (:mod:`bip_bridge.locking`):

1. open (and migrate) the store; connect to LimeSurvey;
2. load the templates and verify the surveys still match them (SurveyDrift stops here);
3. run the waves (create due tokens, invite, remind);
4. pull responses (:func:`bip_bridge.sync.run_sync`);
5. push the latest indices back to the tokens (``[sync] pushback``);
6. write the reports (``[reports] after_sync``).

With ``every`` it repeats until SIGTERM or SIGINT: a signal during a pull ends it after
the page being written (its transaction commits or rolls back, never half), the lock is
released, and the job returns normally (exit 0). The lock is held per iteration only,
so a manual run can slip in between two scheduled ones.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.config import Settings
from bip_bridge.erasure import forgotten_predicate
from bip_bridge.errors import LimeSurveyUnavailable, StateLocked
from bip_bridge.locking import mutation_lock
from bip_bridge.outreach.digest import send_digests
from bip_bridge.provision import verify_surveys
from bip_bridge.pushback import push_back
from bip_bridge.store import open_store
from bip_bridge.sync import SyncProgress, SyncSummary, run_sync
from bip_bridge.templates import load_templates
from bip_bridge.waves import run_waves

log = logging.getLogger(__name__)

ClientFactory = Callable[[Settings], AbstractContextManager[LimeSurveyAPI]]

_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``1h30m``, ``1d`` -> timedelta (at least one minute)."""
    cleaned = text.strip().lower()
    parts = _DURATION.findall(cleaned)
    if not parts or _DURATION.sub("", cleaned).strip():
        raise ValueError(f"{text!r} is not a duration like 30m, 1h, 1h30m or 1d")
    seconds = sum(int(n) * _UNIT[u] for n, u in parts)
    if seconds < 60:
        raise ValueError(f"{text!r} is shorter than a minute")
    return timedelta(seconds=seconds)


@dataclass
class JobResult:
    """What one iteration did."""

    sync: SyncSummary | None = None
    waves: Any = None
    digest: Any = None
    pushback: Any = None
    report_dir: Path | None = None

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.waves is not None and hasattr(self.waves, "summary"):
            out.append(str(self.waves.summary()))
        if self.digest is not None:
            out.append(self.digest.summary())
            out.extend(f"skipped: {line}" for line in self.digest.skipped)
        if self.sync is not None:
            out.extend(self.sync.lines())
        if self.pushback is not None and hasattr(self.pushback, "summary"):
            out.append(str(self.pushback.summary()))
        if self.report_dir is not None:
            out.append(f"reports written to {self.report_dir}")
        return out


def _default_client(settings: Settings) -> AbstractContextManager[LimeSurveyAPI]:
    from bip_bridge.limesurvey import connect

    return connect(settings)


def run_once(
    settings: Settings,
    *,
    client_factory: ClientFactory | None = None,
    today: date | None = None,
    full_refresh: bool = False,
    page_size: int | None = None,
    progress: SyncProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    digest_send: Callable[[EmailMessage], None] | None = None,
) -> JobResult:
    """One iteration under the lock (raises StateLocked when another one runs).

    ``digest_send`` replaces the SMTP delivery of the caseworker digests (the demo writes
    them to files)."""
    result = JobResult()
    day = today or date.today()
    factory = client_factory or _default_client
    stop = should_stop or (lambda: False)
    with mutation_lock(settings, command="sync"):
        engine = open_store(settings.store.url)
        try:
            with factory(settings) as api:
                templates = load_templates(settings.surveys.template_dir)
                verify_surveys(api, engine, templates)
                if not stop():
                    result.waves = run_waves(api, engine, settings, templates, today=day)
                    if settings.waves.caseworker_email == "digest":
                        result.digest = send_digests(api, engine, settings, templates,
                                                     today=day, send=digest_send)
                result.sync = run_sync(
                    api, engine, page_size=page_size or settings.sync.page_size,
                    full_refresh=full_refresh, progress=progress,
                    model=templates.model, should_stop=stop,
                    forgotten=forgotten_predicate(engine, settings.privacy.pseudonym_key))
                if result.sync.status != "ok":
                    return result
                if settings.sync.pushback:
                    result.pushback = push_back(api, engine, templates,
                                                min_cell=settings.privacy.min_cell)
                names: dict[str, str] = {}
                if settings.reports.after_sync and not stop():
                    names = _first_names(api, engine, templates)
            if settings.reports.after_sync and not stop():
                from bip_bridge.reports import write_reports  # matplotlib: only when asked

                result.report_dir = write_reports(engine, settings, templates, today=day,
                                                  first_names=names)
        finally:
            engine.dispose()
    return result


def _first_names(api: LimeSurveyAPI, engine: Any, templates: Any) -> dict[str, str]:
    """First names for the cards (never stored); {} when LimeSurvey refuses the listing."""
    from bip_bridge.errors import LimeSurveyError
    from bip_bridge.reports.names import read_first_names

    try:
        return read_first_names(api, engine, templates)
    except LimeSurveyError as err:
        log.warning("first names not read from LimeSurvey (%s): the cards show pseudonyms",
                    type(err).__name__)
        return {}


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set ``stop`` (a second SIGINT interrupts at once)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.warning("%s received: stopping after the current page",
                    signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def sync_job(
    settings: Settings,
    *,
    client_factory: ClientFactory | None = None,
    today: date | None = None,
    full_refresh: bool = False,
    every: timedelta | None = None,
    page_size: int | None = None,
    progress: SyncProgress | None = None,
    on_result: Callable[[JobResult], None] | None = None,
    stop: threading.Event | None = None,
) -> JobResult:
    """What ``bip-bridge sync`` runs: once, or every ``every`` until stopped.

    Returns the last iteration's result. Once: errors propagate (StateLocked: exit 75).
    Repeating: a locked store or an unreachable LimeSurvey skips that iteration with a
    warning; other errors end the job. ``on_result`` sees each iteration's result.
    """
    stop = stop or threading.Event()
    last = JobResult()
    with stop_on_signals(stop):
        while True:
            started = time.monotonic()
            try:
                last = run_once(settings, client_factory=client_factory, today=today,
                                full_refresh=full_refresh, page_size=page_size,
                                progress=progress, should_stop=stop.is_set)
                if on_result is not None:
                    on_result(last)
            except (StateLocked, LimeSurveyUnavailable) as err:
                if every is None:
                    raise
                log.warning("sync skipped this time: %s", err)
            if every is None or stop.is_set():
                return last
            wait = max(every.total_seconds() - (time.monotonic() - started), 0.0)
            log.info("next sync in %.0f s", wait)
            if stop.wait(wait):
                return last
            full_refresh = False  # only the first iteration re-pulls everything


__all__ = ["JobResult", "parse_duration", "run_once", "stop_on_signals", "sync_job"]
