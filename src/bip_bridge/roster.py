"""The roster file: reading and validating it (docs/participants.md).

A roster is validated as a whole before anything is written: one bad line rejects the
file with every problem listed by line (:class:`~bip_bridge.errors.DataInvalid`). Pure:
:func:`parse_roster` reads nothing but the bytes it is given.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bip_bridge.config import LANGUAGES
from bip_bridge.emails import EXPECTED as EMAILS_EXPECTED
from bip_bridge.emails import REFUSED, limesurvey_accepts
from bip_bridge.errors import DataInvalid, NotFound, Problem
from bip_bridge.pseudonyms import ID_EXPECTED, external_id_problem, normalise_external_id

ROSTER_COLUMNS: tuple[str, ...] = (
    "external_id", "first_name", "email", "language", "enrolled_on",
    "caseworker_id", "caseworker_email",
)


# --- the roster -----------------------------------------------------------------------

# A participant without an e-mail address is enrolled as everyone else (tokens created);
# LimeSurvey skips them when it mails, `bip-bridge letters` prints their invitations.
OPTIONAL_COLUMNS = frozenset({"email"})
# Caseworker ids are codes: letters, digits, '.', '_' or '-', with at least one digit.
_CASEWORKER_CODE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class RosterRow:
    """One validated roster line. Personal data lives here only in memory, on its way
    to LimeSurvey's participant table."""

    line: int
    external_id: str
    first_name: str
    email: str
    language: str
    enrolled_on: date
    caseworker_id: str
    caseworker_email: str = field(repr=False)

    def __repr__(self) -> str:  # never print names, e-mails or ids in logs/tracebacks
        return f"RosterRow(line={self.line}, enrolled_on={self.enrolled_on})"


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataInvalid(
            f"{where} is not UTF-8 (byte {exc.start} cannot be read); nothing was written.",
            [Problem(f"{where} line {line}", f"not UTF-8 text (byte 0x{data[exc.start]:02x}; "
                     "probably saved as Windows-1252/ANSI)", "a CSV file saved as UTF-8")],
            source=where,
            hint="In Excel choose 'Save as' > 'CSV UTF-8 (comma delimited)'.",
        ) from None


def _delimiter(header_line: str) -> str:
    """Swedish Excel writes ';' (the comma is the decimal sign); others write ','."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_roster(data: bytes, *, today: date, source: str = "roster.csv") -> list[RosterRow]:
    """Validate a whole roster file; return its rows or raise DataInvalid listing every
    problem by line. Pure: reads nothing but ``data`` and writes nothing."""
    name = Path(source).name
    text = _decode(data, name)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataInvalid(f"{name} is empty; nothing was written.",
                          [Problem(f"{name} line 1", "no header row", ",".join(ROSTER_COLUMNS))],
                          source=name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines[0]))
    header = [h.strip().lower() for h in next(reader)]
    problems: list[Problem] = []
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    unknown = [h for h in header if h not in ROSTER_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        what = "; ".join(filter(None, [
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            "a column appears twice" if len(set(header)) != len(header) else "",
        ]))
        raise DataInvalid(f"{name} has a wrong header row; nothing was written.",
                          [Problem(f"{name} line 1", what, ",".join(ROSTER_COLUMNS))],
                          source=name,
                          hint="The first line must name exactly these columns (any order).")

    rows: list[RosterRow] = []
    seen_ids: dict[str, int] = {}
    caseworker_emails: dict[str, tuple[str, int]] = {}
    for record in reader:
        line = reader.line_num
        if not any(v.strip() for v in record):
            continue  # blank lines (Excel often adds some at the end)
        where = f"{name} line {line}"
        if len(record) != len(header):
            problems.append(Problem(where, f"{len(record)} fields instead of {len(header)}",
                                    "one value per column, separated like the header"))
            continue
        values = {h: v.strip() for h, v in zip(header, record, strict=True)}
        row_problems: list[Problem] = []
        for column in ROSTER_COLUMNS:
            if not values[column] and column not in OPTIONAL_COLUMNS:
                row_problems.append(Problem(where, f"{column} is missing", "a value"))

        ext = values["external_id"]
        if ext:
            why = external_id_problem(ext, today=today)
            if why:
                row_problems.append(Problem(where, why, ID_EXPECTED))
            key = normalise_external_id(ext, today=today)
            if key in seen_ids:
                row_problems.append(Problem(where, f"external_id duplicates line {seen_ids[key]}",
                                            "each person once"))
            else:
                seen_ids[key] = line

        if values["first_name"] and len(values["first_name"]) > 100:
            row_problems.append(Problem(where, "first_name is longer than 100 characters",
                                        "a first name"))
        for column in ("email", "caseworker_email"):
            if values[column] and not limesurvey_accepts(values[column]):
                row_problems.append(Problem(
                    where, f"{column} is not an address LimeSurvey accepts (it would answer "
                    f"{REFUSED!r})", EMAILS_EXPECTED))
        lang = values["language"].lower()
        if lang and lang not in LANGUAGES:
            row_problems.append(Problem(where, f"language {values['language']!r} is not "
                                        "supported", "sv, da or en"))
        enrolled: date | None = None
        raw_date = values["enrolled_on"]
        if raw_date:
            try:
                if not _ISO_DATE.match(raw_date):
                    raise ValueError
                enrolled = date.fromisoformat(raw_date)
            except ValueError:
                row_problems.append(Problem(where, f"enrolled_on {raw_date!r} is not a date",
                                            "an ISO date YYYY-MM-DD"))
            else:
                if enrolled > today:
                    row_problems.append(Problem(where, f"enrolled_on {raw_date} is in the future",
                                                f"a date on or before {today.isoformat()}"))
        cw = values["caseworker_id"]
        if cw and not _CASEWORKER_CODE.match(cw):
            row_problems.append(Problem(
                where, "caseworker_id looks like a name, not a code",
                "a code of letters and digits with at least one digit, e.g. HL-017 "
                "(caseworker ids are visible in survey pages and exports)"))
        cw_email = values["caseworker_email"].lower()
        if cw and cw_email:
            earlier = caseworker_emails.setdefault(cw, (cw_email, line))
            if earlier[0] != cw_email:
                row_problems.append(Problem(where, f"caseworker {cw} has another e-mail address "
                                            f"on line {earlier[1]}", "one address per caseworker"))

        problems.extend(row_problems)
        if not row_problems and enrolled is not None:
            rows.append(RosterRow(line=line, external_id=ext, first_name=values["first_name"],
                                  email=values["email"], language=lang, enrolled_on=enrolled,
                                  caseworker_id=cw, caseworker_email=values["caseworker_email"]))
    if problems:
        raise DataInvalid(f"{name} has {len(problems)} problem(s); nothing was written.",
                          problems, source=name,
                          hint="Fix every line listed above and import the whole file again.")
    if not rows:
        raise DataInvalid(f"{name} has no participants; nothing was written.",
                          [Problem(f"{name} line 2", "no data rows", "one row per participant")],
                          source=name)
    return rows


def read_roster(path: Path, *, today: date) -> list[RosterRow]:
    """Read and validate the roster file at ``path`` (see :func:`parse_roster`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotFound(f"Cannot read the roster {path}: {exc.strerror}.",
                       hint="Give the path of the CSV file exported from your register.") from None
    return parse_roster(data, today=today, source=path.name)


def iter_roster_values(rows: Iterable[RosterRow]) -> Iterable[str]:
    """Every personal value of a roster (for privacy tests and audits)."""
    for row in rows:
        yield from (row.external_id, row.first_name, row.email, row.caseworker_email)
