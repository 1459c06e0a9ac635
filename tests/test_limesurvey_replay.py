"""Replaying recorded LimeSurvey answers byte for byte (helper for the client tests).

``Replay`` registers recorded steps of ``tests/fixtures/limesurvey/*.jsonl`` with the
``responses`` library, in order: each answers exactly one POST whose JSON-RPC method is
the recorded one, with the recorded status, Content-Type and body (the ``<session-key>``
placeholder replaced by :data:`KEY`). citric's random request id is pinned to the
recorded id so the envelope check passes as it would against the real server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from conftest import load_recording, recording_step

URL = "https://survey.example.org/index.php/admin/remotecontrol"
USER = "admin"
PASSWORD = "S3cret-Pa55word!"  # test-only
KEY = "Ab3~xY9_Zq8wV7uT6sR5pQ4oN3mL2kJ1"  # a 32-char key with ~ and _ like LimeSurvey's
assert len(KEY) == 32


def _method_is(expected: str | None) -> Any:
    def match(request: requests.PreparedRequest) -> tuple[bool, str]:
        if expected is None:
            return True, ""
        body = request.body or b"{}"
        method = json.loads(body).get("method")
        return method == expected, f"expected RPC {expected!r}, got {method!r}"
    return match


class Replay:
    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock

    def body_of(self, record: dict[str, Any], key: str = KEY) -> bytes:
        return str(record["response_text"]).replace("<session-key>", key).encode("utf-8")

    def add(self, name: str, step: str, *, method: str | None = "recorded",
            key: str = KEY) -> dict[str, Any]:
        """Queue the recorded answer of ``name``/``step``; returns the record."""
        record = recording_step(name, step)
        expected = record["method"] if method == "recorded" else method
        self.mock.add(responses.Response(
            method="POST", url=URL, body=self.body_of(record, key),
            status=record["http_status"],
            content_type=None, headers={"Content-Type": record["content_type"]},
            match=[_method_is(expected)],
        ))
        return record

    def add_raw(self, body: bytes | Exception, *, status: int = 200,
                content_type: str = "application/json", method: str | None = None) -> None:
        self.mock.add(responses.Response(
            method="POST", url=URL, body=body, status=status, content_type=None,
            headers={"Content-Type": content_type}, match=[_method_is(method)],
        ))

    def login(self) -> None:
        self.add("session", "get_session_key.ok")

    def sent_methods(self) -> list[str]:
        return [json.loads(call.request.body or b"{}")["method"] for call in self.mock.calls]

    def sent_params(self) -> list[list[Any]]:
        return [json.loads(call.request.body or b"{}")["params"] for call in self.mock.calls]


@pytest.fixture(name="replay")
def replay_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Replay]:
    monkeypatch.setattr("citric.session.random", SimpleNamespace(randint=lambda a, b: 1))
    with responses.RequestsMock(registry=OrderedRegistry,
                                assert_all_requests_are_fired=True) as mock:
        yield Replay(mock)


def make_client(**kwargs: Any) -> Any:
    from bip_bridge.limesurvey import LimeSurveyClient

    sleeps: list[float] = []
    options: dict[str, Any] = {"timeout": 5, "retries": 3, "sleep": sleeps.append}
    options.update(kwargs)
    client = LimeSurveyClient(URL, USER, PASSWORD, **options)
    client.sleeps = sleeps
    return client


# --- the helper itself -------------------------------------------------------------------


def test_replay_serves_recorded_bytes(replay: Replay) -> None:
    record = replay.add("session", "unknown_method", method=None)
    answer = requests.post(URL, json={"method": "x", "params": [], "id": 1}, timeout=5)
    expected = record["response_text"].encode("utf-8")
    assert answer.content == expected
    assert answer.status_code == 500
    assert answer.headers["Content-Type"] == "text/html; charset=UTF-8"


def test_every_recording_loads() -> None:
    names = ["session", "expired", "rpc_disabled", "provision", "participants", "responses"]
    counts = {name: len(load_recording(name)) for name in names}
    expected = {"session": 20, "expired": 10, "rpc_disabled": 10, "provision": 52,
                "participants": 35, "responses": 60}
    assert counts == expected
