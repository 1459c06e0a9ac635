"""Helpers of the live year test: a config file, a roster, answers entered as a respondent
would (through add_response with SGQA columns from get_fieldmap) and what LimeSurvey holds.

Everything here talks to the server named by the three BIP_BRIDGE_TEST_LIMESURVEY_*
variables only; nothing installs or configures a server.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bip_bridge.templates import TemplateSet
from live_support import ENV

PSEUDONYM_KEY = "live-year-pseudonym-key-0123456789"


def live_env() -> dict[str, str]:
    """The CLI's environment: the live password and the test's pseudonym key."""
    return {"BIP_BRIDGE_LIMESURVEY_PASSWORD": os.environ[ENV[2]],
            "BIP_BRIDGE_PSEUDONYM_KEY": PSEUDONYM_KEY}


def write_config(tmp_path: Path, store_url: str) -> Path:
    url, user = os.environ[ENV[0]], os.environ[ENV[1]]
    path = tmp_path / "bip-bridge.toml"
    path.write_text(
        f'[limesurvey]\nurl = "{url}"\nusername = "{user}"\nretries = 2\ntimeout = 120\n'
        f'[store]\nurl = "{store_url}"\n'
        f'[reports]\nout_dir = "{tmp_path / "reports"}"\n'
        "[sync]\npage_size = 10\n"
        '[waves]\ncaseworker_email = "limesurvey"\n', encoding="utf-8")
    return path


FIRST_NAMES = ("Anna", "Björn", "Cecilia", "David", "Elin", "Fredrik", "Greta", "Hassan",
               "Ida", "Johan", "Karin", "Leo", "Maja", "Nils", "Olivia", "Per", "Rut",
               "Sara", "Tove", "Ulf")


def roster_people(enrolled: date, run: str, *, with_no_email: bool) -> list[tuple[str, ...]]:
    """22 people: one Danish, one English (without an e-mail address if asked), the rest
    Swedish. Ids carry ``run`` so runs never collide."""
    people = []
    for i, name in enumerate(FIRST_NAMES):
        cw = f"HL-{i % 3 + 1}"
        people.append((f"L{run}-{i:02d}", name, f"p{i:02d}.{run}@example.org", "sv",
                       enrolled.isoformat(), cw, f"{cw.lower()}.{run}@example.org"))
    people.append((f"L{run}-DK", "Mads", f"mads.{run}@example.org", "da", enrolled.isoformat(),
                   "HL-1", f"hl-1.{run}@example.org"))
    people.append((f"L{run}-EN", "Emma", "" if with_no_email else f"emma.{run}@example.org",
                   "en", enrolled.isoformat(), "HL-2", f"hl-2.{run}@example.org"))
    return people


def sgqa_columns(api: Any, sid: int) -> dict[str, str]:
    """Export heading (``BIPD[JOBTRO]``, ``PSEUDO``) -> response column (SGQA)."""
    mapping: dict[str, str] = {}
    for column, entry in api.get_fieldmap(sid).items():
        title = str(entry.get("title") or "")
        if title:
            aid = str(entry.get("aid") or "")
            mapping[f"{title}[{aid}]" if aid else title] = column
    return mapping


def answers(templates: TemplateSet, kind: str, pseudonym: str, wave: int, caseworker: str,
            rng: random.Random) -> dict[str, str]:
    """One respondent's answers by export heading; equations filled as the web would."""
    q = templates.questionnaire(kind)
    out = {"PSEUDO": pseudonym, "WAVE": str(wave), "CWID": caseworker}
    for question in q.questions:
        if question.relevance != "1" and wave == 0:
            continue  # TOKEN:ATTRIBUTE_2 > 0: not asked at baseline
        if question.items and question.scale is not None:
            codes = [a.code for a in question.scale.answers]
            for item in question.items:
                out[f"{question.code}[{item.code}]"] = rng.choice(codes[:-1] if "99" in codes
                                                                 else codes)
        elif question.scale is not None:
            out[question.code] = rng.choice([a.code for a in question.scale.answers])
        elif question.code == "GAPW":
            out[question.code] = str(rng.randint(0, 8))
    return out


def enter_response(api: Any, sid: int, columns: dict[str, str], token: str,
                   values: dict[str, str], *, submitted: datetime | None) -> int:
    # a missing submitdate is set to now by LimeSurvey: incomplete needs an explicit null
    row: dict[str, Any] = {"token": token, "startlanguage": "sv", "submitdate": None}
    if submitted is not None:
        row["submitdate"] = f"{submitted:%Y-%m-%d %H:%M:%S}"
    for heading, value in values.items():
        row[columns[heading]] = value
    return int(api.add_response(sid, row))


def tokens_of(api: Any, sid: int, attributes: Sequence[str] = ()) -> list[dict[str, Any]]:
    cols = ("attribute_1", "attribute_2", "attribute_3", "sent", "remindercount",
            "remindersent", "completed", "language", *attributes)
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        page = api.list_participants(sid, start=start, limit=200, attributes=cols)
        out += page
        if len(page) < 200:
            return out
        start = max(int(r["tid"]) for r in page) + 1


def exported(api: Any, sid: int) -> list[dict[str, Any]]:
    return list(api.export_responses(sid))
