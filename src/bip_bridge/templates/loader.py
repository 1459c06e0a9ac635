"""Read ``survey_templates/`` (manifest + one YAML file per questionnaire), check every
rule LimeSurvey would otherwise break silently, and build the :class:`TemplateSet`.

Validation collects *every* problem (file, path in the file, what, expected) and raises
one :class:`~bip_bridge.errors.TemplateError`, so an editor fixes a template in one go.
LimeSurvey renames or drops invalid codes without a warning over RPC, and aborts an
import half-way on long ones, so nothing invalid may reach the compiler.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bip_bridge.errors import Problem, TemplateError
from bip_bridge.model import BeliefCategory, Indicator, MeasurementModel
from bip_bridge.templates.types import (
    BASE_ATTRIBUTES,
    CASEWORKER,
    EQUATION,
    GAP_WEEKS,
    INDICATORS,
    INTERVENTIONS,
    KIND_LETTER,
    KINDS,
    PARTICIPANT,
    PREVIOUS_PREFIX,
    PUSHBACK_ATTRIBUTES,
    QUESTION_TYPES,
    STATUS,
    AnswerOption,
    Group,
    Item,
    Question,
    Questionnaire,
    Scale,
    TemplateSet,
    Texts,
)

MANIFEST = "manifest.yaml"
PACKAGED_DIR = "_survey_templates"  # pyproject force-includes survey_templates/ here

QUESTION_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
SUBQUESTION_CODE = re.compile(r"^[A-Za-z0-9]+$")
ANSWER_CODE = re.compile(r"^[A-Za-z0-9]{1,5}$")
MAX_CODE = 20
MAX_VERSION = 32  # store column surveys.template_version
TOKEN_FIELDS = {"FIRSTNAME", "LASTNAME", "EMAIL", "TOKEN", "LANGUAGE"}
MANDATORY = {"yes": "Y", "no": "N", "soft": "S"}
_TOKEN_REF = re.compile(r"TOKEN:([A-Za-z0-9_]+)")
_MAIL_ATTR_REF = re.compile(r"\{(ATTRIBUTE_\d+)\}")
_BRACED_TOKEN = re.compile(r"\{\s*TOKEN:")
_CODE_EXPECTED = "a letter, then letters or digits, at most 20 characters (e.g. JOBTRO)"


def default_template_dir() -> Path:
    """The templates shipped with bip-bridge: the wheel's package resource, or the
    repository's ``survey_templates/`` in an editable install."""
    packaged = resources.files("bip_bridge").joinpath(PACKAGED_DIR)
    if packaged.is_dir():
        return Path(str(packaged))
    repo = Path(__file__).resolve().parents[3] / "survey_templates"
    return repo


def load_templates(template_dir: Path | None = None) -> TemplateSet:
    """Load and validate the templates in ``template_dir`` (None: the shipped ones)."""
    directory = Path(template_dir) if template_dir is not None else default_template_dir()
    return _Loader(directory).load()


class _Loader:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = ()

    # --- problems ---------------------------------------------------------------
    def problem(self, where: str, what: str, expected: str = "") -> None:
        self.problems.append(Problem(where, what, expected))

    def fail_if_problems(self) -> None:
        if self.problems:
            raise TemplateError(
                f"The survey templates in {self.dir} have {len(self.problems)} problem(s):",
                self.problems,
                source=str(self.dir),
                hint="Fix each line above (file: path in the file) and run "
                "`bip-bridge templates validate` again. docs/templates.md describes the format.",
            )

    # --- reading ----------------------------------------------------------------
    def read_yaml(self, name: str) -> Mapping[str, Any] | None:
        path = self.dir / name
        if not path.is_file():
            self.problem(name, f"file not found in {self.dir}",
                         "the file named in manifest.yaml" if name != MANIFEST
                         else "a template folder holding manifest.yaml")
            return None
        try:
            data = _safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{name} line {mark.line + 1}" if mark is not None else name
            self.problem(where, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                         "valid YAML (check indentation and quotes)")
            return None
        except UnicodeDecodeError:
            self.problem(name, "not UTF-8 text", "a file saved as UTF-8")
            return None
        if not isinstance(data, Mapping):
            self.problem(name, "the file is not a mapping of keys", "key: value lines")
            return None
        return data

    def texts(self, data: Any, where: str, *, required: bool = True) -> Texts:
        """A mapping language -> non-empty text, with every template language."""
        if data is None:
            if required:
                self.problem(where, "missing",
                             f"a text in each language: {', '.join(self.languages)}")
            return {}
        if not isinstance(data, Mapping):
            self.problem(where, f"{data!r} is not a mapping of language to text",
                         f"{{{', '.join(f'{lang}: ...' for lang in self.languages)}}}")
            return {}
        out: Texts = {}
        for lang in self.languages:
            value = data.get(lang)
            if value is None or (isinstance(value, str) and not value.strip()):
                self.problem(f"{where}.{lang}", f"the {lang} text is missing",
                             "a non-empty text in every language")
            elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
                self.problem(f"{where}.{lang}", f"{value!r} is not text", "a text")
            else:
                out[lang] = str(value)
        for lang in data:
            if lang not in self.languages:
                self.problem(f"{where}.{lang}", f"language {lang!r} is not in the manifest",
                             f"one of {', '.join(self.languages)}")
        return out

    def mapping(self, data: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.problem(where, "missing" if data is None else f"{data!r} is not a mapping",
                         "a mapping of keys")
            return {}
        return data

    def seq(self, data: Any, where: str) -> list[Any]:
        if not isinstance(data, list):
            self.problem(where, "missing" if data is None else f"{data!r} is not a list",
                         "a list")
            return []
        return data

    def integer(self, data: Any, where: str, expected: str) -> int | None:
        if isinstance(data, bool) or not isinstance(data, int):
            self.problem(where, "missing" if data is None else f"{data!r} is not a whole number",
                         expected)
            return None
        return data

    def code(self, value: Any, where: str, *, pattern: re.Pattern[str], max_len: int,
             expected: str) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            what = "missing code" if value in (None, "") else f"{value!r} is not a code"
            self.problem(where, what, expected)
            return None
        if len(value) > max_len:
            self.problem(where, f"code {value!r} is {len(value)} characters long", expected)
            return None
        if not pattern.match(value):
            self.problem(where, f"code {value!r} has characters LimeSurvey does not allow",
                         expected)
            return None
        return value

    def unique(self, codes: list[tuple[str, str]], what: str) -> None:
        """(code, where) pairs must be unique ignoring case (LimeSurvey compares so)."""
        seen: dict[str, str] = {}
        for code, where in codes:
            key = code.lower()
            if key in seen:
                self.problem(where, f"duplicate {what} {code!r} (already at {seen[key]}; "
                             "LimeSurvey ignores case)", f"a unique {what}")
            else:
                seen[key] = where

    def check_references(self, text: str, where: str, attributes: tuple[str, ...], *,
                         relevance: bool = False) -> None:
        """TOKEN:ATTRIBUTE_N must name a declared attribute; relevance must not use braces."""
        if relevance and _BRACED_TOKEN.search(text):
            self.problem(where, f"{text!r} puts braces around TOKEN:...; LimeSurvey accepts "
                         "it silently and the condition does nothing",
                         "no braces, e.g. TOKEN:ATTRIBUTE_2 > 0")
        for match in _TOKEN_REF.finditer(text):
            self._check_attribute_name(match.group(1), where, attributes, text)
        if not relevance:
            for match in _MAIL_ATTR_REF.finditer(text):
                self._check_attribute_name(match.group(1), where, attributes, text)

    def _check_attribute_name(self, name: str, where: str, attributes: tuple[str, ...],
                              text: str) -> None:
        upper = name.upper()
        if upper in TOKEN_FIELDS:
            return
        m = re.fullmatch(r"ATTRIBUTE_(\d+)", upper)
        if m and 1 <= int(m.group(1)) <= len(attributes):
            return
        declared = ", ".join(f"ATTRIBUTE_{i} ({a})" for i, a in enumerate(attributes, 1)
                             if i <= 3)
        self.problem(where, f"{text!r} names the unknown attribute {name}",
                     f"one of the declared attributes, e.g. {declared}, or "
                     f"{', '.join(sorted(TOKEN_FIELDS))}")

    # --- manifest ---------------------------------------------------------------
    def load(self) -> TemplateSet:
        manifest = self.read_yaml(MANIFEST)
        if manifest is None:
            self.fail_if_problems()
        assert manifest is not None
        m = MANIFEST

        version = manifest.get("template_version")
        if isinstance(version, (int, float)) and not isinstance(version, bool):
            version = str(version)
        if not isinstance(version, str) or not version.strip():
            self.problem(f"{m} template_version", "missing", 'a version string, e.g. "1.0.0"')
            version = ""
        elif len(version) > MAX_VERSION or not re.fullmatch(r"[A-Za-z0-9._+-]+", version):
            self.problem(f"{m} template_version", f"{version!r} is not a short version string",
                         f"at most {MAX_VERSION} letters, digits, '.', '-', '_' or '+'")

        langs = manifest.get("languages")
        base = manifest.get("base_language")
        if not isinstance(langs, list) or not langs or not all(
            isinstance(x, str) and re.fullmatch(r"[a-z]{2}(-[A-Za-z]+)?", x) for x in langs
        ):
            self.problem(f"{m} languages", f"{langs!r} is not a list of language codes",
                         "e.g. [sv, da, en]")
            langs = ["sv"]
        if len(set(langs)) != len(langs):
            self.problem(f"{m} languages", "a language is listed twice", "each language once")
        if base not in langs:
            self.problem(f"{m} base_language", f"{base!r} is not one of the languages",
                         f"one of {', '.join(langs)}")
            base = langs[0]
        self.languages = (str(base), *[str(x) for x in langs if x != base])

        indicators = self.load_indicators(manifest.get("indicators"))
        scales = self.load_scales(manifest.get("scales"))
        captions_raw = self.mapping(manifest.get("attribute_captions"), f"{m} attribute_captions")

        files = self.mapping(manifest.get("questionnaires"), f"{m} questionnaires")
        questionnaires: dict[str, Questionnaire | None] = {}
        for kind in KINDS:
            name = files.get(kind)
            if not isinstance(name, str) or not name:
                self.problem(f"{m} questionnaires.{kind}", "missing",
                             f"the file name of the {kind} questionnaire, e.g. {kind}.yaml")
                questionnaires[kind] = None
                continue
            questionnaires[kind] = self.load_questionnaire(
                kind, name, str(version), indicators, scales, captions_raw)
        for kind in files:
            if kind not in KINDS:
                self.problem(f"{m} questionnaires.{kind}", "unknown questionnaire",
                             "participant and caseworker")

        model = self.build_model(manifest, str(version), indicators, scales, questionnaires)
        self.fail_if_problems()
        p, c = questionnaires[PARTICIPANT], questionnaires[CASEWORKER]
        assert p is not None and c is not None and model is not None
        return TemplateSet(version=str(version), directory=str(self.dir), model=model,
                           participant=p, caseworker=c, scales=scales)

    def load_indicators(self, data: Any) -> list[Indicator]:
        out: list[Indicator] = []
        codes: list[tuple[str, str]] = []
        items = self.seq(data, f"{MANIFEST} indicators")
        if data is not None and not items:
            self.problem(f"{MANIFEST} indicators", "no indicators", "at least one indicator")
        for i, raw in enumerate(items):
            where = f"{MANIFEST} indicators[{i}]"
            raw = self.mapping(raw, where)
            code = self.code(raw.get("code"), f"{where}.code", pattern=SUBQUESTION_CODE,
                             max_len=MAX_CODE, expected=_CODE_EXPECTED)
            labels = self.texts(raw.get("labels"), f"{where}.labels")
            asked = raw.get("asked_of")
            if not isinstance(asked, list) or not set(asked) <= {"P", "C"}:
                self.problem(f"{where}.asked_of", f"{asked!r} is not a list of P and/or C",
                             "[P, C], [P] or [C]")
                asked = []
            if code:
                codes.append((code, f"{where}.code"))
                out.append(Indicator(code=code, labels=labels, asked_of=frozenset(asked)))
        self.unique(codes, "indicator code")
        return out

    def load_scales(self, data: Any) -> dict[str, Scale]:
        out: dict[str, Scale] = {}
        for name, raw in self.mapping(data, f"{MANIFEST} scales").items():
            where = f"{MANIFEST} scales.{name}"
            raw = self.mapping(raw, where)
            answers_raw = raw.get("answers")
            if not isinstance(answers_raw, list) or not answers_raw:
                self.problem(f"{where}.answers", "the scale has no answers with labels",
                             "a list of {code: ..., labels: {sv: ..., da: ..., en: ...}}")
                answers_raw = []
            answers: list[AnswerOption] = []
            codes: list[tuple[str, str]] = []
            for i, a in enumerate(answers_raw):
                aw = f"{where}.answers[{i}]"
                a = self.mapping(a, aw)
                code = self.code(a.get("code"), f"{aw}.code", pattern=ANSWER_CODE, max_len=5,
                                 expected="1 to 5 letters or digits")
                labels = self.texts(a.get("labels"), f"{aw}.labels")
                if code:
                    codes.append((code, f"{aw}.code"))
                    answers.append(AnswerOption(code, labels))
            self.unique(codes, "answer code")
            missing = raw.get("missing_code")
            if missing is not None:
                missing = str(missing)
                if missing not in {a.code for a in answers}:
                    self.problem(f"{where}.missing_code", f"{missing!r} is not one of the answers",
                                 "the code of the don't-know answer, e.g. 99")
            out[str(name)] = Scale(str(name), tuple(answers), missing)
        return out

    # --- questionnaires ---------------------------------------------------------
    def load_questionnaire(self, kind: str, name: str, version: str,
                           indicators: list[Indicator], scales: dict[str, Scale],
                           captions_raw: Mapping[str, Any]) -> Questionnaire | None:
        data = self.read_yaml(name)
        if data is None:
            return None
        if data.get("kind") != kind:
            self.problem(f"{name} kind", f"{data.get('kind')!r} does not match the manifest",
                         kind)
        groups_raw = self.seq(data.get("groups"), f"{name} groups")
        if data.get("groups") is not None and not groups_raw:
            self.problem(f"{name} groups", "no question groups", "at least one group")

        # The indicator items decide the prev_<CODE> attributes; find them first.
        item_codes: list[str] = []
        for g in groups_raw:
            for q in (g.get("questions") or []) if isinstance(g, Mapping) else []:
                if isinstance(q, Mapping) and q.get("type") == INDICATORS:
                    item_codes += [str(i.get("code")) for i in (q.get("items") or [])
                                   if isinstance(i, Mapping) and i.get("code")]
        attributes = (*BASE_ATTRIBUTES, *PUSHBACK_ATTRIBUTES,
                      *(f"{PREVIOUS_PREFIX}{c}" for c in item_codes))
        captions = self.attribute_captions(captions_raw, attributes, indicators)

        texts = {key: self.texts(data.get(key), f"{name} {key}")
                 for key in ("title", "description", "welcome", "end")}
        for key in ("welcome", "description", "end"):
            for lang, text in texts[key].items():
                self.check_references(text, f"{name} {key}.{lang}", attributes)

        emails: dict[str, dict[str, Texts]] = {}
        mails = self.mapping(data.get("emails"), f"{name} emails")
        for mail in ("invite", "remind"):
            raw = self.mapping(mails.get(mail), f"{name} emails.{mail}")
            emails[mail] = {part: self.texts(raw.get(part), f"{name} emails.{mail}.{part}")
                            for part in ("subject", "body")}
            for part, by_lang in emails[mail].items():
                for lang, text in by_lang.items():
                    self.check_references(text, f"{name} emails.{mail}.{part}.{lang}", attributes)

        options = data.get("options") or {}
        options = self.mapping(options, f"{name} options")
        use_dropdown = options.get("use_dropdown", False)
        if not isinstance(use_dropdown, bool):
            self.problem(f"{name} options.use_dropdown", f"{use_dropdown!r} is not true/false",
                         "true or false")
            use_dropdown = False
        previous: Texts = {}
        if options.get("previous_answer") is not None:
            previous = self.texts(options.get("previous_answer"), f"{name} options.previous_answer")
            for lang, text in previous.items():
                if "{value}" not in text or '"' in text:
                    self.problem(f"{name} options.previous_answer.{lang}",
                                 f"{text!r} needs {{value}} and no double quotes",
                                 'e.g. " (last time: {value})"')

        groups: list[Group] = []
        question_codes: list[tuple[str, str]] = []
        for gi, g in enumerate(groups_raw):
            gw = f"{name} groups[{gi}]"
            g = self.mapping(g, gw)
            relevance = self.relevance(g.get("relevance"), f"{gw}.relevance", attributes)
            questions: list[Question] = []
            qs_raw = self.seq(g.get("questions"), f"{gw}.questions")
            for qi, q in enumerate(qs_raw):
                qw = f"{gw}.questions[{qi}]"
                question = self.load_question(self.mapping(q, qw), qw, kind, indicators,
                                              scales, attributes)
                if question is not None:
                    question_codes.append((question.code, f"{qw}.code"))
                    questions.append(question)
            groups.append(Group(name=self.texts(g.get("name"), f"{gw}.name"),
                                description=self.texts(g.get("description"), f"{gw}.description",
                                                       required=False),
                                questions=tuple(questions), relevance=relevance))
        self.unique(question_codes, "question code")
        self.check_roles(name, kind, groups, indicators)

        return Questionnaire(
            kind=kind, source=name, template_version=version,
            base_language=self.languages[0], languages=self.languages,
            title=texts["title"], description=texts["description"], welcome=texts["welcome"],
            end=texts["end"], groups=tuple(groups), emails=emails,
            token_attributes=attributes, attribute_captions=captions,
            use_dropdown=use_dropdown, previous_answer=previous,
            admin=str(data.get("admin") or ""), admin_email=str(data.get("admin_email") or ""),
        )

    def attribute_captions(self, raw: Mapping[str, Any], attributes: tuple[str, ...],
                           indicators: list[Indicator]) -> dict[str, Texts]:
        where = f"{MANIFEST} attribute_captions"
        out: dict[str, Texts] = {}
        fixed = {name: self.texts(raw.get(name), f"{where}.{name}")
                 for name in (*BASE_ATTRIBUTES, *PUSHBACK_ATTRIBUTES)} if raw else {}
        prev = self.texts(raw.get("prev"), f"{where}.prev") if raw else {}
        for lang, text in prev.items():
            if "{label}" not in text:
                self.problem(f"{where}.prev.{lang}", f"{text!r} has no {{label}}",
                             'e.g. "Previous answer: {label}"')
        labels = {i.code: i.labels for i in indicators}
        for name in attributes:
            if name in fixed:
                out[name] = fixed[name]
            else:
                code = name[len(PREVIOUS_PREFIX):]
                out[name] = {lang: text.replace("{label}", labels.get(code, {}).get(lang, code))
                             for lang, text in prev.items()}
        return out

    def relevance(self, value: Any, where: str, attributes: tuple[str, ...]) -> str:
        if value is None:
            return "1"
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.problem(where, f"{value!r} is not an expression", "e.g. TOKEN:ATTRIBUTE_2 > 0")
            return "1"
        text = str(value).strip() or "1"
        self.check_references(text, where, attributes, relevance=True)
        return text

    def load_question(self, raw: Mapping[str, Any], where: str, kind: str,
                      indicators: list[Indicator], scales: dict[str, Scale],
                      attributes: tuple[str, ...]) -> Question | None:
        code = self.code(raw.get("code"), f"{where}.code", pattern=QUESTION_CODE,
                         max_len=MAX_CODE, expected=_CODE_EXPECTED)
        qtype = raw.get("type")
        if qtype not in QUESTION_TYPES:
            self.problem(f"{where}.type", f"unknown question type {qtype!r}",
                         f"one of {', '.join(QUESTION_TYPES)}")
            return None
        text = self.texts(raw.get("text"), f"{where}.text")
        help_ = self.texts(raw.get("help"), f"{where}.help", required=False)
        for lang, t in (*text.items(), *help_.items()):
            self.check_references(t, f"{where}.text.{lang}", attributes)
        relevance = self.relevance(raw.get("relevance"), f"{where}.relevance", attributes)
        mandatory_raw = raw.get("mandatory", "no")
        mandatory = MANDATORY.get(str(mandatory_raw).lower()) if not isinstance(
            mandatory_raw, bool) else ("Y" if mandatory_raw else "N")
        if mandatory is None:
            self.problem(f"{where}.mandatory", f"{mandatory_raw!r} is not a choice",
                         "yes, no or soft (a warning the respondent may skip)")
            mandatory = "N"

        attribute = None
        scale = None
        items: tuple[Item, ...] = ()
        minimum = maximum = None
        if qtype == EQUATION:
            attribute = raw.get("attribute")
            if attribute not in attributes:
                self.problem(f"{where}.attribute", f"unknown attribute {attribute!r}",
                             f"one of {', '.join(BASE_ATTRIBUTES)}")
            mandatory = "N"
        if qtype in (INDICATORS, INTERVENTIONS, STATUS):
            scale_name = raw.get("scale")
            scale = scales.get(str(scale_name))
            if scale is None:
                self.problem(f"{where}.scale", f"unknown scale {scale_name!r}",
                             f"one of the manifest's scales: {', '.join(scales) or '(none)'}")
        if qtype in (INDICATORS, INTERVENTIONS):
            items = self.load_items(raw.get("items"), f"{where}.items", attributes)
            if qtype == INDICATORS:
                known = {i.code: i for i in indicators}
                for i, item in enumerate(items):
                    ind = known.get(item.code)
                    if ind is None:
                        self.problem(f"{where}.items[{i}].code",
                                     f"{item.code!r} is not an indicator of the manifest",
                                     f"one of {', '.join(known)}")
                    elif KIND_LETTER[kind] not in ind.asked_of:
                        self.problem(f"{where}.items[{i}].code",
                                     f"indicator {item.code} is not asked of the {kind}",
                                     f"add {KIND_LETTER[kind]} to its asked_of, or remove the item")
        if qtype == GAP_WEEKS:
            minimum = self.integer(raw.get("minimum"), f"{where}.minimum", "a whole number")
            maximum = self.integer(raw.get("maximum"), f"{where}.maximum", "a whole number")
            if minimum is not None and maximum is not None and minimum > maximum:
                self.problem(f"{where}.maximum", f"{maximum} is below the minimum {minimum}",
                             "maximum >= minimum")
        # An invalid code is already reported; keep the question so that the checks of
        # the questionnaire's shape do not add follow-on problems.
        return Question(code=code or str(raw.get("code") or "?"), type=qtype, text=text,
                        help=help_, relevance=relevance, mandatory=mandatory,
                        attribute=attribute, scale=scale, items=items, minimum=minimum,
                        maximum=maximum)

    def load_items(self, data: Any, where: str, attributes: tuple[str, ...]) -> tuple[Item, ...]:
        raw_items = self.seq(data, where)
        if data is not None and not raw_items:
            self.problem(where, "no items", "at least one item")
        items: list[Item] = []
        codes: list[tuple[str, str]] = []
        for i, raw in enumerate(raw_items):
            iw = f"{where}[{i}]"
            raw = self.mapping(raw, iw)
            code = self.code(raw.get("code"), f"{iw}.code", pattern=SUBQUESTION_CODE,
                             max_len=MAX_CODE, expected=_CODE_EXPECTED)
            text = self.texts(raw.get("text"), f"{iw}.text")
            for lang, t in text.items():
                self.check_references(t, f"{iw}.text.{lang}", attributes)
            if code:
                codes.append((code, f"{iw}.code"))
                items.append(Item(code, text))
        self.unique(codes, "subquestion code")
        return tuple(items)

    def check_roles(self, name: str, kind: str, groups: list[Group],
                    indicators: list[Indicator]) -> None:
        """The questions the measurement model needs are there, once each."""
        questions = [q for g in groups for q in g.questions]
        by_type: dict[str, list[Question]] = {}
        for q in questions:
            by_type.setdefault(q.type, []).append(q)
        for attribute in BASE_ATTRIBUTES:
            if not any(q.attribute == attribute for q in by_type.get(EQUATION, [])):
                self.problem(f"{name} groups", f"no equation question copies the {attribute} "
                             "attribute into the response",
                             f"a question with type: equation, attribute: {attribute}")
        required = [INDICATORS, STATUS] + ([INTERVENTIONS, GAP_WEEKS] if kind == CASEWORKER else [])
        for qtype in required:
            found = by_type.get(qtype, [])
            if len(found) != 1:
                self.problem(f"{name} groups", f"{len(found)} questions of type {qtype}",
                             f"exactly one question of type {qtype}")
        letter = KIND_LETTER[kind]
        asked = [q for q in by_type.get(INDICATORS, [])]
        item_codes = {item.code for q in asked for item in q.items}
        if asked:
            for ind in indicators:
                if letter in ind.asked_of and ind.code not in item_codes:
                    self.problem(f"{name} groups", f"indicator {ind.code} has no item in the "
                                 f"{kind} questionnaire", f"an item with code {ind.code}, or "
                                 f"remove {letter} from its asked_of in {MANIFEST}")

    # --- model ------------------------------------------------------------------
    def build_model(self, manifest: Mapping[str, Any], version: str,
                    indicators: list[Indicator], scales: dict[str, Scale],
                    qs: dict[str, Questionnaire | None]) -> MeasurementModel | None:
        m = MANIFEST
        p, c = qs.get(PARTICIPANT), qs.get(CASEWORKER)
        for ind in indicators:
            if not ind.asked_of:
                self.problem(f"{m} indicators {ind.code}", "the indicator has no items",
                             "asked_of [P], [C] or [P, C] and an item in that questionnaire")

        belief = self.mapping(manifest.get("belief"), f"{m} belief")
        belief_code = belief.get("indicator")
        known = {i.code: i for i in indicators}
        if belief_code not in known:
            self.problem(f"{m} belief.indicator", f"{belief_code!r} is not an indicator",
                         "the caseworker's belief indicator, e.g. HLTRO")
        elif "C" not in known[belief_code].asked_of:
            self.problem(f"{m} belief.indicator", f"{belief_code} is not asked of the caseworker",
                         "an indicator with C in asked_of")
        categories: list[BeliefCategory] = []
        for i, raw in enumerate(self.seq(belief.get("categories"), f"{m} belief.categories")):
            where = f"{m} belief.categories[{i}]"
            raw = self.mapping(raw, where)
            low = self.integer(raw.get("low"), f"{where}.low", "a whole number on the scale")
            high = self.integer(raw.get("high"), f"{where}.high", "a whole number on the scale")
            cat_name = raw.get("name")
            if not isinstance(cat_name, str) or not cat_name:
                self.problem(f"{where}.name", "missing", "e.g. low")
                cat_name = ""
            labels = self.texts(raw.get("labels"), f"{where}.labels", required=False)
            if low is not None and high is not None:
                if low > high:
                    self.problem(f"{where}.high", f"{high} is below low {low}", "high >= low")
                categories.append(BeliefCategory(cat_name, low, high, labels))

        index = self.mapping(manifest.get("index"), f"{m} index")
        p_min = self.integer(index.get("participant_min_answers"),
                             f"{m} index.participant_min_answers", "a whole number >= 1")
        c_min = self.integer(index.get("caseworker_min_answers"),
                             f"{m} index.caseworker_min_answers", "a whole number >= 1")

        scale = scales.get("indicator")
        scale_min = scale_max = missing = 0
        if scale is None:
            self.problem(f"{m} scales", "no scale named indicator",
                         "scales.indicator with answers 1..10 and missing_code 99")
        else:
            if scale.missing_code is None:
                self.problem(f"{m} scales.indicator.missing_code", "missing",
                             "the don't-know answer code, e.g. 99")
            numbers = [a.code for a in scale.answers if a.code != scale.missing_code]
            if not all(x.isdigit() for x in [*numbers, scale.missing_code or "0"]):
                self.problem(f"{m} scales.indicator.answers", "the indicator scale has "
                             "non-numeric codes", "whole-number codes, e.g. 1..10 and 99")
            elif numbers:
                values = sorted(int(x) for x in numbers)
                if values != list(range(values[0], values[-1] + 1)):
                    self.problem(f"{m} scales.indicator.answers", f"codes {values} have gaps",
                                 "consecutive whole numbers, e.g. 1..10")
                scale_min, scale_max = values[0], values[-1]
                missing = int(scale.missing_code or 0)
        if p_min is not None and p is not None and p.questions_of_type(INDICATORS):
            n = len([i for i in p.indicator_question.items if i.code != belief_code])
            if not 1 <= p_min <= n:
                self.problem(f"{m} index.participant_min_answers", f"{p_min} is not within 1..{n}",
                             f"a whole number from 1 to {n} (the participant items)")
        if c_min is not None and c is not None and c.questions_of_type(INDICATORS):
            n = len([i for i in c.indicator_question.items if i.code != belief_code])
            if not 1 <= c_min <= n:
                self.problem(f"{m} index.caseworker_min_answers", f"{c_min} is not within 1..{n}",
                             f"a whole number from 1 to {n} (the caseworker items)")

        if p is None or c is None or self.problems:
            return None
        # Codes the model holds once must be the same in both questionnaires.
        def equation_code(q: Questionnaire, attribute: str) -> str:
            return next(x.code for x in q.questions_of_type(EQUATION) if x.attribute == attribute)

        for attribute in BASE_ATTRIBUTES:
            if equation_code(p, attribute) != equation_code(c, attribute):
                self.problem(f"{c.source} groups",
                             f"the {attribute} question is {equation_code(c, attribute)} here "
                             f"but {equation_code(p, attribute)} in {p.source}",
                             "the same code in both questionnaires")
        p_status, c_status = p.questions_of_type(STATUS)[0], c.questions_of_type(STATUS)[0]
        if p_status.code != c_status.code:
            self.problem(f"{c.source} groups", f"the status question is {c_status.code} here but "
                         f"{p_status.code} in {p.source}", "the same code in both questionnaires")
        if p_status.scale != c_status.scale:
            self.problem(f"{c.source} groups", "the status questions use different scales",
                         "the same scale in both questionnaires")
        interventions = c.questions_of_type(INTERVENTIONS)[0]
        status_codes = p_status.scale.codes if p_status.scale else ()
        job = self.mapping(manifest.get("interventions"), f"{m} interventions").get("job")
        if job not in {i.code for i in interventions.items}:
            self.problem(f"{m} interventions.job", f"{job!r} is not an item of "
                         f"{interventions.code}", "the code of the job-oriented category")
        wos = self.mapping(manifest.get("status"), f"{m} status").get("work_or_study")
        if not isinstance(wos, list) or not set(wos) <= set(status_codes) or not wos:
            self.problem(f"{m} status.work_or_study", f"{wos!r} is not a list of status codes",
                         f"some of {', '.join(status_codes)}")
            wos = []
        if self.problems:
            return None
        return MeasurementModel(
            template_version=version,
            indicators=tuple(indicators),
            pseudonym_question=equation_code(p, "pseudonym"),
            wave_question=equation_code(p, "wave"),
            caseworker_question=equation_code(p, "caseworker"),
            participant_array=p.indicator_question.code,
            caseworker_array=c.indicator_question.code,
            intervention_array=interventions.code,
            gap_question=c.questions_of_type(GAP_WEEKS)[0].code,
            status_question=p_status.code,
            belief_code=str(belief_code),
            interventions=tuple(i.code for i in interventions.items),
            job_intervention=str(job),
            statuses=tuple(status_codes),
            work_or_study_statuses=tuple(str(x) for x in wos),
            scale_min=scale_min,
            scale_max=scale_max,
            missing_code=missing,
            p_min_answers=int(p_min or 0),
            c_min_answers=int(c_min or 0),
            belief_categories=tuple(categories),
            token_attributes=BASE_ATTRIBUTES,
            pushback_attributes=PUSHBACK_ATTRIBUTES,
        )


def _safe_load(text: str) -> Any:
    """``yaml.safe_load``, through libyaml's parser when PyYAML was built with it (several
    times faster: loading the shipped templates 25 -> 6 ms). A text libyaml refuses is
    read again by the pure-Python parser, so the error reported is the one it gives."""
    if getattr(yaml, "__with_libyaml__", False):
        try:
            return yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)
