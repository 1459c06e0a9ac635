"""What the live tests share: the variables naming a real LimeSurvey 6 test server, the
marks that skip a module without one, and a logged-in client.

Set BIP_BRIDGE_TEST_LIMESURVEY_URL (the RemoteControl URL), _USER and _PASSWORD.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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
