"""Pseudonyms: one per person whatever the written form of the id, keyed, not reversible."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bip_bridge.pseudonyms import normalise_external_id, pseudonymise

KEY = b"test-key-0123456789abcdef"
TODAY = date(2026, 3, 1)


@pytest.mark.parametrize("written", [
    "19811218-9876", "198112189876", "811218-9876", "8112189876", " 811218-9876 ",
])
def test_every_form_of_a_personnummer_normalises_to_12_digits(written: str) -> None:
    assert normalise_external_id(written, today=TODAY) == "198112189876"


def test_century_of_ten_digit_forms() -> None:
    result = [normalise_external_id(x, today=TODAY)
              for x in ("121212-1212", "121212+1212", "261231-1239")]
    # '-': under 100 on TODAY; '+': 100 or older; a birthday later this year is last century
    expected = ["201212121212", "191212121212", "192612311239"]
    assert result == expected


def test_other_ids_are_stripped_and_casefolded() -> None:
    assert normalise_external_id("  AB-17 ") == "ab-17"
    assert normalise_external_id("Straße-1") == "strasse-1"


def test_pseudonym_is_hmac_sha256_hex_of_the_normalised_id() -> None:
    expected = hmac.new(KEY, b"198112189876", hashlib.sha256).hexdigest()
    assert pseudonymise("811218-9876", KEY, today=TODAY) == expected
    assert len(expected) == 64


def test_another_key_gives_another_pseudonym() -> None:
    assert pseudonymise("X-1", KEY) != pseudonymise("X-1", KEY + b"!")


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError):
        pseudonymise("X-1", b"")


@given(st.text(min_size=1, max_size=30))
def test_pseudonym_is_stable_under_case_and_surrounding_space(raw: str) -> None:
    assert pseudonymise(raw, KEY, today=TODAY) == pseudonymise(
        f"  {raw.upper()}\t", KEY, today=TODAY) or raw.upper().casefold() != raw.casefold()
