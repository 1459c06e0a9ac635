"""First names for the progression cards, read from LimeSurvey's participant table at
render time.

bip-bridge never stores a name: the store holds pseudonyms only. The cards and the
caseworkers' index pages show the participant's first name, which lives in the
participant survey's token table (``firstname``, found by the pseudonym attribute). This
module reads it for one report run; the result is passed to the renderers and dropped.
When LimeSurvey cannot be reached the cards fall back to the pseudonym's first
characters, and the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.config import Settings
from bip_bridge.errors import BipBridgeError
from bip_bridge.store import queries

log = logging.getLogger(__name__)

PARTICIPANT_KIND = "participant"
DEFAULT_PSEUDONYM_ATTRIBUTE = "attribute_1"


def _pseudonym_attribute(templates: Any) -> str:
    mapping = getattr(getattr(templates, "participant", None), "attribute_map", None) or {}
    return str(mapping.get("pseudonym", DEFAULT_PSEUDONYM_ATTRIBUTE))


def participant_sids(engine: sa.Engine) -> list[int]:
    """Every participant survey the store knows, oldest first."""
    return [int(r["sid"]) for r in queries.all_surveys(engine) if r["kind"] == PARTICIPANT_KIND]


def read_first_names(api: LimeSurveyAPI, engine: sa.Engine, templates: Any = None
                     ) -> dict[str, str]:
    """Pseudonym -> first name from every participant survey the store knows (the
    latest token of a person wins). Raises the client's errors."""
    attribute = _pseudonym_attribute(templates)
    names: dict[str, str] = {}
    for sid in participant_sids(engine):
        for row in api.iter_participants(sid, attributes=[attribute]):
            pseudonym = str(row.get(attribute) or "").strip()
            info = row.get("participant_info") or {}
            first = str(info.get("firstname") or "").strip()
            if pseudonym and first:
                names[pseudonym] = first
    return names


def first_names_or_empty(
    settings: Settings,
    engine: sa.Engine,
    templates: Any,
    *,
    client_factory: Callable[[Settings], AbstractContextManager[LimeSurveyAPI]] | None = None,
) -> dict[str, str]:
    """:func:`read_first_names` over a new connection; ``{}`` when LimeSurvey is not
    configured, unreachable or refuses (logged; the caller tells the user), and without
    connecting when the store knows no participant survey."""
    if not participant_sids(engine):
        return {}
    if client_factory is None:
        from bip_bridge.limesurvey import connect

        client_factory = connect
    try:
        with client_factory(settings) as api:
            return read_first_names(api, engine, templates)
    except BipBridgeError as err:
        log.info("first names not read from LimeSurvey (%s): the cards show the "
                    "pseudonym's first characters instead", type(err).__name__)
        return {}
