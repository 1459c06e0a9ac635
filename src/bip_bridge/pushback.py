"""Push-back: the latest indices and last answers, written into LimeSurvey token attributes.

After each sync, every participant's and caseworker's *current-wave* token (the highest
wave per pseudonym and survey in the store's ``tokens`` table) gets:

* ``p_index`` / ``c_index``: the latest participant / caseworker index (at a wave no later
  than the token's), e.g. ``6.4``;
* ``p_change`` / ``c_change``: that index minus the index at the wave right before it,
  e.g. ``+0.8`` (blank when that wave has no index: no interpolation);
* ``prev_<CODE>``: this questionnaire's item scores at the latest wave (no later than the
  token's) at which this respondent answered, e.g. ``7`` (blank for "don't know").

So LimeSurvey's participant list shows progress, and the next questionnaire can show
"last time you answered ..." by piping ``{TOKEN:ATTRIBUTE_n}``.

Decisions are pure (:func:`plan_pushback`); :func:`push_back` does the I/O:

* the attribute names are looked up in each live survey's ``attributedescriptions``
  (one ``get_survey_properties`` per survey); a survey that declares none of them is
  skipped with a warning, not a failure (attributes cannot be added to a live survey);
* LimeSurvey pipes attribute values into pages as raw HTML, so values are HTML-escaped;
* idempotent: ``pushback_state`` keeps a hash of what each token last received, and a
  token whose values did not change is not called at all. RemoteControl has no batch
  update of participant properties (and refuses JSON-RPC batches), so each changed token
  is one ``set_participant_properties`` call; the state row is written right after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI, attribute_descriptions
from bip_bridge.cells import as_number as _number
from bip_bridge.errors import LimeSurveyRejected
from bip_bridge.model import CASEWORKER, PARTICIPANT, MeasurementModel
from bip_bridge.store import schema

log = logging.getLogger(__name__)

INDEX_ATTRIBUTES = ("p_index", "p_change", "c_index", "c_change")
PREV_PREFIX = "prev_"
KIND_RESPONDENT = {"participant": PARTICIPANT, "caseworker": CASEWORKER}


# --- formatting (pure) ----------------------------------------------------------------


def format_index(value: Any) -> str:
    """An index with one decimal ("6.4"); "" when missing."""
    x = _number(value)
    if x is None:
        return ""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def format_change(value: Any) -> str:
    """A signed change with one decimal ("+0.8", "-0.3", "0.0"); "" when missing."""
    x = _number(value)
    if x is None:
        return ""
    text = f"{x:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def format_score(value: Any) -> str:
    """An item score ("7"); "" when missing."""
    x = _number(value)
    if x is None:
        return ""
    return str(int(x)) if x.is_integer() else f"{x:.1f}"


def values_hash(values: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(sorted(values.items())), ensure_ascii=True)
                          .encode("ascii")).hexdigest()


# --- planning (pure) ------------------------------------------------------------------


@dataclass(frozen=True)
class TokenPush:
    """The attribute values one token should hold (``values``: attribute_N -> text)."""

    sid: int
    tid: int
    kind: str
    pseudonym: str
    wave: int
    values: dict[str, str]

    @property
    def values_hash(self) -> str:
        return values_hash(self.values)


@dataclass
class PushbackReport:
    """What a push-back run did (or, with ``dry_run``, would do)."""

    dry_run: bool = False
    pushed: int = 0
    unchanged: int = 0
    failed: int = 0
    planned: list[TokenPush] = field(default_factory=list)
    skipped_surveys: dict[int, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would push" if self.dry_run else "pushed"
        n = len(self.planned) if self.dry_run else self.pushed
        text = f"push-back: {verb} {n} token(s), {self.unchanged} unchanged"
        if self.failed:
            text += f", {self.failed} failed"
        if self.skipped_surveys:
            text += f", {len(self.skipped_surveys)} survey(s) skipped"
        return text


def pushback_names(model: MeasurementModel, kind: str) -> tuple[str, ...]:
    """The attribute names push-back fills for one questionnaire kind."""
    respondent = KIND_RESPONDENT[kind]
    codes = tuple(i.code for i in model.indicators if respondent in i.asked_of)
    return (*INDEX_ATTRIBUTES, *(f"{PREV_PREFIX}{code}" for code in codes))


def current_tokens(tokens: pd.DataFrame) -> pd.DataFrame:
    """The highest-wave token per pseudonym and survey, among those LimeSurvey confirmed."""
    if tokens.empty:
        return tokens
    known = tokens[tokens["tid"].notna()]
    idx = known.groupby(["sid", "pseudonym"])["wave"].idxmax()
    return known.loc[idx].sort_values(["sid", "tid"]).reset_index(drop=True)


@dataclass(frozen=True)
class History:
    """One person's indices by wave and item scores by (respondent, wave), as plain dicts."""

    indices: dict[str, dict[int, float]]  # "p_index"/"c_index" -> wave -> value (present)
    scores: dict[tuple[str, int], dict[str, Any]]  # (respondent, wave) -> indicator -> score


def histories(scores: pd.DataFrame, indices: pd.DataFrame) -> dict[str, History]:
    """Every person's :class:`History`, built in one pass over each frame."""
    out: dict[str, History] = {}

    def of(pseudonym: Any) -> History:
        key = str(pseudonym)
        if key not in out:
            out[key] = History(indices={"p_index": {}, "c_index": {}}, scores={})
        return out[key]

    for column in ("p_index", "c_index"):
        if column not in indices.columns:
            continue
        present = indices[indices[column].notna()]
        for pseudonym, wave, value in zip(present["pseudonym"], present["wave"],
                                          present[column], strict=True):
            of(pseudonym).indices[column][int(wave)] = float(value)
    for pseudonym, respondent, wave, code, score in zip(
            scores["pseudonym"], scores["respondent"], scores["wave"], scores["indicator"],
            scores["score"], strict=True):
        of(pseudonym).scores.setdefault((str(respondent), int(wave)), {})[str(code)] = score
    return out


def history_values(history: History | None, wave: int, kind: str,
                   model: MeasurementModel) -> dict[str, str]:
    """Attribute name -> escaped text for one token of wave ``wave`` (pure)."""
    values: dict[str, str] = {}
    for prefix in ("p", "c"):
        index_text = change_text = ""
        series = history.indices[f"{prefix}_index"] if history else {}
        known = [w for w in series if w <= wave]
        if known:
            latest_wave = max(known)
            latest = series[latest_wave]
            index_text = format_index(latest)
            if latest_wave - 1 in series:
                change_text = format_change(latest - series[latest_wave - 1])
        values[f"{prefix}_index"] = index_text
        values[f"{prefix}_change"] = change_text
    respondent = KIND_RESPONDENT[kind]
    answered = [w for (r, w) in (history.scores if history else {}) if r == respondent
                and w <= wave]
    by_code = history.scores[(respondent, max(answered))] if history and answered else {}
    for name in pushback_names(model, kind):
        if name.startswith(PREV_PREFIX):
            values[name] = format_score(by_code.get(name[len(PREV_PREFIX):]))
    return {name: html.escape(text, quote=True) for name, text in values.items()}


def token_values(
    pseudonym: str,
    wave: int,
    kind: str,
    scores: pd.DataFrame,
    indices: pd.DataFrame,
    model: MeasurementModel,
) -> dict[str, str]:
    """Attribute name -> escaped text for one token (pure; see the module docstring)."""
    mine = histories(scores[scores["pseudonym"] == pseudonym],
                     indices[indices["pseudonym"] == pseudonym])
    return history_values(mine.get(str(pseudonym)), wave, kind, model)


def live_attributes(descriptions: Any) -> dict[str, str]:
    """Attribute name -> ``attribute_N`` from a survey's ``attributedescriptions``."""
    found: dict[str, str] = {}
    for column, name in attribute_descriptions(descriptions).items():
        if name.strip():
            found.setdefault(name.strip(), column)
    return found


def plan_pushback(
    tokens: pd.DataFrame,
    scores: pd.DataFrame,
    indices: pd.DataFrame,
    model: MeasurementModel,
    declared: Mapping[int, Mapping[str, str]],
    state: Mapping[tuple[int, int], str],
) -> tuple[list[TokenPush], int]:
    """The tokens whose attributes must change, and how many are already up to date.

    ``declared``: sid -> (attribute name -> attribute_N) of the surveys to push to;
    ``state``: (sid, tid) -> hash of what was last pushed.
    """
    pushes: list[TokenPush] = []
    unchanged = 0
    records: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in current_tokens(tokens).to_dict("records")
    ]
    people = histories(scores, indices)  # one pass; per token only dict look-ups
    for row in records:
        sid, kind = int(row["sid"]), str(row["kind"])
        if sid not in declared or kind not in KIND_RESPONDENT:
            continue
        columns = declared[sid]
        pseudonym = str(row["pseudonym"])
        named = history_values(people.get(pseudonym), int(row["wave"]), kind, model)
        values = {columns[name]: text for name, text in named.items() if name in columns}
        if not values:
            continue
        push = TokenPush(sid=sid, tid=int(row["tid"]), kind=kind,
                         pseudonym=str(row["pseudonym"]), wave=int(row["wave"]), values=values)
        if state.get((push.sid, push.tid)) == push.values_hash:
            unchanged += 1
        else:
            pushes.append(push)
    return pushes, unchanged


# --- effects --------------------------------------------------------------------------


def load_tokens(engine: sa.Engine) -> pd.DataFrame:
    tk = schema.tokens
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tk.c.sid, tk.c.pseudonym, tk.c.wave, tk.c.kind, tk.c.tid))
        return pd.DataFrame([tuple(r) for r in rows],
                            columns=["sid", "pseudonym", "wave", "kind", "tid"])


def load_state(engine: sa.Engine) -> dict[tuple[int, int], str]:
    ps = schema.pushback_state
    with engine.connect() as conn:
        rows = conn.execute(sa.select(ps.c.sid, ps.c.tid, ps.c.values_hash))
        return {(int(sid), int(tid)): str(h) for sid, tid, h in rows}


def save_state(engine: sa.Engine, push: TokenPush, *, now: dt.datetime) -> None:
    ps = schema.pushback_state
    with engine.begin() as conn:
        conn.execute(sa.delete(ps).where(ps.c.sid == push.sid, ps.c.tid == push.tid))
        conn.execute(sa.insert(ps).values(sid=push.sid, tid=push.tid,
                                          values_hash=push.values_hash, pushed_at=now))


def declared_attributes(
    api: LimeSurveyAPI, surveys: Iterable[tuple[int, str]], model: MeasurementModel,
    report: PushbackReport,
) -> dict[int, dict[str, str]]:
    """sid -> (name -> attribute_N) for the push-back names each live survey declares."""
    declared: dict[int, dict[str, str]] = {}
    for sid, kind in surveys:
        wanted = pushback_names(model, kind)
        props = api.get_survey_properties(sid, ["attributedescriptions"])
        live = live_attributes(props.get("attributedescriptions"))
        present = {name: live[name] for name in wanted if name in live}
        missing = [name for name in wanted if name not in live]
        if not present:
            reason = (f"survey {sid} ({kind}) declares none of the push-back attributes "
                      f"({', '.join(wanted[:4])}, ...); skipped. Attributes can only be "
                      "declared before activation: provision a new template version to "
                      "get them.")
            report.skipped_surveys[sid] = reason
            report.warnings.append(reason)
            log.warning("%s", reason)
            continue
        if missing:
            note = (f"survey {sid} ({kind}) lacks the attributes {', '.join(missing)}; "
                    "pushing the others.")
            report.warnings.append(note)
            log.warning("%s", note)
        declared[sid] = present
    return declared


def push_back(
    api: LimeSurveyAPI,
    engine: sa.Engine,
    templates: Any,
    *,
    dry_run: bool = False,
    result: Any = None,
    min_cell: int = 5,
    now: dt.datetime | None = None,
) -> PushbackReport:
    """Write the latest indices and last answers to the current-wave tokens.

    ``result`` reuses metrics the caller already computed (else they are computed from
    the store); ``dry_run`` reads the surveys' attribute declarations but writes nothing.
    A token LimeSurvey refuses is counted in ``failed`` and retried on the next run.
    """
    model: MeasurementModel = templates.model
    report = PushbackReport(dry_run=dry_run)
    tokens = load_tokens(engine)
    if tokens.empty or tokens["tid"].notna().sum() == 0:
        return report
    if result is None:
        from bip_bridge.reports.build import compute_from_store

        result = compute_from_store(engine, model, min_cell=min_cell)
    known = tokens[tokens["tid"].notna()]
    surveys = sorted({(int(s), str(k)) for s, k in zip(known["sid"], known["kind"], strict=True)
                      if str(k) in KIND_RESPONDENT})
    declared = declared_attributes(api, surveys, model, report)
    pushes, report.unchanged = plan_pushback(tokens, result.scores, result.indices, model,
                                             declared, load_state(engine))
    report.planned = pushes
    if dry_run:
        return report
    stamp = now or dt.datetime.now(dt.timezone.utc)
    for push in pushes:
        try:
            api.set_participant_properties(push.sid, push.tid, push.values)
        except LimeSurveyRejected as exc:
            report.failed += 1
            note = f"survey {push.sid} token {push.tid}: {exc}"
            report.warnings.append(note)
            log.warning("push-back failed for %s", note)
            continue
        save_state(engine, push, now=stamp)
        report.pushed += 1
    return report
