"""What the live tests share: the variables naming a real LimeSurvey 6 test server, the
marks that skip a module without one, and a logged-in client.

Set BIP_BRIDGE_TEST_LIMESURVEY_URL (the RemoteControl URL), _USER and _PASSWORD. The
user must be a superadmin (the tests create and delete their own surveys, and `check`
reads the version). Tests open survey pages with wrong access codes on purpose: a server
left at LimeSurvey's default (maxLoginAttemptParticipants 3 per 10 minutes and IP) then
locks its survey pages for this machine for ten minutes; raise it on a test server.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

ENV = ("BIP_BRIDGE_TEST_LIMESURVEY_URL", "BIP_BRIDGE_TEST_LIMESURVEY_USER",
       "BIP_BRIDGE_TEST_LIMESURVEY_PASSWORD")

LIVE_MARKS = [
    pytest.mark.live,
    pytest.mark.skipif(not all(os.environ.get(v) for v in ENV),
                       reason="no live LimeSurvey (set " + ", ".join(ENV) + ")"),
]


@pytest.fixture
def live_client() -> Iterator[Any]:
    from bip_bridge.limesurvey import LimeSurveyClient

    url, user, password = (os.environ[v] for v in ENV)
    client = LimeSurveyClient(url, user, password, timeout=60, retries=2)
    try:
        yield client
    finally:
        client.close()


def delete_own_surveys(client: Any, engine: Any, also: Iterable[int | None] = ()) -> None:
    """Delete the surveys this test created: every survey its own store recorded (so also
    the first one of a provision that failed half-way, whose sid the test never saw) and
    ``also``. Never any other survey: others share the server."""
    import sqlalchemy as sa

    from bip_bridge.errors import LimeSurveyRejected
    from bip_bridge.store import schema

    with engine.connect() as conn:
        sids = {int(s) for s in conn.execute(sa.select(schema.surveys.c.sid)).scalars()}
    for sid in sorted(sids | {int(s) for s in also if s is not None}):
        with contextlib.suppress(LimeSurveyRejected):  # already gone
            client.delete_survey(sid)
