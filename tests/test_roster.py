"""Roster validation: every rejection, listed by line, and Swedish Excel's files."""

from __future__ import annotations

from datetime import date

import pytest

from bip_bridge.errors import DataInvalid, Problem
from bip_bridge.roster import ROSTER_COLUMNS, parse_roster

TODAY = date(2026, 3, 15)
HEADER = ",".join(ROSTER_COLUMNS)
# valid personnummer (Luhn check digit correct)
PNR_A = "19121212-1212"
PNR_B = "811218-9876"


def roster(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def problems(data: bytes) -> list[Problem]:
    with pytest.raises(DataInvalid) as info:
        parse_roster(data, today=TODAY, source="ROSTER.csv")
    return list(info.value.problems)


def test_valid_roster_parses() -> None:
    data = roster(f"{PNR_A},Anna,anna@example.org,sv,2026-01-31,HL-017,karin@example.org",
                  f"{PNR_B},Mads,mads@example.org,DA,2026-03-15,HL-018,sofie@example.org")
    rows = parse_roster(data, today=TODAY)
    result = [(r.line, r.external_id, r.first_name, r.language, r.enrolled_on, r.caseworker_id)
              for r in rows]
    expected = [(2, PNR_A, "Anna", "sv", date(2026, 1, 31), "HL-017"),
                (3, PNR_B, "Mads", "da", date(2026, 3, 15), "HL-018")]
    assert result == expected


def test_swedish_excel_semicolon_bom_crlf() -> None:
    text = ("\ufeff" + ";".join(ROSTER_COLUMNS) + "\r\n"
            f"{PNR_A};Åsa;asa@example.org;sv;2026-01-31;HL-017;karin@example.org\r\n"
            ";;;;;;\r\n")  # Excel's trailing empty row
    rows = parse_roster(text.encode("utf-8"), today=TODAY)
    assert [(r.first_name, r.email, r.caseworker_email) for r in rows] == [
        ("Åsa", "asa@example.org", "karin@example.org")]


def test_comma_file_with_quoted_fields_and_column_order() -> None:
    header = "first_name,external_id,email,language,enrolled_on,caseworker_id,caseworker_email"
    data = roster(f'"Anna, Maria",{PNR_A},anna@example.org,en,2026-01-01,CW1,k@example.org',
                  header=header)
    rows = parse_roster(data, today=TODAY)
    assert [(r.first_name, r.external_id) for r in rows] == [("Anna, Maria", PNR_A)]


def test_every_problem_is_listed_by_line() -> None:
    data = roster(
        f"{PNR_A},Anna,anna@example.org,sv,2026-01-31,HL-017,karin@example.org",  # 2 ok
        ",Bo,bo@example.org,sv,2026-01-31,HL-017,karin@example.org",  # 3 missing id
        "X-1,Cia,cia-at-example.org,sv,2026-01-31,HL-017,karin@example.org",  # 4 bad email
        "X-2,Dan,dan@example.org,fi,2026-01-31,HL-017,karin@example.org",  # 5 language
        "X-3,Eva,eva@example.org,sv,31/01/2026,HL-017,karin@example.org",  # 6 date format
        "X-4,Fia,fia@example.org,sv,2026-03-16,HL-017,karin@example.org",  # 7 future
        "19121212-1213,Gun,gun@example.org,sv,2026-01-31,HL-017,karin@example.org",  # 8 checksum
        "121212+1212,Hal,hal@example.org,sv,2026-01-31,HL-017,karin@example.org",  # 9 dup of 2
        "X-5,Ida,ida@example.org,sv,2026-01-31,Karin Berg,karin@example.org",  # 10 a name
        "X-6,Jan,jan@example.org,sv,2026-01-31,HL-017,other@example.org",  # 11 2nd address
        " x-1 ,Kim,kim@example.org,sv,2026-01-31,HL-018,s@example.org",  # 12 dup of 4
        "X-7,Li,li@example.org,sv,2026-02-30,HL-018,s@example.org",  # 13 no such date
        "X-8,Mo,mo@example.org,sv",  # 14 too few fields
        "X-9,,no@example.org,sv,2026-01-31,kberg,s@example.org",  # 15 name missing, cw no digit
        "991301-1234,Ny,ny@example.org,sv,2026-01-31,HL-018,s@example.org",  # 16 month 13
    )
    result = [(p.where, p.what) for p in problems(data)]
    expected = [
        ("ROSTER.csv line 3", "external_id is missing"),
        ("ROSTER.csv line 4", "email is not an address LimeSurvey accepts (it would answer "
         "'Invalid email address.')"),
        ("ROSTER.csv line 5", "language 'fi' is not supported"),
        ("ROSTER.csv line 6", "enrolled_on '31/01/2026' is not a date"),
        ("ROSTER.csv line 7", "enrolled_on 2026-03-16 is in the future"),
        ("ROSTER.csv line 8",
         "external_id is not a valid personnummer: the check digit (last digit) is wrong"),
        ("ROSTER.csv line 11", "caseworker HL-017 has another e-mail address on line 2"),
        ("ROSTER.csv line 12", "external_id duplicates line 4"),
        ("ROSTER.csv line 13", "enrolled_on '2026-02-30' is not a date"),
        ("ROSTER.csv line 14", "4 fields instead of 7"),
        ("ROSTER.csv line 15", "first_name is missing"),
        ("ROSTER.csv line 15", "caseworker_id looks like a name, not a code"),
        ("ROSTER.csv line 16", "external_id is not a valid personnummer: the birth date (the "
         "first 6 or 8 digits) does not exist"),
        ("ROSTER.csv line 9", "external_id duplicates line 2"),
        ("ROSTER.csv line 10", "caseworker_id looks like a name, not a code"),
    ]
    assert sorted(result) == sorted(expected)


def test_the_same_personnummer_in_two_forms_is_a_duplicate() -> None:
    data = roster(f"{PNR_B},A,a@example.org,sv,2026-01-01,CW1,k@example.org",
                  "198112189876,B,b@example.org,sv,2026-01-01,CW1,k@example.org")
    assert [(p.where, p.what) for p in problems(data)] == [
        ("ROSTER.csv line 3", "external_id duplicates line 2")]


@pytest.mark.parametrize(("header", "what"), [
    ("external_id,first_name,email,language,enrolled_on,caseworker_id",
     "missing column(s) caseworker_email"),
    (HEADER + ",personnummer", "unknown column(s) personnummer"),
])
def test_wrong_header(header: str, what: str) -> None:
    data = roster("x", header=header)
    assert [(p.where, p.what) for p in problems(data)] == [("ROSTER.csv line 1", what)]


def test_not_utf8_is_refused_with_a_fix() -> None:
    data = (HEADER + "\nX-1,Åsa,a@example.org,sv,2026-01-01,CW1,k@example.org\n").encode("cp1252")
    with pytest.raises(DataInvalid) as info:
        parse_roster(data, today=TODAY, source="ROSTER.csv")
    assert info.value.hint is not None and "CSV UTF-8" in info.value.hint


def test_empty_and_header_only() -> None:
    assert problems(b"")[0].what == "no header row"
    assert problems(roster())[0].what == "no data rows"


def test_row_repr_holds_no_personal_data() -> None:
    rows = parse_roster(roster(f"{PNR_A},Anna,anna@example.org,sv,2026-01-31,HL-017,"
                               "karin@example.org"), today=TODAY)
    text = repr(rows)
    for secret in (PNR_A, "Anna", "anna@example.org", "karin@example.org"):
        assert secret not in text


@pytest.mark.parametrize("mangled", ["1,97001E+11", "1.97001E+11", "1,97E+11", "2e+11"])
def test_an_id_a_spreadsheet_turned_into_a_number_is_refused(mangled: str) -> None:
    """Issue 13 case 9: `1,97001E+11` was accepted as an id (digits lost)."""
    data = roster(f'"{mangled}",A,a@example.org,sv,2026-01-01,CW1,k@example.org')
    [problem] = problems(data)
    assert problem.where == "ROSTER.csv line 2"
    assert "spreadsheet" in problem.what and "Text" in problem.expected


def test_problems_never_echo_personal_values() -> None:
    """Issue 13 case 6: roster errors echoed names and birth dates."""
    data = roster("991301-1234,Sigrid,sigrid@example.org,sv,2026-01-31,HL-018,s@example.org",
                  "X-5,Ida,ida@example.org,sv,2026-01-31,Karin Berg,karin@example.org",
                  "X-6,Åsa,not-an-address,sv,2026-01-31,HL-018,s@example.org")
    with pytest.raises(DataInvalid) as info:
        parse_roster(data, today=TODAY)
    text = f"{info.value} {info.value.hint}"
    for value in ("991301", "Sigrid", "Karin Berg", "Åsa", "not-an-address", "X-5", "X-6"):
        assert value not in text, value
    assert "line 2" in text and "line 3" in text and "line 4" in text


def test_an_address_limesurvey_refuses_is_refused_by_line_and_field() -> None:
    """Issue 13 case 6: `björna010.a10@mail.example.org` passed validation; LimeSurvey 6.14
    refused it ("Invalid email address.") and the person got no token."""
    data = roster("X-1,Björn,björna010.a10@mail.example.org,sv,2026-01-31,HL-017,k@example.org",
                  "X-2,Åsa,asa@exämple.se,sv,2026-01-31,HL-017,k@example.org")
    [problem] = problems(data)
    assert problem.where == "ROSTER.csv line 2"
    assert problem.what.startswith("email is not an address LimeSurvey accepts")
    assert "björna010" not in problem.what + problem.expected


def test_people_without_an_email_address_are_accepted() -> None:
    """Issue 12: a roster line without an e-mail address refused the whole file."""
    rows = parse_roster(roster("X-1,Bo,,sv,2026-01-31,HL-017,k@example.org",
                               "X-2,Cia,cia@example.org,sv,2026-01-31,HL-017,k@example.org"),
                        today=TODAY)
    assert [r.email for r in rows] == ["", "cia@example.org"]
    data = roster("X-3,Dan,dan@example.org,sv,2026-01-31,HL-017,")
    assert [(p.where, p.what) for p in problems(data)] == [
        ("ROSTER.csv line 2", "caseworker_email is missing")]
