"""E-mail delivery of the analyst bundle, against a local aiosmtpd server."""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from bip_bridge.config import SmtpSettings
from bip_bridge.errors import ConfigError, MailError, register_secret
from bip_bridge.mailer import send_bundle

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

PASSWORD = "smtp-Secret-42"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                   auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(),
                            authenticator=_authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _settings(controller: Controller, **changes: Any) -> SmtpSettings:
    base: dict[str, Any] = {
        "host": "127.0.0.1", "port": controller.port,
        "starttls": False, "sender": "bip-bridge@example.org",
        "recipients": ("analyst@example.org",),
    }
    base.update(changes)
    return SmtpSettings(**base)


@pytest.fixture
def bundle(tmp_path: Path) -> list[Path]:
    a = tmp_path / "cohort.csv"
    a.write_text("measure,n\nd_p,12\n", encoding="utf-8")
    b = tmp_path / "report.html"
    b.write_text("<!DOCTYPE html><p>rapport</p>", encoding="utf-8")
    return [a, b]


def test_sends_every_file_as_an_attachment(smtp_server: Any, bundle: list[Path]) -> None:
    controller, inbox = smtp_server
    delivered = send_bundle(_settings(controller), bundle)
    assert delivered == 1
    [(recipients, message)] = inbox.messages
    assert recipients == ["analyst@example.org"]
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert attachments == {"cohort.csv": "measure,n\nd_p,12\n",
                           "report.html": "<!DOCTYPE html><p>rapport</p>"}
    assert message["From"] == "bip-bridge@example.org"


def test_login_with_the_password_from_settings(smtp_server: Any, bundle: list[Path]) -> None:
    controller, inbox = smtp_server
    send_bundle(_settings(controller, username="bip", password=PASSWORD), bundle)
    assert len(inbox.messages) == 1


def test_wrong_password_is_refused_without_leaking_it(
    smtp_server: Any, bundle: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, inbox = smtp_server
    register_secret("wrong-Password-1")

    def refuse(self: smtplib.SMTP, user: str, password: str, **_: Any) -> None:
        raise smtplib.SMTPAuthenticationError(535, f"bad credentials for {password}".encode())

    monkeypatch.setattr(smtplib.SMTP, "login", refuse)
    with pytest.raises(MailError) as info:
        send_bundle(_settings(controller, username="bip", password="wrong-Password-1"), bundle)
    assert "refused the login" in str(info.value)
    assert "wrong-Password-1" not in str(info.value) + str(info.value.hint)
    assert inbox.messages == []


def test_starttls_required_but_not_offered(smtp_server: Any, bundle: list[Path]) -> None:
    controller, inbox = smtp_server
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        send_bundle(_settings(controller, starttls=True), bundle)
    assert inbox.messages == []


def test_incomplete_settings_send_nothing(smtp_server: Any, bundle: list[Path]) -> None:
    controller, _ = smtp_server
    with pytest.raises(ConfigError, match="recipients"):
        send_bundle(_settings(controller, recipients=()), bundle)
    with pytest.raises(ConfigError, match=r"\[smtp\]"):
        send_bundle(None, bundle)


def test_unreachable_server(bundle: list[Path]) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=1, starttls=False,
                            sender="a@example.org", recipients=("b@example.org",))
    with pytest.raises(MailError, match=r"127\.0\.0\.1:1"):
        send_bundle(settings, bundle, timeout=2)
