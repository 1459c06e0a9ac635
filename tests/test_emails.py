"""Roster e-mail addresses: exactly what LimeSurvey 6.14 accepts (issue 13, case 6)."""

from __future__ import annotations

import pytest

from bip_bridge.emails import limesurvey_accepts


@pytest.mark.parametrize("address", [
    "anna@example.org", "a.b-c+tag@mail.example.org", "o'brien@example.ie",
    "ANNA@EXAMPLE.ORG", "anna@exämple.se", "x@xn--exmple-cua.se", "a_b@sub-1.example.co.uk",
    '"a.b"@example.org', '"a\\ b"@example.org', "user@[192.168.1.1]",
    "  anna@example.org  ", "a{b}@example.org",
])
def test_accepted(address: str) -> None:
    assert limesurvey_accepts(address)


@pytest.mark.parametrize("address", [
    "björna010.a10@mail.example.org",  # recorded: LimeSurvey 6.14 "Invalid email address."
    "anna@localhost", "anna@", "@example.org", "anna.example.org", "a..b@example.org",
    ".a@example.org", "a.@example.org", "a@-example.org", "a@example-.org", "a@example.123",
    "a b@example.org", '"a b"@example.org', "a@exa mple.org", "anna@example.org\nbcc@x.org",
    "a@b@example.org",
    "a,b@example.org", "a;b@example.org", "a@example.org;b@example.org",
    "x" * 65 + "@example.org", "a@" + "x" * 64 + ".org", "a@[300.1.1.1]", "",
])
def test_refused(address: str) -> None:
    assert not limesurvey_accepts(address)
