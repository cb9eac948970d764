"""Do the organisation name and acronym columns describe the same organisation on each row?

A 3W may carry two organisations per row: the reporting (or funding) partner and the implementing partner,
both as acronyms ("Partner" FAO, "Implementing partner" UOT). Paired as name and acronym they would make
one organisation out of two. They are a pair when the "name" column holds real names (it cannot then be
told apart from its acronym), or when most rows agree: the same text, one inside the other
("Norwegian Refugee Council (NRC)" / NRC), or the acronym spelled by the name's initials. When they are two,
the implementing partner is the presence (columns.py keeps it, unless the other column is clearly fuller).
"""
from __future__ import annotations

import re

from pipelines.lib.suggest.vocabulary import fold

IMPLEMENTING = {"implementing", "implementation", "implementer", "impl", "mise", "implementadora", "implementador",
                "implementacao", "ejecutora", "ejecutor"}
AGREE_FLOOR = 0.8  # share of rows where the two agree, for two acronym columns to be one organisation
ACRONYM_SHARE = 0.7  # share of short one-word values that makes a column hold acronyms


def implementing(column: str, hxl_tag: str | None) -> bool:
    """The column names the implementing partner ("Implementing partner", "Partenaire de mise en œuvre", +impl)."""
    words = set(re.split(r"[^0-9a-z]+", fold(f"{column} {hxl_tag or ''}")))
    return bool(words & IMPLEMENTING)


# Cells that name no organisation: int_presence's placeholders, and "No partner" / "Sans partenaire" / "Sin socio".
NO_ORGANISATION = {"not in the list", "other", "others", "autre", "autres", "n/a", "na", "none", "unknown",
                   "inconnu", "tbc", "tbd", "-", "0"}
_NO_WORD = re.compile(r"^(no|sans|sin|aucun|aucune|ningun|ninguna|nenhum)\b")


def fill(values: list[str | None]) -> int:
    """How many cells name an organisation."""
    return sum(1 for v in values if v and (t := fold(v).strip()) and t not in NO_ORGANISATION and not _NO_WORD.match(t))


def looks_like_acronyms(values: list[str]) -> bool:
    if not values:
        return False
    short = sum(1 for v in values if len(v) <= 12 and " " not in v.strip())
    return short / len(values) >= ACRONYM_SHARE


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", fold(text))


def _agree(name: str, acronym: str) -> bool:
    n, a = _key(name), _key(acronym)
    if not n or not a:
        return False
    initials = "".join(w[0] for w in re.split(r"[^0-9a-z]+", fold(name)) if w)
    return a == n or a in n or n in a or _subsequence(a, initials)


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return len(short) > 1 and all(ch in it for ch in short)


def two_organisations(names: list[str | None], acronyms: list[str | None]) -> str | None:
    """Why the two columns name different organisations (with an example), or None when they are a pair."""
    pairs = [(n.strip(), a.strip()) for n, a in zip(names, acronyms) if n and a and n.strip() and a.strip()]
    if not pairs or not looks_like_acronyms([n for n, _ in pairs]):
        return None
    agreeing = sum(1 for n, a in pairs if _agree(n, a))
    if agreeing / len(pairs) >= AGREE_FLOOR:
        return None
    n, a = next((n, a) for n, a in pairs if not _agree(n, a))
    return (f"both hold acronyms and agree on only {agreeing / len(pairs):.0%} of rows (e.g. {a!r} beside {n!r}): "
            "two organisations in different roles, not a name and its acronym")
