"""Which e-mail addresses LimeSurvey 6.14 accepts for a participant (docs/participants.md).

Read from LimeSurvey's source (not copied): a token's ``email`` is trimmed and checked by
``LSYii_EmailIDNAValidator`` (empty allowed), which calls ``LimeMailer::validateAddress``:
line breaks are refused, a non-ASCII *domain* is converted to punycode (IDNA UTS #46,
non-transitional, STD3 rules), and the result must pass PHP's
``filter_var(FILTER_VALIDATE_EMAIL)`` without the Unicode flag. So the part before the
``@`` must be ASCII: ``björna010.a10@mail.example.org`` is refused with "Invalid email
address.", while ``anna@exämple.se`` is accepted. The checks below follow PHP's
documented rules for that filter: a dot-atom or quoted local part of at most 64
characters, a domain of dot-separated labels (letters, digits, inner hyphens; at most 63
characters each) with at least one dot and a top-level label that starts with a letter
(or is ``xn--``), or an address literal in brackets; the whole under 255 characters.

One address per person: LimeSurvey would also take several separated by ``,`` or ``;``,
but a roster cell names one person's address (and ``;`` is Swedish Excel's delimiter).
"""

from __future__ import annotations

import ipaddress
import re

import idna

_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_QUOTED = re.compile(r'"(?:[\x01-\x08\x0b\x0c\x0e-\x1f\x21\x23-\x5b\x5d-\x7f]|\\[\x00-\x7f])*"')
_LABEL = re.compile(r"(?:xn--)?[a-z0-9]+(?:-+[a-z0-9]+)*", re.IGNORECASE)
_TOP = re.compile(r"(?:[a-z][a-z0-9]*|xn--[a-z0-9]+)(?:-+[a-z0-9]+)*", re.IGNORECASE)

REFUSED = "Invalid email address."  # LimeSurvey's message
EXPECTED = ("an address LimeSurvey accepts: before the @ only ASCII letters, digits and "
            ".!#$%&'*+/=?^_`{|}~- (no å, ä, ö, é, no spaces), after it a domain like "
            "example.org")


def _local_ok(local: str) -> bool:
    if not local or len(local) > 64:
        return False
    rest = local
    while True:
        part = _QUOTED.match(rest) if rest.startswith('"') else _ATOM.match(rest)
        if part is None:
            return False
        rest = rest[part.end():]
        if not rest:
            return True
        if not rest.startswith(".") or len(rest) == 1:
            return False
        rest = rest[1:]


def _literal_ok(literal: str) -> bool:
    inner = literal[1:-1]
    try:
        if inner[:5].lower() == "ipv6:":
            ipaddress.IPv6Address(inner[5:])
        else:
            ipaddress.IPv4Address(inner)
    except ValueError:
        return False
    return True


def _domain_ok(domain: str) -> bool:
    if domain.startswith("[") and domain.endswith("]"):
        return _literal_ok(domain)
    if not domain.isascii():
        try:
            domain = idna.encode(domain, uts46=True, std3_rules=True,
                                 transitional=False).decode("ascii")
        except idna.IDNAError:
            return False
    labels = domain.split(".")
    if len(labels) < 2 or any(len(label) > 63 for label in labels):
        return False
    return (all(_LABEL.fullmatch(label) for label in labels[:-1])
            and _TOP.fullmatch(labels[-1]) is not None)


def limesurvey_accepts(address: str) -> bool:
    """True when LimeSurvey 6.14 would store ``address`` as a participant's e-mail."""
    text = address.strip()
    if not text or "\n" in text or "\r" in text or "@" not in text:
        return False
    local, _, domain = text.rpartition("@")
    if len(local) + 1 + len(domain.encode("utf-8")) >= 255:
        return False
    return _local_ok(local) and _domain_ok(domain)


__all__ = ["EXPECTED", "REFUSED", "limesurvey_accepts"]
