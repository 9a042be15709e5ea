"""Personal data in free text and pseudonymous case codes (DESIGN §6)."""

from __future__ import annotations

import string
from itertools import accumulate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.personal_data import (
    CaseCodeProblem,
    Findings,
    WarningKind,
    find_bsn,
    normalise_case_code,
    scan,
    validate_case_code,
)

# --------------------------------------------------------------------------------------------
# BSN and the 11-proef


@pytest.mark.parametrize("bsn", ["111222333", "123456782", "999999990", "010000008"])
def test_known_valid_bsns_pass_the_11_proef(bsn: str) -> None:
    assert find_bsn(f"BSN cliënt: {bsn}.") == [bsn]
    assert find_bsn(f"cliënt {bsn}") == [bsn]  # nine digits need no keyword


@pytest.mark.parametrize(
    "value",
    [
        "123456789",  # fails the 11-proef
        "111222334",  # one digit off
        "000000000",  # passes the arithmetic but is never issued
        "00000000",  # the same, eight digits
        "12345678",  # eight digits that fail the 11-proef with a leading zero
        "40645679",  # one digit off a valid eight-digit BSN
        "1234567820",  # ten digits
        "1234567",  # seven digits: not a BSN as people write it
        "１２３４５６７８２",  # full-width digits are not what a BSN check means
    ],
)
def test_numbers_failing_the_11_proef_are_no_bsn_even_next_to_the_keyword(value: str) -> None:
    assert find_bsn(f"BSN: {value}") == []
    assert not scan(f"BSN: {value}").bsn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bsn 1234.56.782 bekend", ["123456782"]),
        ("bsn 123 456 782 bekend", ["123456782"]),
        ("bsn 123-456-782 bekend", ["123456782"]),
        ("bsn 123\u00a0456\u00a0782", ["123456782"]),
        ("moeder 111222333, kind 123456782", ["111222333", "123456782"]),
        ("geboren 12-03-1980 bsn 123.456.782", ["123456782"]),
        ("ZVH-123456782", ["123456782"]),
    ],
)
def test_bsn_is_found_in_the_ways_people_write_it(text: str, expected: list[str]) -> None:
    assert find_bsn(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "bel 0612345678",  # ten digits: a phone number
        "bel 06-12345678",
        "+31 111222333",  # a valid BSN shape, but written as an international phone number
        "0031 111222333",
        "rekening NL91ABNA0417164300",
        "9123456782",  # a valid BSN inside a longer run of digits
        "1234567829",
        "op 12-03-2024 om 14.30 uur",
        "nummers 123 456 782 12",  # a longer spaced number, not a grouped BSN
        "12.345.678,20 euro",
    ],
)
def test_no_bsn_inside_other_numbers(text: str) -> None:
    assert find_bsn(text) == []


def _weighted_sum(prefix: str) -> int:
    return sum(weight * int(d) for weight, d in zip(range(9, 1, -1), prefix, strict=True))


@given(st.text(alphabet=string.digits, min_size=8, max_size=8))
def test_at_most_one_ninth_digit_completes_eight_digits(prefix: str) -> None:
    # The check digit must equal the weighted sum mod 11, so exactly one of 0-9 works —
    # except when that sum is 10 mod 11 (no digit works) or for 00000000 (never issued).
    valid = [d for d in string.digits if find_bsn(prefix + d)]
    impossible = _weighted_sum(prefix) % 11 == 10 or prefix == "00000000"
    assert len(valid) == (0 if impossible else 1)


def _passes_11_proef(nine: str) -> bool:
    return nine != "000000000" and _weighted_sum(nine[:8]) % 11 == int(nine[8])


@st.composite
def valid_bsns(draw: st.DrawFn, leading_zero: bool = False) -> str:
    """A BSN made with the 11-proef; with `leading_zero` one that people write as eight digits."""
    first = "0" if leading_zero else draw(st.sampled_from(string.digits))
    prefix = first + draw(
        st.text(alphabet=string.digits, min_size=7, max_size=7).filter(
            lambda p: _weighted_sum(first + p) % 11 != 10 and first + p != "00000000"
        )
    )
    return prefix + str(_weighted_sum(prefix) % 11)


def _grouped(digits: str, sizes: tuple[int, ...], separator: str) -> str:
    ends = list(accumulate(sizes))
    return separator.join(digits[end - size : end] for end, size in zip(ends, sizes, strict=True))


# How people write a BSN: (group sizes, separator).
_NINE_DIGIT_STYLES = [((9,), ""), ((4, 2, 3), "."), ((3, 3, 3), " "), ((3, 3, 3), "-")]
_EIGHT_DIGIT_STYLES = [
    ((8,), ""),
    ((2, 3, 3), " "),
    ((2, 3, 3), "-"),
    ((3, 2, 3), "."),
    ((3, 2, 3), " "),
    ((3, 2, 3), "-"),
]


def _formatted(bsn: str, style: int) -> str:
    return _grouped(bsn, *_NINE_DIGIT_STYLES[style])


# Surrounding text without digits, so the only number in the message is the one we put in.
_PROSE = st.text(alphabet=string.ascii_letters + " .,:;!?()'\"\n-éë", max_size=40)


@given(valid_bsns(), st.integers(0, 3), _PROSE, _PROSE)
def test_a_valid_bsn_embedded_in_text_is_always_found(
    bsn: str, style: int, before: str, after: str
) -> None:
    text = f"{before} {_formatted(bsn, style)} {after}"
    assert find_bsn(text) == [bsn]
    assert scan(text).bsn


@given(valid_bsns(), st.integers(0, 8), st.integers(1, 9), st.integers(0, 3), _PROSE)
def test_a_bsn_with_one_digit_wrong_is_not_found(
    bsn: str, position: int, delta: int, style: int, before: str
) -> None:
    wrong = str((int(bsn[position]) + delta) % 10)
    typo = bsn[:position] + wrong + bsn[position + 1 :]
    text = f"{before} {_formatted(typo, style)}"
    assert find_bsn(text) == []
    assert not scan(text).bsn


@given(valid_bsns(), _PROSE)
def test_scan_result_never_contains_the_bsn(bsn: str, before: str) -> None:
    findings = scan(f"{before} {bsn} en 06-12345678 of j.jansen@example.nl")
    assert findings.bsn
    assert bsn not in repr(findings)
    assert "12345678" not in repr(findings)
    assert "jansen" not in repr(findings)


# --------------------------------------------------------------------------------------------
# BSN as eight digits (the leading zero left off): only next to "BSN" and its synonyms


@pytest.mark.parametrize(
    "text",
    [
        "BSN 40645678",
        "bsn: 40645678",
        "BSN-nr. 40645678",
        "BSN nummer: 40645678",
        "bsnnr:40645678",
        "Burgerservicenummer 40645678",
        "burgerservicenummer moeder: 40645678",
        "Sofinummer 40645678",
        "sofi-nummer: 40645678",
        "SOFI-NR 40645678",
        "BSN van de moeder: 40645678",  # three words between
        "40645678 (BSN)",
        "40645678 is haar bsn",
        "*BSN:* 40 645 678",
        "BSN 406.45.678",
        "BSN 406-45-678",
        "BSN-40645678",
        "BSN's: 40645678 en nog een",
        "BSN 40645678 12-03-1980",  # followed by the date of birth
    ],
)
def test_an_eight_digit_bsn_next_to_the_keyword_is_found(text: str) -> None:
    assert find_bsn(text) == ["040645678"]
    assert scan(text).bsn


def test_eight_and_nine_digit_bsns_are_found_in_order() -> None:
    text = "BSN moeder 40645678, kind 123456782, vader 18795134 (bsn)"
    assert find_bsn(text) == ["040645678", "123456782", "018795134"]


@pytest.mark.parametrize(
    "text",
    [
        "dossiernummer 40645678",  # no keyword: eight digits alone are too common
        "KvK 40645678",
        "Sofi 40645678",  # a first name, not "sofinummer"
        "Jobsnet 40645678",  # "bsn" inside another word
        "BSN bij de gemeente opgevraagd, dossier 40645678",  # five words between
        "40645678 staat in het dossier, het BSN niet",
        "BSN onbekend, bel 06-40645678",  # a mobile number ends in eight digits
        "BSN onbekend, bel 06 40645678",
        "BSN onbekend, bel +31 6 40645678",
        "BSN onbekend, bel 0031 640645678",
        "BSN-koppeling kost 40.645.678 euro",  # an amount
        "BSN niet bekend, casus ZVH-2026-014",
        "BSN aangevraagd op 12-03-2024 om 14.30 uur",
        "BSN aangevraagd op 2024-03-12, postcode 1234 AB",
        "BSN 40 645 678 12",  # a longer spaced number
        "BSN 4064 5678",
    ],
)
def test_no_eight_digit_bsn_in_other_numbers_or_without_the_keyword(text: str) -> None:
    assert find_bsn(text) == []
    assert not scan(text).bsn


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("BSN van de moeder: 40645678", True),
        ("BSN van de moeder is 40645678", False),
        ("40645678 is van het BSN", True),
        ("40645678 is van moeder het BSN", False),
    ],
)
def test_the_keyword_reaches_three_words_either_way(text: str, found: bool) -> None:
    assert scan(text).bsn is found


_KEYWORDS = st.sampled_from(
    ["BSN", "bsn:", "BSN-nr.", "bsn nummer", "Burgerservicenummer:", "sofinummer", "Sofi-nr"]
)
_FILLER = st.lists(st.sampled_from(["van", "moeder", "(kind)", "is", "het", "-"]), max_size=3)
# Dutch words without a keyword, to write a message around a number.
_PLAIN_WORDS = st.lists(
    st.sampled_from(["moeder", "kind", "dossier", "nummer", "KvK", "gesprek", "is", "de", "-"]),
    max_size=8,
)


def _eight_digit_form(eight: str, style: int) -> str:
    return _grouped(eight, *_EIGHT_DIGIT_STYLES[style])


def _next_to(keyword: str, filler: list[str], number: str, keyword_first: bool) -> str:
    between = " ".join(filler)
    return f"{keyword} {between} {number}" if keyword_first else f"{number} {between} {keyword}"


@given(
    valid_bsns(leading_zero=True),
    st.integers(0, 5),
    st.integers(0, 3),
    _KEYWORDS,
    _FILLER,
    st.booleans(),
    _PROSE,
    _PROSE,
)
def test_every_valid_bsn_is_found_next_to_a_keyword_in_eight_and_nine_digits(
    bsn: str,
    eight_style: int,
    nine_style: int,
    keyword: str,
    filler: list[str],
    keyword_first: bool,
    before: str,
    after: str,
) -> None:
    for number in (_eight_digit_form(bsn[1:], eight_style), _formatted(bsn, nine_style)):
        text = f"{before} {_next_to(keyword, filler, number, keyword_first)} {after}"
        assert find_bsn(text) == [bsn]
        assert scan(text).bsn


@given(
    st.text(alphabet=string.digits, min_size=1, max_size=12).filter(
        lambda digits: len(digits) > 9 or not _passes_11_proef(digits.zfill(9))
    ),
    _KEYWORDS,
    _FILLER,
    st.booleans(),
    _PROSE,
)
def test_digit_strings_failing_the_11_proef_are_never_a_bsn(
    digits: str, keyword: str, filler: list[str], keyword_first: bool, before: str
) -> None:
    forms = [digits]
    if len(digits) == 8:
        forms += [_eight_digit_form(digits, style) for style in range(1, 6)]
    if len(digits) == 9:
        forms += [_formatted(digits, style) for style in range(1, 4)]
    for number in forms:
        text = f"{before} {_next_to(keyword, filler, number, keyword_first)}"
        assert find_bsn(text) == []
        assert not scan(text).bsn


@given(valid_bsns(leading_zero=True), st.integers(0, 5), _PLAIN_WORDS, _PLAIN_WORDS)
def test_a_valid_eight_digit_bsn_without_a_keyword_is_not_flagged(
    bsn: str, style: int, before: list[str], after: list[str]
) -> None:
    text = " ".join([*before, _eight_digit_form(bsn[1:], style), *after])
    assert find_bsn(text) == []


@given(valid_bsns(leading_zero=True), _KEYWORDS, st.sampled_from(["-", " ", ""]))
def test_a_mobile_number_next_to_the_keyword_stays_a_phone_number(
    bsn: str, keyword: str, separator: str
) -> None:
    findings = scan(f"{keyword} onbekend, bel 06{separator}{bsn[1:]}")
    assert not findings.bsn
    assert findings.warnings == (WarningKind.PHONE,)


# --------------------------------------------------------------------------------------------
# Warnings


@pytest.mark.parametrize(
    "text",
    [
        "bel 06-12345678",
        "bel 06 12345678",
        "bel 0612345678",
        "bel 06 1234 5678",
        "bel +31 6 1234 5678",
        "bel +31612345678",
        "bel +31 (0)6 12345678",
        "bel 0031 6 12345678",
        "bel 020-1234567",
        "bel 010 123 4567",
        "bel (020) 123 4567",
        "bel 0595-123456",
        "bel +32 2 123 45 67",
    ],
)
def test_phone_numbers_warn(text: str) -> None:
    assert scan(text) == Findings(bsn=False, warnings=("phone",))


@pytest.mark.parametrize(
    "text",
    [
        "gesprek op 12-03-2024",
        "gesprek op 01-03-2024 12:30",
        "om 14.30 uur",
        "postcode 1234 AB",
        "schuld 1.250 euro",
        "06-1234567",  # nine digits: not a complete number
        "casus ZVH-2026-014",
        "vraag aan <@U012ABC>",
        "rekening NL91 ABNA 0417 1643 00",  # IBAN digits are not a phone number
    ],
)
def test_no_phone_warning_for_other_numbers(text: str) -> None:
    assert WarningKind.PHONE not in scan(text).warnings


@pytest.mark.parametrize(
    "text",
    [
        "mail j.jansen@example.nl",
        "mail <mailto:info@vt-regio.nl|info@vt-regio.nl>",
        "Piet.de.Vries+zvh@gemeente.amsterdam schreef",
    ],
)
def test_email_addresses_warn(text: str) -> None:
    assert scan(text) == Findings(bsn=False, warnings=("email",))


@pytest.mark.parametrize(
    "text",
    ["vraag aan <@U012ABC>", "ping @here", "jansen@ werk", "a@b", "prijs @ 5 euro"],
)
def test_no_email_warning_for_mentions_and_stray_at_signs(text: str) -> None:
    assert WarningKind.EMAIL not in scan(text).warnings


@pytest.mark.parametrize(
    "text",
    [
        "NL91ABNA0417164300",
        "rekening NL91 ABNA 0417 1643 00 van moeder",
        "rekening nl91abna0417164300",
        "BE68 5390 0754 7034 voor de huur",
        "DE89 3704 0044 0532 0130 00",
    ],
)
def test_ibans_warn(text: str) -> None:
    assert scan(text) == Findings(bsn=False, warnings=("iban",))


@pytest.mark.parametrize(
    "text",
    [
        "NL91ABNA0417164301",  # fails mod 97
        "NL12ABNA0417164300",
        "NL91 ABNA 0417 1643 0",  # a digit short
        "code AB12CDEF3456GH",  # no such country
        "ZVH2026014",
        "code NL63ZVH2026014ABCDE1",  # passes mod 97, but a Dutch account is 4 letters, 10 digits
    ],
)
def test_strings_that_are_not_ibans_do_not_warn(text: str) -> None:
    assert WarningKind.IBAN not in scan(text).warnings


def test_warnings_come_once_each_in_a_stable_order() -> None:
    text = "mail a@b.nl, bel 06-12345678 of 020-1234567, rekening NL91ABNA0417164300"
    assert scan(text) == Findings(bsn=False, warnings=("phone", "email", "iban"))


def test_bsn_and_warnings_are_reported_together() -> None:
    findings = scan("bsn 123456782, bel 06-12345678")
    assert findings.bsn
    assert findings.warnings == ("phone",)
    assert not findings.clean


def test_ordinary_case_notes_are_clean() -> None:
    text = (
        "Moeder geeft aan dat de situatie thuis rustiger is sinds 12-03-2024. "
        "Afspraak met wijkteam op 14.30 uur, casus ZVH-2026-014, schaalscore 6."
    )
    assert scan(text).clean


# --------------------------------------------------------------------------------------------
# Case codes


@pytest.mark.parametrize(
    "code",
    [
        "ZVH-2026-014",
        "VT-0042",
        "CASUS-17B",
        "zvh-2026-014",  # lower case is fine: it is normalised
        "Casus-17b",  # "Casus" is an ordinary word, not a name
        "  ZVH-2026-014  ",  # surrounding spaces from copy-paste
        "HG-3",
        "A1B",
        "VT-AL-0042",  # "AL" next to digits, not before a surname
        "ZVH-DEN-HAAG-14",  # a place name, not a person
        "BOB-2026-01",
        "X" * 31 + "1",
    ],
)
def test_accepted_case_codes(code: str) -> None:
    assert validate_case_code(code) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("", "length"),
        ("   ", "length"),
        ("A1", "length"),
        ("X" * 32 + "1", "length"),
        ("ZVH_2026_014", "characters"),
        ("ZVH 2026 014", "characters"),
        ("ZVH/2026/014", "characters"),
        ("ZVH-2026-0ë4", "characters"),
        ("ZVH-VT", "no_digit"),
        ("CASUS", "no_digit"),
        ("Jan de Vries", "looks_like_name"),
        ("jansen", "looks_like_name"),
        ("Fatima-El-Amrani", "looks_like_name"),
        ("FATIMA-EL-AMRANI", "looks_like_name"),
        ("M.deVries", "looks_like_name"),
        ("J. Jansen", "looks_like_name"),
        ("Jansen-2026", "looks_like_name"),
        ("VAN-DIJK-7", "looks_like_name"),
        ("de Vries 2", "looks_like_name"),
        ("ZVH-123456782", "bsn"),
        ("123.456.782", "bsn"),
        ("Jansen 123456782", "bsn"),  # the most serious problem wins
        ("BSN-40645678", "bsn"),
        ("ZVH-12-03-1980", "date"),
        ("ZVH-12031980", "date"),
        ("ZVH-19800312", "date"),
        ("ZVH-120380", "date"),
        ("ZVH-1980-03-12", "date"),
        ("12/03/80", "date"),
        ("Jansen-12-03-1980", "date"),
    ],
)
def test_refused_case_codes_say_why(code: str, reason: str) -> None:
    assert validate_case_code(code) == reason
    assert reason in set(CaseCodeProblem)


@pytest.mark.parametrize(
    "code",
    ["ZVH-2026-1203", "VT-000042", "CASUS-123456", "ZVH-31-13-80"],  # impossible dates
)
def test_numbers_that_are_not_dates_are_accepted(code: str) -> None:
    assert validate_case_code(code) is None


def test_normalise_case_code_trims_and_uppercases() -> None:
    assert normalise_case_code("  zvh-2026-014\n") == "ZVH-2026-014"


@given(
    st.text(alphabet=string.ascii_uppercase, min_size=1, max_size=5),
    st.integers(2000, 2099),
    st.integers(1, 999),
    st.booleans(),
)
def test_region_year_number_codes_are_accepted_in_either_case(
    region: str, year: int, number: int, lower: bool
) -> None:
    code = f"{region}-{year}-{number:03d}"
    typed = code.lower() if lower else code
    assert validate_case_code(typed) is None
    assert normalise_case_code(typed) == code
    assert validate_case_code(normalise_case_code(typed)) is None
