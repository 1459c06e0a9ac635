"""`participants import` writes nothing when LimeSurvey is unreachable, and tells the truth
when it stops answering half-way (issue 13, case 7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bip_bridge.errors import LimeSurveyUnavailable
from bip_bridge.participants import import_roster
from bip_bridge.roster import parse_roster
from bip_bridge.store import open_store, schema
from test_waves_crash import A, B
from test_waves_support import (
    C_SID,
    P_SID,
    FakeLimeSurvey,
    make_settings,
    register_surveys,
    roster_bytes,
)

TODAY = date(2026, 1, 10)


class Unreachable:
    """LimeSurvey that stops answering at the n-th call of ``method`` (or at once)."""

    def __init__(self, inner: Any, method: str | None = None, nth: int = 1) -> None:
        self._inner, self._method, self._left = inner, method, nth

    def __getattr__(self, name: str) -> Callable[..., Any]:
        target = getattr(self._inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._method is None or name == self._method:
                self._left -= 1
                if self._method is None or self._left <= 0:
                    raise LimeSurveyUnavailable(f"LimeSurvey did not answer {name}.",
                                                method=name, hint="nothing was half-written "
                                                "by this call.")
            return target(*args, **kwargs)

        return call


def _world(tmp_path: Path) -> tuple[FakeLimeSurvey, Any, Any]:
    tmp_path.mkdir(exist_ok=True)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = open_store(url)
    register_surveys(engine)
    ls = FakeLimeSurvey(TODAY)
    ls.add_survey(P_SID)
    ls.add_survey(C_SID)
    return ls, engine, make_settings(url, tmp_path)


def _people(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(schema.participants))
                   .scalar() or 0)


def test_unreachable_limesurvey_writes_nothing(tmp_path: Path) -> None:
    ls, engine, settings = _world(tmp_path)
    rows = parse_roster(roster_bytes(A, B), today=TODAY)
    with pytest.raises(LimeSurveyUnavailable):
        import_roster(Unreachable(ls), engine, settings, None, rows, today=TODAY)
    assert _people(engine) == 0
    engine.dispose()


def test_limesurvey_gone_half_way_rolls_back_and_says_who_is_enrolled(tmp_path: Path) -> None:
    ls, engine, settings = _world(tmp_path)
    rows = parse_roster(roster_bytes(A, B), today=TODAY)
    # the participant tokens are created, then LimeSurvey stops answering
    with pytest.raises(LimeSurveyUnavailable) as info:
        import_roster(Unreachable(ls, "add_participants", nth=2), engine, settings, None, rows,
                      today=TODAY)
    text = str(info.value)
    assert "2 are enrolled with their tokens" in text and "0 were taken out" in text
    assert "half-written" not in f"{text} {info.value.hint}"
    again = import_roster(ls, engine, settings, None, rows, today=TODAY)  # completes
    assert again.tokens_created == 2 and _people(engine) == 2

    ls2, engine2, settings2 = _world(tmp_path / "second")
    with pytest.raises(LimeSurveyUnavailable) as info:
        import_roster(Unreachable(ls2, "add_participants", nth=1), engine2, settings2, None,
                      rows, today=TODAY)
    assert "0 are enrolled with their tokens" in str(info.value)
    assert "2 were taken out of the store again" in str(info.value)
    assert _people(engine2) == 0
    engine.dispose()
    engine2.dispose()
