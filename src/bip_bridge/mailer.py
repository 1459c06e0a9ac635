"""Optional delivery of the analyst bundle by e-mail (``[smtp]`` in the configuration).

smtplib and email.message from the standard library: one message, the bundle's files as
attachments, STARTTLS by default (refused when the server does not offer it, rather than
sending in clear text), login only when a user name is configured; the password comes
from ``BIP_BRIDGE_SMTP_PASSWORD`` and never appears in errors or logs.

The bundle holds pseudonyms only, but it is still personal data: send it to addresses
inside the association, over a server that encrypts.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from bip_bridge.config import SmtpSettings
from bip_bridge.errors import ConfigError, MailError, Problem

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # most servers refuse larger messages


def require_bundle_smtp(smtp: SmtpSettings | None) -> SmtpSettings:
    """``[smtp]`` as e-mailing the analyst bundle needs it, else a ConfigError listing
    what is missing. ``report --email`` calls it before writing anything."""
    if smtp is None:
        raise ConfigError("E-mail delivery needs an [smtp] section; nothing was sent.",
                          hint="Add [smtp] host, sender and recipients to the configuration "
                          "(docs/configuration.md), or leave out --email.")
    problems = []
    if not smtp.sender:
        problems.append(Problem("[smtp] sender", "missing", "the From address"))
    if not smtp.recipients:
        problems.append(Problem("[smtp] recipients", "empty", '["analyst@example.org"]'))
    if problems:
        raise ConfigError("E-mail delivery is not configured completely; nothing was sent.",
                          problems, hint="Complete the [smtp] section (docs/configuration.md), "
                          "or leave out --email.")
    return smtp


def build_message(smtp: SmtpSettings, paths: Sequence[Path], *, subject: str,
                  body: str) -> EmailMessage:
    """The message with every file attached (pure apart from reading the files)."""
    require_bundle_smtp(smtp)
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[-1] or None)
    message.set_content(body)
    total = 0
    for path in paths:
        data = Path(path).read_bytes()
        total += len(data)
        kind, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (kind or "application/octet-stream").split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
    if total > MAX_BYTES:
        raise MailError(
            f"The bundle is {total // 1024} KiB, more than the {MAX_BYTES // 1024 // 1024} MiB "
            "an e-mail can usually carry; nothing was sent.",
            host=smtp.host, port=smtp.port,
            hint="Share the report folder another way, or send fewer files.",
        )
    return message


def send_bundle(
    smtp: SmtpSettings | None,
    paths: Sequence[Path],
    *,
    subject: str = "bip-bridge analyst bundle",
    body: str = "The bip-bridge analyst bundle is attached (pseudonyms only). "
                "See data_dictionary.csv for the columns.\n",
    timeout: float = 30.0,
) -> int:
    """Send ``paths`` as one message to ``[smtp] recipients``; returns how many got it."""
    smtp = require_bundle_smtp(smtp)
    message = build_message(smtp, paths, subject=subject, body=body)
    refused = send_message(smtp, message, timeout=timeout)
    delivered = len(smtp.recipients) - len(refused)
    if refused:
        log.warning("SMTP server refused %d recipient(s): %s", len(refused),
                    ", ".join(sorted(refused)))
    log.info("analyst bundle sent to %d recipient(s)", delivered)
    return delivered


@contextlib.contextmanager
def _session(smtp: SmtpSettings, timeout: float) -> Iterator[smtplib.SMTP]:
    """A connected, greeted, encrypted (unless turned off) and logged-in SMTP session."""
    where = f"{smtp.host}:{smtp.port}"
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
            client.ehlo()
            if smtp.starttls:
                if not client.has_extn("starttls"):
                    raise MailError(
                        f"The SMTP server {where} does not offer STARTTLS; nothing was sent.",
                        host=smtp.host, port=smtp.port,
                        hint="Use a server that encrypts, or set starttls = false in [smtp] "
                        "only for a server on the same machine.")
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            yield client
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"The SMTP server {where} refused the login ({exc.smtp_code}); "
                        "nothing was sent.", host=smtp.host, port=smtp.port,
                        hint="Check [smtp] username and BIP_BRIDGE_SMTP_PASSWORD.") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"The SMTP server {where} refused every recipient "
                        f"({', '.join(sorted(exc.recipients))}); nothing was sent.",
                        host=smtp.host, port=smtp.port,
                        hint="Check the recipients' addresses.") from None
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise MailError(f"The SMTP server {where} could not be used "
                        f"({type(exc).__name__}: {exc}); nothing was sent.",
                        host=smtp.host, port=smtp.port,
                        hint="Check [smtp] host and port, and that the server is reachable "
                        "from here; then run again.") from None


def send_message(smtp: SmtpSettings, message: EmailMessage, *,
                 timeout: float = 30.0) -> dict[str, tuple[int, bytes]]:
    """Send one message over ``[smtp]`` (STARTTLS unless turned off, login when a user is
    configured). Returns the recipients the server refused; raises MailError when the
    server took nothing (so the caller knows the message was not sent)."""
    with _session(smtp, timeout) as client:
        refused: dict[str, tuple[int, bytes]] = client.send_message(message)
    return refused


def probe(smtp: SmtpSettings, *, timeout: float = 10.0) -> None:
    """Connect, greet, STARTTLS and log in as a send would, then leave: sends nothing.
    Raises MailError naming what failed (`bip-bridge check`)."""
    with _session(smtp, timeout):
        pass
