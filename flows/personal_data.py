"""Spot personal data in free text, and check pseudonymous case codes.

DESIGN §6: free text containing a BSN is never stored; phone numbers, e-mail addresses and
IBANs only earn a private warning. Case codes must be pseudonymous. This module only *detects*:
the bot decides what to block and explains it in the user's language.

Privacy: the public API answers "is there a BSN / which kinds of data" and never hands the
matched values back (except `find_bsn`, kept for tests), so callers cannot log them by accident.

Pure: the standard library plus python-stdnum for the BSN 11-proef and the IBAN checksum (it
reads only its own bundled tables). DESIGN §2: flows/ does no I/O and imports no Slack,
database or bot code.
"""

from __future__ import annotations

import datetime as _dt
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby, pairwise

from stdnum import iban
from stdnum.nl import bsn


class WarningKind(StrEnum):
    """Stable codes for data that is allowed but deserves a warning."""

    PHONE = "phone"
    EMAIL = "email"
    IBAN = "iban"


class CaseCodeProblem(StrEnum):
    """Stable reason codes for refusing a case code; the bot maps each to a Dutch sentence."""

    LENGTH = "length"
    CHARACTERS = "characters"
    NO_DIGIT = "no_digit"
    LOOKS_LIKE_NAME = "looks_like_name"
    BSN = "bsn"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Findings:
    """What `scan` found: a BSN blocks the message, warnings are shown privately."""

    bsn: bool
    warnings: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.bsn and not self.warnings


# --------------------------------------------------------------------------------------------
# BSN
#
# The 11-proef is python-stdnum's (`stdnum.nl.bsn`); this module decides which numbers in free
# text are worth checking.

# Numbers people write: digits joined by single dots, dashes or (non-breaking) spaces.
_DIGIT_CHAIN = re.compile(r"[0-9]+(?:[ .\-\u00a0][0-9]+)*")
_SPLIT_CHAIN = re.compile(r"([ .\-\u00a0])")
_ANY_SEPARATOR = " .-\u00a0"
_Groupings = Mapping[tuple[int, ...], str]
# How a BSN is commonly grouped (group lengths -> separators allowed between the groups):
# 123 456 782 and 1234.56.782, plus nine digits in one go.
_NINE_DIGIT_GROUPINGS: _Groupings = {(3, 3, 3): _ANY_SEPARATOR, (4, 2, 3): _ANY_SEPARATOR}
# The same with the leading zero left off: 40 645 678 and 406.45.678, plus 40645678.
# "40.645.678" is how an amount is written, so dots do not join 2-3-3.
_EIGHT_DIGIT_GROUPINGS: _Groupings = {(2, 3, 3): " -\u00a0", (3, 2, 3): _ANY_SEPARATOR}

# Eight digits are too common to flag on their own (KvK and dossier numbers, dates typed without
# dashes), so they count only near one of these words, in any case and with or without
# "nr"/"nummer": BSN, bsn-nr., BSN-nummer, burgerservicenummer, sofinummer, sofi-nr. Plain
# "sofi" is a first name, so it needs its "nummer".
_BSN_KEYWORD = re.compile(
    r"(?<![^\W\d_])"
    r"(?:bsn(?:[ -]?(?:nummer|nr))?|burger[ -]?service[ -]?(?:nummer|nr)|sofi[ -]?(?:nummer|nr))"
    r"s?(?![^\W\d_])",
    re.IGNORECASE,
)
# "Near": at most this many words between the keyword and the number, before or after it
# ("BSN van moeder: 40645678", "40645678 is het BSN").
_KEYWORD_REACH = 3
_WORD = re.compile(r"\S+")


def _numbers_written_as(
    text: str, length: int, groupings: _Groupings
) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, digits) for every number in `text` written as `length` digits in one
    go or grouped as in `groupings`.

    A group of exactly `length` digits counts wherever it stands: missing a BSN is worse than a
    false alarm, dates are not written with such a group, and callers take out phone numbers and
    IBANs first. A grouped form counts only when its separator does not continue
    ("123 456 782 12" is a longer number).
    """
    for chain in _DIGIT_CHAIN.finditer(text):
        parts = _SPLIT_CHAIN.split(chain.group())
        groups, separators = parts[0::2], parts[1::2]
        offsets = []
        offset = chain.start()
        for index, group in enumerate(groups):
            offsets.append(offset)
            offset += len(group) + (1 if index < len(separators) else 0)
        for index, group in enumerate(groups):
            if len(group) == length:
                yield offsets[index], offsets[index] + length, group
        position = 0
        for separator, run in groupby(separators):
            run_length = len(list(run))
            first, last = position, position + run_length  # groups first..last are joined
            position += run_length
            if run_length != 2:
                continue
            shape = tuple(len(groups[i]) for i in range(first, last + 1))
            if separator in groupings.get(shape, ""):
                end = offsets[last] + len(groups[last])
                yield offsets[first], end, "".join(groups[first : last + 1])


def _eight_digit_candidates(text: str) -> Iterator[tuple[int, str]]:
    """Yield (position, eight digits) for every eight-digit number near a BSN keyword.

    A national phone number is taken out first: in "BSN onbekend, bel 06-40645678" the last
    eight digits are part of the phone number, not a BSN.
    """
    keywords = [match.span() for match in _BSN_KEYWORD.finditer(text)]
    if not keywords:
        return
    masked = _mask(text, _national_phone_spans(text))  # "#" keeps the words where they were
    word_starts = [match.start() for match in _WORD.finditer(masked)]

    def word_at(position: int) -> int:
        return bisect_right(word_starts, position) - 1

    keyword_words = [(word_at(start), word_at(end - 1)) for start, end in keywords]
    for start, end, digits in _numbers_written_as(masked, 8, _EIGHT_DIGIT_GROUPINGS):
        first, last = word_at(start), word_at(end - 1)
        # Words strictly between the two; -1 when the number is glued on ("BSN:40645678").
        if any(
            max(first - keyword_last, keyword_first - last) - 1 <= _KEYWORD_REACH
            for keyword_first, keyword_last in keyword_words
        ):
            yield start, digits


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    # Overwrite with a character that is neither digit nor separator, so masked numbers
    # cannot glue onto their neighbours and offsets stay the same.
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "#" * (end - start)
    return "".join(chars)


def find_bsn(text: str) -> list[str]:
    """Every BSN in `text` as nine digits (an eight-digit one with its leading zero put back),
    in order of appearance (for tests and tooling)."""
    return _find_bsn_in(_mask(text, _iban_spans(text)))


def _find_bsn_in(iban_masked: str) -> list[str]:
    # "+31 612345678" holds a nine-digit group that passes the 11-proef one time in eleven:
    # a number with an international prefix is a phone number, so it is taken out first.
    masked = _mask(iban_masked, _international_phone_spans(iban_masked))
    candidates = [
        (start, digits)
        for start, _end, digits in _numbers_written_as(masked, 9, _NINE_DIGIT_GROUPINGS)
    ]
    candidates.extend(_eight_digit_candidates(masked))
    return [bsn.compact(digits) for _, digits in sorted(candidates) if bsn.is_valid(digits)]


# --------------------------------------------------------------------------------------------
# Warnings: phone numbers, e-mail addresses, IBANs

# Between two digits of a phone number people put one space, dot, dash or slash, or close
# the area code with ")" as in "(020) 123 4567".
_PHONE_SEP = r"(?:[ .\-/]|\) ?)?"
# Dutch national numbers have ten digits and start with 0 (but not 00, the international prefix).
_NATIONAL_PHONE = re.compile(
    rf"(?<![\w+])(?<![0-9][.\-])\(?0{_PHONE_SEP}[1-9](?:{_PHONE_SEP}[0-9]){{8}}"
    r"(?![0-9])(?![.\-/][0-9])"
)
# International: +CC or 00CC followed by the rest; E.164 allows at most 15 digits. "(0)" as in
# "+31 (0)6 ..." is common and ignored.
_INTERNATIONAL_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9](?:[ .\-]?(?:\(0\) ?)?[0-9]){7,14}(?![0-9])(?![.\-][0-9])"
)
# "01-03-2024 12:30" has ten digits starting with 0 but is a date and a time.
_LEADING_DATE = re.compile(
    r"\(?(?:0?[1-9]|[12][0-9]|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)[0-9]{2}(?![0-9])"
)
_EMAIL = re.compile(
    r"(?<![\w.+%-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
# IBANs are written in one go or in groups of four; letters may be typed in lower case.
_IBAN_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?"
    r"(?![A-Za-z0-9])"
)


def _international_phone_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _INTERNATIONAL_PHONE.finditer(text)]


def _national_phone_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _NATIONAL_PHONE.finditer(text) if not _LEADING_DATE.match(m.group())]


def _has_phone(text: str) -> bool:
    return bool(_INTERNATIONAL_PHONE.search(text) or _national_phone_spans(text))


def _is_iban(candidate: str) -> bool:
    # Mod 97 and the country's account format from the IBAN registry. Not stdnum's national
    # bank lists (check_country): they go stale, and a real account at a bank they miss
    # (BE68 5390 0754 7034) still deserves the warning.
    return iban.is_valid(candidate, check_country=False)


def _iban_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _IBAN_CANDIDATE.finditer(text):
        # A spaced IBAN can swallow a following four-letter word ("... 7034 voor"), so try
        # shorter prefixes of the groups until one validates.
        groups = match.group().split(" ")
        for count in range(len(groups), 0, -1):
            prefix = " ".join(groups[:count])
            if _is_iban(prefix):
                spans.append((match.start(), match.start() + len(prefix)))
                break
    return spans


def scan(text: str) -> Findings:
    """Check free text before it is stored: `bsn` blocks it, `warnings` are shown privately.

    Only the kinds of data are returned, never the values, so nothing sensitive can leak
    into logs through the result.
    """
    ibans = _iban_spans(text)
    # The digits of an IBAN ("NL91 ABNA 0417 1643 00") would otherwise read as a phone number.
    without_ibans = _mask(text, ibans)
    warnings: list[str] = []
    if _has_phone(without_ibans):
        warnings.append(WarningKind.PHONE)
    if _EMAIL.search(text):
        warnings.append(WarningKind.EMAIL)
    if ibans:
        warnings.append(WarningKind.IBAN)
    return Findings(bsn=bool(_find_bsn_in(without_ibans)), warnings=tuple(warnings))


# --------------------------------------------------------------------------------------------
# Case codes

CASE_CODE_MIN_LENGTH = 3
CASE_CODE_MAX_LENGTH = 32
_CASE_CODE_CHARACTERS = re.compile(r"[A-Za-z0-9-]+")

# Words that sit before a surname ("Jan de Vries", "Fatima El Amrani").
_NAME_PARTICLES = frozenset(
    "VAN VON DE DER DEN HET TER TEN TE EL AL LA LE DU DA DI BEN BIN".split()
)
# Place names that start with a particle are fine in a regional code ("ZVH-DEN-HAAG-14").
_PLACES_WITH_PARTICLE = frozenset(
    tuple(place.split())
    for place in (
        "DEN HAAG",
        "DEN HELDER",
        "DEN BOSCH",
        "DEN HAM",
        "DE BILT",
        "DE WOLDEN",
        "DE LIER",
        "DE RONDE",
        "TER APEL",
        "TER AAR",
        "TEN BOER",
    )
)
# Ordinary words admins capitalise in codes; without this list "Casus-17" would look like a name.
_CODE_WORDS = frozenset({"CASUS", "ZAAK", "DOSSIER", "ZVH", "BOB", "REGIO", "CODE", "OVERLEG"})

_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|[0-9]+")
_DMY_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})([-./ ])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?![0-9])")
_YMD_DATE = re.compile(r"(?<![0-9])([0-9]{4})([-./ ])([0-9]{1,2})\2([0-9]{1,2})(?![0-9])")
_DIGIT_RUN = re.compile(r"[0-9]+")


def normalise_case_code(code: str) -> str:
    """The stored form of a case code: surrounding whitespace removed, upper case."""
    return code.strip().upper()


def _is_day_month(day: str, month: str) -> bool:
    try:
        _dt.date(2000, int(month), int(day))  # 2000 is a leap year, so 29-02 counts
    except ValueError:
        return False
    return True


def _is_full_year(year: str) -> bool:
    return len(year) == 4 and 1900 <= int(year) <= 2099


def _contains_date(code: str) -> bool:
    for match in _DMY_DATE.finditer(code):
        day, _, month, year = match.groups()
        if _is_day_month(day, month) and (len(year) == 2 or _is_full_year(year)):
            return True
    for match in _YMD_DATE.finditer(code):
        year, _, month, day = match.groups()
        if _is_full_year(year) and _is_day_month(day, month):
            return True
    for run in _DIGIT_RUN.findall(code):
        if len(run) == 8 and (
            (_is_day_month(run[:2], run[2:4]) and _is_full_year(run[4:]))
            or (_is_full_year(run[:4]) and _is_day_month(run[6:], run[4:6]))
        ):
            return True
        if len(run) == 6 and _is_day_month(run[:2], run[2:4]):
            return True
    return False


def _tokens(code: str) -> list[str]:
    """Letter words and digit runs, with "deVries" split into "de" + "Vries"."""
    tokens: list[str] = []
    for token in _LETTERS_OR_DIGITS.findall(code):
        start = 0
        for i in range(1, len(token)):
            if token[i - 1].islower() and token[i].isupper():
                tokens.append(token[start:i])
                start = i
        tokens.append(token[start:])
    return tokens


def _looks_like_name(code: str) -> bool:
    tokens = _tokens(code)
    words = [t for t in tokens if not t.isdigit()]
    # Written like a name: capital then lower case, e.g. "Jansen", "Vries" in "M.deVries".
    if any(
        len(w) >= 3 and w[0].isupper() and w[1:].islower() and w.upper() not in _CODE_WORDS
        for w in words
    ):
        return True
    # A name particle directly followed by another word: "van Dijk", "VAN-DIJK-7", "EL AMRANI".
    for first, second in pairwise(tokens):
        pair = (first.upper(), second.upper())
        if (
            pair[0] in _NAME_PARTICLES
            and not second.isdigit()
            and len(second) >= 2
            and pair not in _PLACES_WITH_PARTICLE
        ):
            return True
    # No digits and typed like ordinary writing (lower case, spaces, dots): "jansen", "J. Jansen".
    if not any(ch.isdigit() for ch in code) and words:
        return any(ch.islower() for ch in code) or any(ch in code for ch in " .'")
    return False


def validate_case_code(code: str) -> str | None:
    """Return a `CaseCodeProblem` code when `code` is not an acceptable pseudonymous code.

    Validate what the user typed (case matters for spotting names), then store
    `normalise_case_code(code)`. Checks run in order of severity, the first one that fails wins:

    - length: 3 to 32 characters (ignoring surrounding spaces).
    - bsn: it contains a BSN (nine digits passing the 11-proef, or eight next to "BSN").
    - date: it contains a full date (day, month and year), which could be a date of birth.
    - looks_like_name: it is written like a person's name — a word with a capital followed by
      lower case, a name particle (van, de, el, ...) before another word, or letters only typed
      in lower case or with spaces or dots.
    - characters: only letters A–Z, digits and dashes are allowed.
    - no_digit: it must contain a digit (a code of letters only reads like a name or a word).
    """
    stripped = code.strip()
    if not CASE_CODE_MIN_LENGTH <= len(stripped) <= CASE_CODE_MAX_LENGTH:
        return CaseCodeProblem.LENGTH
    if find_bsn(stripped):
        return CaseCodeProblem.BSN
    if _contains_date(stripped):
        return CaseCodeProblem.DATE
    if _looks_like_name(stripped):
        return CaseCodeProblem.LOOKS_LIKE_NAME
    if not _CASE_CODE_CHARACTERS.fullmatch(stripped):
        return CaseCodeProblem.CHARACTERS
    if not any(ch.isdigit() for ch in stripped):
        return CaseCodeProblem.NO_DIGIT
    return None
