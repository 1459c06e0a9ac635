"""Put the questionnaires into LimeSurvey and keep them matching their templates.

``provision`` is plan-then-act: :func:`plan_provision` is a pure function of what the
templates want, what the store recorded and what the server lists; only
:func:`provision` talks to LimeSurvey and writes the store. It is idempotent (a second
run plans nothing), a new template version becomes a new survey (the older one stays,
``active = False``, for syncing its responses), and a half-made survey is deleted again,
because LimeSurvey's imports are not transactional.

``verify_surveys`` reads each recorded survey's shape back (questions, subquestions,
answer codes, token attributes, languages) and raises :class:`SurveyDrift` naming every
difference; sync calls it before pulling responses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI, attribute_descriptions, php_array
from bip_bridge.errors import LimeSurveyError, NotFound, Problem, SurveyDrift, TemplateError
from bip_bridge.store import schema
from bip_bridge.templates import (
    Questionnaire,
    SurveyStructure,
    TemplateSet,
    compile_lss,
    expected_structure,
    structure_differences,
    structure_fingerprint,
)
from bip_bridge.templates.structure import QuestionShape, normalise_languages
from bip_bridge.templates.types import EQUATION

log = logging.getLogger(__name__)

CREATE, KEEP, ADOPT, MISSING, CONFLICT = "create", "keep", "adopt", "missing", "conflict"
DRIFT_HINT = (
    "Undo the change in LimeSurvey's survey editor, or put the change into the templates "
    "with a new template_version in manifest.yaml and run `bip-bridge provision` (the "
    "current survey is kept for syncing)."
)


# --- what is known -----------------------------------------------------------------


@dataclass(frozen=True)
class RecordedSurvey:
    """A row of the store's ``surveys`` table."""

    sid: int
    kind: str
    template_version: str
    structure_hash: str
    active: bool = True


@dataclass(frozen=True)
class ServerSurvey:
    """An entry of LimeSurvey's ``list_surveys``."""

    sid: int
    title: str
    active: bool


@dataclass(frozen=True)
class Wanted:
    """What one questionnaire of the templates asks for."""

    kind: str
    template_version: str
    fingerprint: str
    title: str  # base-language title, to recognise left-overs
    adopt_sid: int | None = None  # a survey imported by hand, named in the configuration


# --- the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    kind: str
    action: str  # create | keep | adopt | missing | conflict
    template_version: str
    sid: int | None = None
    retire: tuple[int, ...] = ()  # older surveys of this kind that stop getting new waves
    note: str = ""


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        return any(s.action in (CREATE, ADOPT) for s in self.steps)


def plan_provision(wanted: Sequence[Wanted], recorded: Sequence[RecordedSurvey],
                   server: Sequence[ServerSurvey]) -> Plan:
    """Decide, without side effects, what provisioning must do for each questionnaire."""
    on_server = {s.sid: s for s in server}
    known = {r.sid for r in recorded}
    steps: list[Step] = []
    warnings: list[str] = []
    for want in wanted:
        mine = [r for r in recorded if r.kind == want.kind]
        current = next((r for r in mine if r.template_version == want.template_version), None)
        retire = tuple(r.sid for r in mine if r.active and r is not current)
        if current is not None:
            if current.structure_hash != want.fingerprint:
                steps.append(Step(want.kind, CONFLICT, want.template_version, current.sid,
                                  note="template version already provisioned with another "
                                  "structure"))
            elif current.sid not in on_server:
                steps.append(Step(want.kind, MISSING, want.template_version, current.sid))
            else:
                note = "" if on_server[current.sid].active else "not active in LimeSurvey"
                steps.append(Step(want.kind, KEEP, want.template_version, current.sid,
                                  retire=retire, note=note))
            continue
        if want.adopt_sid is not None:
            if want.adopt_sid not in on_server:
                steps.append(Step(want.kind, MISSING, want.template_version, want.adopt_sid,
                                  note="configured in [surveys]"))
            else:
                steps.append(Step(want.kind, ADOPT, want.template_version, want.adopt_sid,
                                  retire=retire))
            continue
        steps.append(Step(want.kind, CREATE, want.template_version, retire=retire))
        for s in server:
            if s.sid not in known and s.title == want.title and s.sid != want.adopt_sid:
                warnings.append(
                    f"LimeSurvey survey {s.sid} has the {want.kind} questionnaire's title but "
                    "is not recorded in the store (left over from an interrupted run, or "
                    "imported by hand?). It is left alone; delete it in LimeSurvey if unused.")
    return Plan(tuple(steps), tuple(warnings))


# --- the report ------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    action: str  # created | adopted | unchanged | would create | would adopt
    sid: int | None
    template_version: str
    retired: tuple[int, ...] = ()
    note: str = ""


@dataclass
class ProvisionReport:
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(o.action in ("created", "adopted", "set the sender of")
                   for o in self.outcomes)

    def lines(self) -> list[str]:
        out: list[str] = []
        for o in self.outcomes:
            sid = f"survey {o.sid}" if o.sid is not None else "a new survey"
            line = f"{o.kind}: {o.action} {sid} (template version {o.template_version})"
            if o.retired:
                verb = "would stop" if self.dry_run else "stopped"
                line += (f"; {verb} sending new waves to "
                         + ", ".join(str(s) for s in o.retired) + " (kept for syncing)")
            if o.note:
                line += f" [{o.note}]"
            out.append(line)
        out += [f"warning: {w}" for w in self.warnings]
        if self.dry_run:
            out.append("Dry run: nothing was changed." if any(
                o.action.startswith("would") for o in self.outcomes)
                else "Dry run: everything is up to date; a real run would change nothing.")
        elif not self.changed:
            out.append("Everything is up to date; nothing was changed.")
        return out


# --- reading the store and the server ---------------------------------------------------


def recorded_surveys(engine: sa.Engine) -> list[RecordedSurvey]:
    t = schema.surveys
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.sid, t.c.kind, t.c.template_version,
                                      t.c.structure_hash, t.c.active).order_by(t.c.sid))
        return [RecordedSurvey(int(r.sid), r.kind, r.template_version, r.structure_hash,
                               bool(r.active)) for r in rows]


def server_surveys(api: LimeSurveyAPI) -> list[ServerSurvey]:
    return [ServerSurvey(int(s["sid"]), str(s.get("surveyls_title") or ""),
                         s.get("active") == "Y") for s in api.list_surveys()]


@dataclass(frozen=True)
class LiveSurvey:
    structure: SurveyStructure
    equations: dict[str, str | None]  # equation question code -> its equation attribute


def live_survey(api: LimeSurveyAPI, sid: int) -> LiveSurvey:
    """Read a survey's shape back from LimeSurvey (one call per parent question)."""
    props = api.get_survey_properties(sid, ["language", "additional_languages",
                                            "attributedescriptions"])
    languages = normalise_languages(str(props.get("language") or ""),
                                    str(props.get("additional_languages") or "").split())
    rows = api.list_questions(sid)
    parents = [r for r in rows if not int(r.get("parent_qid") or 0)]
    subs: dict[int, list[str]] = {}
    for r in rows:
        parent = int(r.get("parent_qid") or 0)
        if parent:
            subs.setdefault(parent, []).append(str(r.get("title")))
    questions: dict[str, QuestionShape] = {}
    equations: dict[str, str | None] = {}
    for p in parents:
        qid = int(p["qid"])
        qprops = api.get_question_properties(qid, ["answeroptions", "attributes"])
        answers = tuple(sorted(php_array(qprops.get("answeroptions"))))
        code = str(p.get("title"))
        questions[code] = QuestionShape(type=str(p.get("type")),
                                        subquestions=tuple(sorted(subs.get(qid, []))),
                                        answers=answers)
        if p.get("type") == "*":
            equation = php_array(qprops.get("attributes")).get("equation")
            equations[code] = None if equation is None else str(equation)
    structure = SurveyStructure(languages=languages, questions=questions,
                                attributes=tuple(attribute_descriptions(
                                    props.get("attributedescriptions")).values()))
    return LiveSurvey(structure, equations)


def survey_differences(q: Questionnaire, live: LiveSurvey) -> list[str]:
    """Every difference between a questionnaire's template and the live survey."""
    out = structure_differences(expected_structure(q), live.structure)
    index = {name: i for i, name in enumerate(q.token_attributes, 1)}
    for question in q.questions_of_type(EQUATION):
        want = f"{{TOKEN:ATTRIBUTE_{index[str(question.attribute)]}}}"
        have = live.equations.get(question.code)
        if question.code in live.equations and have is not None and \
                have.replace(" ", "") != want:
            out.append(f"equation of {question.code} is {have!r}, expected {want!r}")
    return out


def verify_surveys(api: LimeSurveyAPI, engine: sa.Engine, templates: TemplateSet) -> None:
    """Raise :class:`SurveyDrift` naming every way a recorded survey left its template.

    Surveys of the current template version are compared question by question; those
    of older versions by the fingerprint recorded when they were provisioned.
    """
    recorded = recorded_surveys(engine)
    if not recorded:
        return
    on_server = {s.sid for s in server_surveys(api)}
    differences: list[str] = []
    first: int | None = None
    for r in recorded:
        found: list[str]
        if r.sid not in on_server:
            found = ["the survey no longer exists in LimeSurvey"]
        else:
            live = live_survey(api, r.sid)
            if r.template_version == templates.version:
                found = survey_differences(templates.questionnaire(r.kind), live)
            elif live.structure.fingerprint != r.structure_hash:
                found = [f"its structure no longer matches template version "
                         f"{r.template_version} it was provisioned from"]
            else:
                found = []
        if found and first is None:
            first = r.sid
        differences += [f"{r.kind} survey {r.sid}: {d}" for d in found]
    if differences:
        assert first is not None
        raise SurveyDrift("The surveys in LimeSurvey no longer match their templates:",
                          sid=first, differences=differences, hint=DRIFT_HINT)


# --- acting ------------------------------------------------------------------------------


def wanted_surveys(templates: TemplateSet,
                   adopt: Mapping[str, int | None] | None = None) -> list[Wanted]:
    adopt = adopt or {}
    return [Wanted(q.kind, templates.version, structure_fingerprint(q),
                   q.title[q.base_language], adopt.get(q.kind)) for q in templates.questionnaires]


@dataclass(frozen=True)
class Sender:
    """Who LimeSurvey's invitations and reminders come from: the survey's administrator
    name and e-mail address (``[surveys] sender_name``/``sender_email``)."""

    name: str | None = None
    email: str | None = None

    def properties(self) -> dict[str, str]:
        """The survey properties LimeSurvey reads the sender from."""
        wanted: dict[str, str] = {}
        if self.name:
            wanted["admin"] = self.name
        if self.email:
            wanted["adminemail"] = self.email
            wanted["bounce_email"] = self.email
        return wanted


def _sender_changes(api: LimeSurveyAPI, sid: int, sender: Sender) -> dict[str, str]:
    """The sender properties of survey ``sid`` that differ from ``sender``."""
    wanted = sender.properties()
    if not wanted:
        return {}
    have = php_array(api.get_survey_properties(sid, list(wanted)))
    return {k: v for k, v in wanted.items() if str(have.get(k) or "") != v}


def provision(api: LimeSurveyAPI, engine: sa.Engine, templates: TemplateSet, *,
              dry_run: bool = False,
              adopt: Mapping[str, int | None] | None = None,
              sender: Sender | None = None) -> ProvisionReport:
    """Import, set up and record both surveys as needed; see the module docstring.

    ``adopt`` maps a kind to the sid of a survey imported by hand (``[surveys]
    participant_sid``/``caseworker_sid``): it is checked against the template, activated
    if needed and recorded instead of importing a new one. ``sender`` (when given) is
    written into new surveys and set on the ones already in place where it differs.
    """
    sender = sender or Sender()
    plan = plan_provision(wanted_surveys(templates, adopt), recorded_surveys(engine),
                          server_surveys(api))
    _refuse_impossible(plan, templates)
    # Surveys already in place must still match their template before anything else.
    drift: list[str] = []
    for step in plan.steps:
        if step.action == KEEP and step.sid is not None:
            q = templates.questionnaire(step.kind)
            drift += [f"{step.kind} survey {step.sid}: {d}"
                      for d in survey_differences(q, live_survey(api, step.sid))]
    if drift:
        first = next(s.sid for s in plan.steps if s.action == KEEP and s.sid is not None)
        raise SurveyDrift("The surveys in LimeSurvey no longer match their templates:",
                          sid=first, differences=drift, hint=DRIFT_HINT)

    report = ProvisionReport(dry_run=dry_run, warnings=list(plan.warnings))
    for step in plan.steps:
        q = templates.questionnaire(step.kind)
        q = replace(q, admin=sender.name or q.admin, admin_email=sender.email or q.admin_email)
        if step.action == KEEP:
            assert step.sid is not None
            changes = _sender_changes(api, step.sid, sender)
            if changes and not dry_run:
                api.set_survey_properties(step.sid, changes)
                log.info("%s survey %s: sender set (%s)", q.kind, step.sid, ", ".join(changes))
            action = ("unchanged" if not changes
                      else "would set the sender of" if dry_run else "set the sender of")
            report.outcomes.append(Outcome(step.kind, action, step.sid,
                                           step.template_version, note=step.note))
            continue
        if dry_run:
            report.outcomes.append(Outcome(step.kind, f"would {step.action}", step.sid,
                                           step.template_version, retired=step.retire))
            continue
        if step.action == CREATE:
            sid = _create(api, q)
            action = "created"
        else:
            assert step.sid is not None
            sid = _adopt(api, q, step.sid)
            action = "adopted"
        _record(engine, q, sid, step.retire)
        log.info("%s survey %s %s (template version %s)", q.kind, sid, action,
                 step.template_version)
        report.outcomes.append(Outcome(step.kind, action, sid, step.template_version,
                                       retired=step.retire))
    return report


def _refuse_impossible(plan: Plan, templates: TemplateSet) -> None:
    for step in plan.steps:
        if step.action == CONFLICT:
            raise TemplateError(
                f"Template version {step.template_version} was already provisioned "
                f"(the {step.kind} survey {step.sid}) with a different structure.",
                [Problem("manifest.yaml template_version",
                         f"{step.template_version} is already used by survey {step.sid}",
                         "a new version whenever codes, items or scales change")],
                source=templates.directory,
                hint="Raise template_version in manifest.yaml and run `bip-bridge provision` "
                "again; the current survey is kept for syncing.")
        if step.action == MISSING:
            where = step.note or "the store"
            raise NotFound(
                f"The {step.kind} survey {step.sid} (from {where}) does not exist in "
                "LimeSurvey.",
                hint="If it was deleted on purpose, remove its row from the store's surveys "
                "table (or fix [surveys] in the configuration) and run `bip-bridge "
                "provision` again; otherwise check that the configuration points at the "
                "right LimeSurvey.")


def _create(api: LimeSurveyAPI, q: Questionnaire) -> int:
    """Import, check, activate tokens and the survey; delete it again on any failure."""
    content = compile_lss(q)
    title = q.title[q.base_language]
    before = {s.sid for s in server_surveys(api)}
    try:
        sid = api.import_survey(content, file_type="lss")
    except LimeSurveyError as exc:
        left = [s.sid for s in server_surveys(api) if s.sid not in before and s.title == title]
        _delete(api, left)
        exc.hint = _cleanup_note(q.kind, left) + (exc.hint or "Fix the cause and run "
                                                  "`bip-bridge provision` again.")
        raise
    try:
        differences = survey_differences(q, live_survey(api, sid))
        if differences:
            raise SurveyDrift(f"LimeSurvey changed the {q.kind} survey while importing it.",
                              sid=sid, differences=differences,
                              hint=_cleanup_note(q.kind, [sid]) + "Fix the template (the "
                              "validator should have caught this: please report it).")
        api.activate_tokens(sid, list(range(1, len(q.token_attributes) + 1)))
        api.activate_survey(sid)
    except LimeSurveyError as exc:
        _delete(api, [sid])
        if not isinstance(exc, SurveyDrift):
            exc.hint = _cleanup_note(q.kind, [sid]) + (exc.hint or "Fix the cause and run "
                                                       "`bip-bridge provision` again.")
        raise
    return sid


def _adopt(api: LimeSurveyAPI, q: Questionnaire, sid: int) -> int:
    """Check a survey imported by hand against the template; finish its set-up."""
    differences = survey_differences(q, live_survey(api, sid))
    if differences:
        raise SurveyDrift(f"The {q.kind} survey {sid} named in [surveys] does not match the "
                          "template.", sid=sid, differences=differences,
                          hint="Import the .lss written by `bip-bridge templates build` "
                          "unchanged, or remove the sid from [surveys] to let provision "
                          "import it.")
    props = api.get_survey_properties(sid, ["active"])
    if props.get("active") != "Y":
        try:
            api.activate_tokens(sid, list(range(1, len(q.token_attributes) + 1)))
        except LimeSurveyError as exc:  # the admin initialised the participant table already
            if "already exists" not in str(exc):
                raise
        api.activate_survey(sid)
    return sid


def _delete(api: LimeSurveyAPI, sids: Sequence[int]) -> None:
    for sid in sids:
        try:
            api.delete_survey(sid)
            log.warning("deleted the half-made survey %s", sid)
        except LimeSurveyError as exc:  # report, but keep the original error
            log.error("could not delete the half-made survey %s: %s", sid, exc)


def _cleanup_note(kind: str, sids: Sequence[int]) -> str:
    if not sids:
        return "No half-imported survey was left behind; nothing was recorded. "
    listed = ", ".join(str(s) for s in sids)
    return (f"The half-made {kind} survey {listed} was deleted again (LimeSurvey imports are "
            "not transactional); nothing was recorded. ")


def _record(engine: sa.Engine, q: Questionnaire, sid: int, retire: Sequence[int]) -> None:
    t = schema.surveys
    with engine.begin() as conn:
        if retire:
            conn.execute(t.update().where(t.c.sid.in_(list(retire))).values(active=False))
        conn.execute(t.insert().values(
            sid=sid, kind=q.kind, template_version=q.template_version,
            structure_hash=structure_fingerprint(q), active=True,
            provisioned_at=datetime.now(timezone.utc)))
