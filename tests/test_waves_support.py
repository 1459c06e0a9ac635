"""Test support for participants/waves: an in-memory LimeSurvey double and a crash proxy.

The double keeps the recorded semantics (tests/fixtures/limesurvey/participants.jsonl):
``tid`` a string from add_participants and an int from list_participants, tokens
sanitised to ``[0-9a-zA-Z_~-]``, a duplicate token answered with an ``errors`` entry,
``start`` a tid lower bound, ``sent``/``remindersent`` without seconds, invitations only
to tokens not yet sent and with an e-mail, ``add_response`` not touching the tokens.
Where it and a recording disagree, the recording wins (see test_waves_support_checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bip_bridge.errors import LimeSurveyRejected

TOKEN_COLUMNS = ("firstname", "lastname", "email", "language", "token", "validfrom",
                 "attribute_1", "attribute_2", "attribute_3")


@dataclass
class Mail:
    sid: int
    tid: int
    to: str
    kind: str  # invitation | reminder
    on: date
    token: str
    attributes: dict[str, str]
    firstname: str


@dataclass
class FakeSurvey:
    sid: int
    tokens: dict[int, dict[str, Any]] = field(default_factory=dict)
    responses: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_tid: int = 1
    next_rid: int = 1


class FakeLimeSurvey:
    """Just enough of LimeSurvey for participants and waves, with a settable clock."""

    def __init__(self, today: date | None = None) -> None:
        self.today = today or date(2026, 1, 1)
        self.surveys: dict[int, FakeSurvey] = {}
        self.outbox: list[Mail] = []
        self.calls: list[tuple[str, int]] = []

    # helpers for tests
    def add_survey(self, sid: int) -> None:
        self.surveys[sid] = FakeSurvey(sid)

    def _survey(self, sid: int) -> FakeSurvey:
        if sid not in self.surveys:
            raise LimeSurveyRejected("Error: Invalid survey ID", status="Error: Invalid survey ID")
        return self.surveys[sid]

    def _stamp(self) -> str:
        return f"{self.today.isoformat()} 06:16"

    def complete(self, sid: int, tid: int) -> None:
        self.surveys[sid].tokens[tid]["completed"] = f"{self.today.isoformat()} 07:00"

    # --- the protocol subset used here -----------------------------------------------
    def add_participants(self, sid: int, participants: Sequence[Mapping[str, Any]], *,
                         create_tokens: bool = False) -> list[dict[str, Any]]:
        self.calls.append(("add_participants", len(participants)))
        survey = self._survey(sid)
        out = []
        for given in participants:
            row = {k: v for k, v in given.items() if k in TOKEN_COLUMNS}
            row["token"] = re.sub(r"[^0-9a-zA-Z_~-]", "", str(row.get("token", "")))
            if any(t["token"] == row["token"] for t in survey.tokens.values()):
                out.append({**row, "errors": {"token": [
                    f'Access code "{row["token"]}" has already been taken.']}})
                continue
            tid = survey.next_tid
            survey.next_tid += 1
            full = {"sent": "N", "remindersent": "N", "remindercount": 0, "completed": "N",
                    "usesleft": 1, "emailstatus": "OK", "language": "", "attribute_1": "",
                    "attribute_2": "", "attribute_3": "", "email": None, **row, "tid": tid}
            survey.tokens[tid] = full
            out.append({**full, "tid": str(tid)})
        return out

    def list_participants(self, sid: int, *, start: int = 0, limit: int = 1000,
                          attributes: Sequence[str] = (),
                          conditions: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        self.calls.append(("list_participants", limit))
        survey = self._survey(sid)
        rows = []
        for tid in sorted(survey.tokens):
            tok = survey.tokens[tid]
            if tid < start:
                continue
            if conditions and any(str(tok.get(k)) != str(v) for k, v in conditions.items()):
                continue
            row = {"tid": tid, "token": tok["token"], "participant_info": {
                "firstname": tok.get("firstname"), "lastname": tok.get("lastname"),
                "email": tok.get("email")}}
            for a in attributes:
                if a in tok:
                    row[a] = tok[a]
            rows.append(row)
            if len(rows) >= limit:
                break
        return rows

    def set_participant_properties(self, sid: int, tid: int,
                                   properties: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append(("set_participant_properties", 1))
        tok = self._survey(sid).tokens[tid]
        tok.update({k: v for k, v in properties.items() if k in TOKEN_COLUMNS})
        return dict(tok)

    def delete_participants(self, sid: int, tids: Sequence[int]) -> dict[str, Any]:
        self.calls.append(("delete_participants", len(tids)))
        survey = self._survey(sid)
        out: dict[str, Any] = {}
        for tid in tids:
            out[str(tid)] = "Deleted" if survey.tokens.pop(tid, None) else "Invalid token ID"
        return out

    def _send(self, sid: int, tids: Sequence[int], kind: str) -> dict[str, Any]:
        survey = self._survey(sid)
        out: dict[str, Any] = {}
        for tid in tids:
            tok = survey.tokens.get(tid)
            if tok is None or not tok.get("email") or tok["completed"] != "N":
                continue
            if kind == "invitation" and tok["sent"] != "N":
                continue
            if kind == "reminder" and tok["sent"] == "N":
                continue
            if kind == "invitation":
                tok["sent"] = self._stamp()
            else:
                tok["remindersent"] = self._stamp()
                tok["remindercount"] += 1
            self.outbox.append(Mail(sid, tid, tok["email"], kind, self.today, tok["token"],
                                    {k: tok[k] for k in ("attribute_1", "attribute_2",
                                                         "attribute_3")},
                                    tok.get("firstname") or ""))
            out[str(tid)] = {"name": f"{tok.get('firstname')} {tok.get('lastname')}",
                             "email": tok["email"], "status": "OK", "warning": None,
                             "error": None}
        if not out:
            return {}
        out["status"] = "0 left to send"
        return out

    def invite_participants(self, sid: int, tids: Sequence[int]) -> dict[str, Any]:
        self.calls.append(("invite_participants", len(tids)))
        return self._send(sid, tids, "invitation")

    def remind_participants(self, sid: int, tids: Sequence[int]) -> dict[str, Any]:
        self.calls.append(("remind_participants", len(tids)))
        return self._send(sid, tids, "reminder")

    def add_response(self, sid: int, response: Mapping[str, Any]) -> int:
        survey = self._survey(sid)
        rid = survey.next_rid
        survey.next_rid += 1
        survey.responses[rid] = {"id": rid, **response}
        return rid

    def export_responses(self, sid: int, **_: Any) -> list[dict[str, Any]]:
        self.calls.append(("export_responses", 1))
        return [dict(r) for _, r in sorted(self._survey(sid).responses.items())]

    def get_response_ids(self, sid: int, token: str) -> list[int]:
        self.calls.append(("get_response_ids", 1))
        return [rid for rid, r in self._survey(sid).responses.items() if r.get("token") == token]

    def delete_response(self, sid: int, response_id: int) -> None:
        self.calls.append(("delete_response", 1))
        if self._survey(sid).responses.pop(response_id, None) is None:
            raise LimeSurveyRejected("Response Id not found", status="Response Id not found")


class Crash(RuntimeError):
    """A simulated crash (power cut, kill -9) right after a LimeSurvey call."""


class CrashAfter:
    """Proxy that lets the n-th call of ``method`` reach LimeSurvey, then crashes."""

    def __init__(self, inner: Any, method: str, nth: int = 1,
                 before: Callable[[], None] | None = None) -> None:
        self._inner = inner
        self._method = method
        self._left = nth
        self.crashed = False

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if name != self._method:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            result = target(*args, **kwargs)
            self._left -= 1
            if self._left == 0:
                self.crashed = True
                raise Crash(f"crash after {name}")
            return result

        return call


# --- store and settings for participants/waves tests ----------------------------------

PSEUDONYM_KEY = b"waves-test-key-0123456789"
P_SID, C_SID = 111111, 222222


def make_settings(store_url: str, tmp_path: Any, **waves: Any) -> Any:
    """Settings for waves tests; LimeSurvey mails caseworkers too unless ``caseworker_email``
    says "digest" (the digest has its own tests)."""
    waves.setdefault("caseworker_email", "limesurvey")
    from bip_bridge.config import (
        LimeSurveySettings,
        PrivacySettings,
        ReportSettings,
        Settings,
        StoreSettings,
        WaveSettings,
    )

    return Settings(path=None,
                    limesurvey=LimeSurveySettings(url="http://127.0.0.1:1/rc", username="u"),
                    store=StoreSettings(url=store_url),
                    privacy=PrivacySettings(pseudonym_key=PSEUDONYM_KEY),
                    reports=ReportSettings(out_dir=tmp_path / "reports"),
                    waves=WaveSettings(**waves))


def register_surveys(engine: Any, p_sid: int = P_SID, c_sid: int = C_SID) -> None:
    """What provision leaves in the store: the two active surveys."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from bip_bridge.store import schema

    with engine.begin() as conn:
        for sid, kind in ((p_sid, "participant"), (c_sid, "caseworker")):
            conn.execute(sa.insert(schema.surveys).values(
                sid=sid, kind=kind, template_version="test", structure_hash="0" * 64,
                active=True, provisioned_at=datetime(2026, 1, 1, tzinfo=UTC)))


def roster_bytes(*rows: tuple[str, ...]) -> bytes:
    from bip_bridge.roster import ROSTER_COLUMNS

    return ("\n".join([",".join(ROSTER_COLUMNS), *(",".join(r) for r in rows)]) + "\n").encode()


def dump_store(engine: Any) -> str:
    """Every value of every table of the store, as one text."""
    import sqlalchemy as sa

    from bip_bridge.store import schema

    parts = []
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)



def store_engine(store_url: str) -> Any:
    """Generator for an ``engine`` fixture: the store with both surveys registered,
    disposed afterwards (so no connection outlives its test)."""
    from bip_bridge.store import open_store

    eng = open_store(store_url)
    register_surveys(eng)
    yield eng
    eng.dispose()
