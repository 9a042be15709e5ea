"""What the chat page says under a field that Slack's client would not submit, in the person's
language (their Slack locale: Dutch or English; Dutch when it is neither)."""

from __future__ import annotations

from ..client_checks import Refusal

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "required": "Vul dit veld in.",
        "not_a_number": "Vul een getal in.",
        "not_whole": "Vul een heel getal in, zonder komma.",
        "range": "Kies een getal van {minimum} tot en met {maximum}.",
        "at_least": "Kies een getal van {minimum} of meer.",
        "at_most": "Kies een getal van {maximum} of minder.",
        "too_long": "Dit mag hoogstens {maximum} tekens lang zijn; nu zijn het er {length}.",
        "too_short": "Dit moet minstens {minimum} tekens lang zijn; nu zijn het er {length}.",
    },
    "en": {
        "required": "Please fill in this field.",
        "not_a_number": "Please enter a number.",
        "not_whole": "Please enter a whole number.",
        "range": "Choose a number from {minimum} to {maximum}.",
        "at_least": "Choose a number of {minimum} or more.",
        "at_most": "Choose a number of {maximum} or less.",
        "too_long": "This can be at most {maximum} characters; it is {length} now.",
        "too_short": "This must be at least {minimum} characters; it is {length} now.",
    },
}


def language(locale: str) -> str:
    code = locale.split("-")[0].lower()
    return code if code in TEXTS else "nl"


def _bounds(texts: dict[str, str], refusal: Refusal) -> str:
    if refusal.minimum is not None and refusal.maximum is not None:
        return texts["range"]
    if refusal.minimum is not None:
        return texts["at_least"]
    if refusal.maximum is not None:
        return texts["at_most"]
    return ""


def explain(refusal: Refusal, locale: str) -> str:
    texts = TEXTS[language(locale)]
    values = {"minimum": refusal.minimum, "maximum": refusal.maximum, "length": refusal.length}
    if refusal.reason in ("below_min", "above_max"):
        sentence = _bounds(texts, refusal)
    elif refusal.reason in ("not_a_number", "not_whole"):
        sentence = " ".join(t for t in (texts[refusal.reason], _bounds(texts, refusal)) if t)
    else:
        sentence = texts[refusal.reason]
    return sentence.format(**values)


def field_errors(refusals: list[Refusal], locale: str) -> dict[str, str]:
    """block_id -> the note under that field (the first refusal of a field wins)."""
    notes: dict[str, str] = {}
    for refusal in refusals:
        notes.setdefault(refusal.block_id, explain(refusal, locale))
    return notes
