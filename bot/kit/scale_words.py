"""The Schaalvraag read right (issue 15): which way the scale runs, and what a score means, in
words. Phases 1 and 2 ask "hoe bezorgd ben je" while 1 = zeer bezorgd and 10 = niet bezorgd, so
a literal reading scores the opposite; every place a score is asked for or told says it.

The ends stay the catalogue's configurable labels (a maatwerk file rewords them). The words for
a score come from the language catalogue per kind of scale (its key's last part:
`bezorgdheid`, `kwaliteit_van_leven`); a scale a region added gets words drawn from its labels.
"""

from __future__ import annotations

from flows.model import Catalogue, Phase, Scale
from flows.scale import MAXIMUM, MINIMUM

from .i18n import catalogue, t

# Five bands of two scores: 1–2, 3–4, 5–6, 7–8, 9–10.
BANDS = 5


def scale_name(scale: Scale) -> str:
    return scale.key.rsplit(".", 1)[-1]


def _band(value: int) -> int:
    return min(BANDS - 1, max(0, (value - MINIMUM) * BANDS // (MAXIMUM - MINIMUM + 1)))


def _short(label: str) -> str:
    """A label's head: 'Zeer bezorgd: direct gevaar, …' -> 'zeer bezorgd'."""
    head = label.split(":", 1)[0].strip()
    return head[:1].lower() + head[1:]


def direction(lang: str, scale: Scale) -> str:
    """'1 = zeer bezorgd … 10 = niet bezorgd: hoe hoger, hoe minder zorgen.'"""
    low, high = scale.label_1.get(lang), scale.label_10.get(lang)
    key = f"scale_words.{scale_name(scale)}.direction"
    if key in catalogue(lang):
        return t(lang, key, low=_short(low), high=_short(high))
    return t(lang, "scale_words.direction", low=_short(low), high=_short(high))


def score_words(lang: str, scale: Scale, value: int) -> str:
    """What `value` means on `scale`: 'weinig zorgen', 'lage kwaliteit van leven'."""
    band = _band(value)
    key = f"scale_words.{scale_name(scale)}.bands"
    if key in catalogue(lang):
        return catalogue(lang)[key].split("|")[band].strip()
    low, high = _short(scale.label_1.get(lang)), _short(scale.label_10.get(lang))
    generic = t(lang, "scale_words.bands", low=low, high=high)
    return generic.split("|")[band].strip()


def scale_of(catalogue: Catalogue, key: str) -> tuple[Phase, Scale] | None:
    """The scale with `key` (a scale round's step key) and its phase, if the catalogue has it."""
    for phase in catalogue.phases:
        for section in phase.sections:
            if section.scale is not None and section.scale.key == key:
                return phase, section.scale
    return None


def scale_title(lang: str, catalogue: Catalogue, key: str) -> str:
    """'Directe veiligheid (1 = zeer bezorgd … 10 = niet bezorgd)': which scale a score is on."""
    found = scale_of(catalogue, key)
    if found is None:
        return key.split(".", 1)[0].replace("_", " ").capitalize() or "—"
    phase, scale = found
    return t(
        lang,
        "scale_words.title",
        phase=phase.title.get(lang),
        low=_short(scale.label_1.get(lang)),
        high=_short(scale.label_10.get(lang)),
    )
