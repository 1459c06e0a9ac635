"""External ids and pseudonyms: how a person is named without being named.

bip-bridge's store knows a person only by a *pseudonym*, a keyed hash (HMAC-SHA256) of
the normalised external id (docs/privacy.md). A personnummer written in any of its forms
gives one pseudonym; any other id is compared case-folded.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

import sqlalchemy as sa
from stdnum import luhn

from bip_bridge.config import Settings
from bip_bridge.errors import DataInvalid, Problem

# --- external ids and pseudonyms ----------------------------------------------------

# A Swedish personnummer (or samordningsnummer) in any written form:
# YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN, YYYYMMDD-NNNN, YYYYMMDDNNNN.
_PNR = re.compile(r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})$")


def looks_like_personnummer(external_id: str) -> bool:
    """True when ``external_id`` has the shape of a personnummer (10 or 12 digits)."""
    return _PNR.match(external_id.strip()) is not None


def _birth_date(year: int, month: int, day: int) -> date | None:
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    try:
        return date(year, month, day)
    except ValueError:
        return None


def personnummer_problem(external_id: str, *, today: date | None = None) -> str | None:
    """Why a personnummer-shaped id is invalid (date or checksum), or None if it is valid."""
    try:
        normalise_personnummer(external_id, today=today)
    except ValueError as exc:
        return str(exc)
    return None


def normalise_personnummer(external_id: str, *, today: date | None = None) -> str:
    """The 12 digits YYYYMMDDNNNN of a personnummer written in any of its forms.

    A 10-digit form gets its century as the Swedish Tax Agency writes it: with ``-``
    the person is under 100 on ``today``, with ``+`` 100 or older. Raises ValueError
    for an impossible date or a wrong check digit.
    """
    m = _PNR.match(external_id.strip())
    if m is None:
        raise ValueError("not a personnummer")
    yymmdd, tail, sep = m["yymmdd"], m["tail"], m["sep"]
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if m["century"] is not None:
        year = int(m["century"] + yymmdd[:2])
    else:
        ref = today or date.today()
        year = ref.year - (ref.year - yy) % 100  # the latest year up to now ending in yy
        born = _birth_date(year, mm, dd)
        if born is None or born > ref:
            year -= 100
        if sep == "+":
            year -= 100
    if _birth_date(year, mm, dd) is None:
        raise ValueError("the birth date (the first 6 or 8 digits) does not exist")
    if not luhn.is_valid(yymmdd + tail):
        raise ValueError("the check digit (last digit) is wrong")
    return f"{year:04d}{yymmdd[2:]}{tail}"


def normalise_external_id(external_id: str, *, today: date | None = None) -> str:
    """The form of an external id that the pseudonym is computed from.

    * a personnummer or samordningsnummer in any written form (``YYMMDD-NNNN``,
      ``YYMMDD+NNNN``, ``YYMMDDNNNN``, ``YYYYMMDD-NNNN``, ``YYYYMMDDNNNN``) becomes its
      12 digits ``YYYYMMDDNNNN``, so every way of writing it gives one pseudonym;
    * any other id is Unicode-normalised (NFKC), stripped and case-folded
      (``" AB-17 "`` and ``"ab-17"`` are the same person).
    """
    text = unicodedata.normalize("NFKC", external_id).strip()
    if looks_like_personnummer(text):
        try:
            return normalise_personnummer(text, today=today)
        except ValueError:
            pass  # validation reports it; a bad one is still hashed consistently
    return text.casefold()


def pseudonymise(external_id: str, key: bytes, *, today: date | None = None) -> str:
    """HMAC-SHA256 (hex, 64 characters) of the normalised external id with ``key``.

    Without the key nobody can recompute or reverse it; with a different key the same
    person gets a different pseudonym (docs/privacy.md: keep and back up the key).
    """
    if not key:
        raise ValueError("an empty pseudonym key")
    normalised = normalise_external_id(external_id, today=today)
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


# What a spreadsheet makes of a long number: 1,97001E+11 / 1.97001e+11 (digits lost).
_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
MAX_ID_LENGTH = 64


def external_id_problem(external_id: str, *, today: date | None = None) -> str | None:
    """Why ``external_id`` cannot name a person, or None. Never quotes the id."""
    text = unicodedata.normalize("NFKC", external_id).strip()
    if not text:
        return "external_id is missing"
    if _SCIENTIFIC.match(text):
        return ("external_id was turned into a number by a spreadsheet (like 1,97001E+11: "
                "digits are lost)")
    if looks_like_personnummer(text):
        why = personnummer_problem(text, today=today)
        if why:
            return f"external_id is not a valid personnummer: {why}"
    elif len(text) > MAX_ID_LENGTH:
        return f"external_id is longer than {MAX_ID_LENGTH} characters"
    return None


ID_EXPECTED = ("a personnummer YYYYMMDD-NNNN with a correct check digit, or a short id; "
               "format the column as Text in the spreadsheet")


def resolve_pseudonym(engine: sa.Engine | None, settings: Settings, *, external_id: str | None,
                      pseudonym: str | None, today: date | None = None) -> str:
    """The pseudonym named on the command line (an external id, or ``--pseudonym``)."""
    if (external_id is None) == (pseudonym is None):
        raise DataInvalid("Name the person either by external id or by --pseudonym.",
                          [Problem("command line", "give exactly one of ID or --pseudonym")])
    if pseudonym is None:
        assert external_id is not None
        why = external_id_problem(external_id, today=today)
        if why:
            raise DataInvalid(f"The id given cannot be right: {why}.",
                              [Problem("ID", why, ID_EXPECTED)],
                              hint="Copy the id from the register (the roster's external_id "
                              "column); nothing was changed.")
        pseudonym = pseudonymise(external_id, settings.require_pseudonym_key(), today=today)
    text = pseudonym.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise DataInvalid("--pseudonym must be a whole pseudonym: 64 characters 0-9 and a-f.",
                          [Problem("--pseudonym", "not 64 hexadecimal characters",
                                   "the pseudonym as `participants list` shows it")])
    return text


#: characters of the pseudonym a person sees when LimeSurvey gives no first name
SHORT_PSEUDONYM = 8


def display_name(pseudonym: str, first_name: str | None) -> str:
    """How outputs a person reads (cards, index pages, digests, letters) name a participant:
    the first name on one line when LimeSurvey has one, else the pseudonym's first
    characters (never stored, never a full pseudonym)."""
    name = " ".join((first_name or "").split())
    return name or pseudonym[:SHORT_PSEUDONYM]
