"""`check`'s e-mail line: the SMTP server the caseworker digests go through is reached,
encrypts (unless turned off) and takes the login, and nothing is sent; a WARN without
[smtp] while the digest is the way caseworkers hear; no line when LimeSurvey mails them."""

from __future__ import annotations

import dataclasses
from typing import Any

from bip_bridge.checks import smtp_result
from bip_bridge.config import SmtpSettings, WaveSettings
from outreach_support import cli, free_port, settings_of, smtp, world

__all__ = ["smtp", "world"]  # fixtures


def test_check_names_the_smtp_server_and_sends_nothing(world: dict[str, Any]) -> None:
    result = cli(world, "check")
    line = next(x for x in result.output.splitlines() if x.startswith("OK") and "smtp" in x)
    assert "answers, without encryption (starttls = false)" in line
    assert "(nothing was sent)" in line
    assert world["inbox"].messages == []


def test_smtp_line_states(world: dict[str, Any]) -> None:
    settings = settings_of(world)
    assert smtp_result(settings) is not None and smtp_result(settings).status == "OK"  # type: ignore[union-attr]
    down = dataclasses.replace(settings, smtp=SmtpSettings(
        host="127.0.0.1", port=free_port(), starttls=False, sender="b@example.org"))
    failed = smtp_result(down)
    assert failed is not None and failed.status == "FAIL" and failed.exit_code == 69
    # check sends nothing, so the message says the server could not be used, not 'send'
    assert f"The SMTP server 127.0.0.1:{down.smtp.port} could not be used (" in failed.detail  # type: ignore[union-attr]
    assert failed.detail.endswith("nothing was sent.") and "Traceback" not in failed.detail
    plain = dataclasses.replace(settings, smtp=SmtpSettings(
        host="127.0.0.1", port=settings.smtp.port, sender="b@example.org"))  # STARTTLS wanted
    refused = smtp_result(plain)
    assert refused is not None and refused.status == "FAIL" and "STARTTLS" in refused.detail
    none = dataclasses.replace(settings, smtp=None)
    warn = smtp_result(none)
    assert warn is not None and warn.status == "WARN" and "caseworker_email" in str(warn.hint)
    limesurvey = dataclasses.replace(none, waves=WaveSettings(caseworker_email="limesurvey"))
    assert smtp_result(limesurvey) is None
