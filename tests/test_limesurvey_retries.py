"""Retries: transient failures are retried with bounded backoff, application errors never,
and calls that change data are not resent once LimeSurvey may have received them."""

from __future__ import annotations

import socket

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from bip_bridge.errors import LimeSurveyRejected, LimeSurveyUnavailable
from bip_bridge.limesurvey import LimeSurveyClient
from test_limesurvey_replay import Replay, make_client, replay_fixture  # noqa: F401

HTML_503 = b"<html><body><h1>503 Service Unavailable</h1></body></html>"


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: "  # type: ignore[arg-type]
                                "[Errno 111] Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def test_503_forever_gives_unavailable_after_bounded_retries(replay: Replay) -> None:
    replay.login()
    for _ in range(4):
        replay.add_raw(HTML_503, status=503, content_type="text/html", method="list_surveys")
    client = make_client(retries=3)
    with pytest.raises(LimeSurveyUnavailable) as info:
        client.list_surveys()
    assert info.value.attempts == 4
    assert "HTTP 503" in str(info.value)
    assert client.sleeps == [0.5, 1.0, 2.0]


def test_backoff_is_capped(replay: Replay) -> None:
    replay.login()
    for _ in range(8):
        replay.add_raw(HTML_503, status=503, content_type="text/html", method="get_summary")
    client = make_client(retries=7)
    with pytest.raises(LimeSurveyUnavailable):
        client.get_summary(1)
    assert client.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_connection_refused_forever_real_socket() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    client = LimeSurveyClient(f"http://127.0.0.1:{port}/index.php/admin/remotecontrol",
                              "admin", "pw-not-used", timeout=2, retries=2, sleep=sleeps.append)
    with pytest.raises(LimeSurveyUnavailable) as info:
        client.list_surveys()
    assert info.value.attempts == 3
    assert info.value.method == "get_session_key"
    assert "ConnectionError" in str(info.value)
    assert sleeps == [0.5, 1.0]


def test_transient_then_success(replay: Replay) -> None:
    replay.add_raw(_refused(), method=None)
    replay.login()
    replay.add_raw(b"Bad gateway", status=502, content_type="text/plain", method="list_surveys")
    replay.add_raw(requests.exceptions.ReadTimeout("read timed out"), method="list_surveys")
    replay.add("provision", "list_surveys.empty")
    client = make_client()
    assert client.list_surveys() == []
    assert client.sleeps == [0.5, 0.5, 1.0]


def test_write_not_resent_after_read_timeout(replay: Replay) -> None:
    replay.login()
    replay.add_raw(requests.exceptions.ReadTimeout("read timed out"), method="add_response")
    client = make_client()
    with pytest.raises(LimeSurveyUnavailable) as info:
        client.add_response(845216, {"token": "t"})
    assert "not retried" in str(info.value)
    assert client.sleeps == []


def test_write_not_resent_after_502(replay: Replay) -> None:
    replay.login()
    replay.add_raw(b"Bad gateway", status=502, content_type="text/plain", method="add_participants")
    client = make_client()
    with pytest.raises(LimeSurveyUnavailable):
        client.add_participants(845216, [{"token": "x"}])
    assert client.sleeps == []


def test_write_resent_when_never_delivered(replay: Replay) -> None:
    replay.login()
    replay.add_raw(_refused(), method=None)
    replay.add_raw(HTML_503, status=503, content_type="text/html", method="add_response")
    replay.add("responses", "add_response.complete.1")
    client = make_client()
    assert client.add_response(845216, {"token": "t"}) == 1
    assert client.sleeps == [0.5, 1.0]


def test_application_error_never_retried(replay: Replay) -> None:
    replay.login()
    replay.add("responses", "export_responses.invalid_survey")
    client = make_client()
    with pytest.raises(LimeSurveyRejected):
        client.export_responses(999999)
    assert client.sleeps == []
    assert replay.sent_methods() == ["get_session_key", "export_responses"]


def test_http_404_is_not_retried_and_hints_at_url(replay: Replay) -> None:
    replay.add_raw(b"Not found", status=404, content_type="text/html")
    client = make_client()
    with pytest.raises(LimeSurveyUnavailable) as info:
        client.list_surveys()
    assert "HTTP 404" in str(info.value)
    assert "admin/remotecontrol" in (info.value.hint or "")
    assert client.sleeps == []


def test_tls_error_not_retried(replay: Replay) -> None:
    replay.add_raw(requests.exceptions.SSLError("certificate verify failed"))
    client = make_client()
    with pytest.raises(LimeSurveyUnavailable) as info:
        client.list_surveys()
    assert "ca_bundle" in (info.value.hint or "")
    assert client.sleeps == []


def test_every_request_has_a_timeout(replay: Replay) -> None:
    replay.login()
    replay.add("provision", "list_surveys.empty")
    client = make_client(timeout=7)
    client.list_surveys()
    result = [call.request.req_kwargs["timeout"]  # type: ignore[attr-defined]
              for call in replay.mock.calls]
    assert result == [(7.0, 7.0), (7.0, 7.0)]


@pytest.mark.parametrize("fault", [
    requests.exceptions.ReadTimeout("read timed out"),
    requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected"),
], ids=["read-timeout", "dropped"])
def test_login_is_retried_like_every_read(replay: Replay, fault: Exception) -> None:
    """Issue 13 case 4: a fault on the login aborted the run with 'may already have
    carried it out'; the login changes no data and is safe to repeat."""
    replay.add_raw(fault, method="get_session_key")
    replay.add_raw(b"Bad gateway", status=502, content_type="text/plain",
                   method="get_session_key")
    replay.login()
    replay.add("provision", "list_surveys.empty")
    client = make_client()
    assert client.list_surveys() == []
    assert client.sleeps == [0.5, 1.0]


def test_a_login_that_keeps_failing_does_not_speak_of_changes(replay: Replay) -> None:
    for _ in range(2):
        replay.add_raw(requests.exceptions.ReadTimeout("read timed out"),
                       method="get_session_key")
    client = make_client(retries=1)
    with pytest.raises(LimeSurveyUnavailable) as info:
        client.list_surveys()
    text = f"{info.value} {info.value.hint}"
    assert "carried it out" not in text and "whether the change was made" not in text
    assert info.value.attempts == 2
