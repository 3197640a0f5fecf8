"""Field values read from a prompt by what the field is called: a model fills ``from_city`` with the
place after "from", ``age`` with the number next to a person, ``languages`` with the list after
"speaks". Each finder returns None when the text holds nothing for the field."""

from __future__ import annotations

import re
from typing import Any

from .text import _stem, words

_CAP = r"[A-Z][a-zA-Z'’-]+"
_CAPS = rf"{_CAP}(?:\s+(?:de|da|di|van|von|del|la|le)?\s*{_CAP})*"
_CAP_RUN = re.compile(rf"(?<![\w'])({_CAPS})")
_PLACE_AFTER = {
    "from": re.compile(rf"\bfrom\s+({_CAPS})"),
    "to": re.compile(rf"\b(?:to|for)\s+({_CAPS})"),
    "in": re.compile(rf"\b(?:in|at|based in|headquartered in|located in|near)\s+({_CAPS})"),
}
_PAIR = re.compile(rf"({_CAPS}),\s+({_CAPS})\b")
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_MONTHS = "january february march april may june july august september october november december".split()
_LONG_DATE = re.compile(
    r"\b(?:(\d{1,2})(?:st|nd|rd|th)?\s+("
    + "|".join(m.title() for m in _MONTHS)
    + r")\s*,?\s+(\d{4})|("
    + "|".join(m.title() for m in _MONTHS)
    + r")\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))\b"
)
_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")
_MONEY = re.compile(r"([$€£])\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s?(USD|EUR|GBP|dollars|euros?|pounds)\b")
_CODE = re.compile(r"\b[A-Z]{2,}[-_ ]?\d[\w-]*\b|\b[A-Z]+-\d{2,}(?:-\d+)*\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_NUMBER = re.compile(r"(?<![\w.:-])\d[\d,]*(?:\.\d+)?(?![\w:]|-\d)")
_NOT_PERSON = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday please hi hello dear thanks the a an i my our "
    "we she he they it this that urgent note book send schedule".split()
    + _MONTHS
)
_CURRENCY_CODE = re.compile(r"\b(USD|EUR|GBP|JPY|CHF|CAD|AUD|CNY|INR|SEK|NOK|DKK|PLN|BRL|MXN)\b")
_ROOM = re.compile(r"\b(?:Room|Rm|Hall|Suite)\s+[\w-]+")
_STREET = re.compile(
    rf"\b(\d+\s+{_CAPS}\s+(?:Street|St|Road|Rd|Avenue|Ave|Lane|Way|Boulevard|Blvd)|"
    rf"(?:Via|Rue|Calle|Avenida)\s+{_CAPS}\s+\d+|{_CAPS}(?:strasse|straße|weg|gasse)\s+\d+)"
)
_POSTCODE = re.compile(r"\b\d{4,5}\b(?!\s*(?:people|persons|units|employees|items))")

#: words that point at a field from the sentence ("she speaks ..." fills ``languages``)
_CUES = {
    "languag": ("speak", "speaks", "languages", "fluent"),
    "attende": ("with", "invite", "attendees", "participants"),
    "partici": ("with", "invite", "participants"),
    "ingredi": ("need", "needs", "use", "uses", "with", "contain", "contains", "ingredients"),
    "pro": ("love", "loves", "like", "likes", "pros", "great"),
    "con": ("dislike", "dislikes", "hate", "but", "cons"),
    "skill": ("know", "knows", "skills", "skilled"),
    "tag": ("about", "tags"),
    "colour": ("in", "colours", "colors"),
    "color": ("in", "colours", "colors"),
    "item": ("order", "ordered", "buy", "bought", "items"),
    "product": ("order", "ordered", "buy", "bought"),
}
_POSITIVE = frozenset("love loved great excellent amazing good like liked happy wonderful fantastic best".split())
_NEGATIVE = frozenset("hate hated terrible awful bad poor broken disappointed worst refund angry".split())


def field_words(name: str, description: str = "") -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    return {_stem(w) for w in words(f"{spaced} {description}")}


def _has(kw: set[str], *names: str) -> bool:
    return any(_stem(n) in kw for n in names)


def person_names(text: str) -> list[str]:
    """Capitalised runs that read as people: two words or more, not a place after from/to/in."""
    # "to X" is a place only on a route ("from A to B"); "send it to Maria Rossi" names a person
    kinds = ("from", "in", "to") if _PLACE_AFTER["from"].search(text) else ("from", "in")
    places = {m.group(1) for k in kinds for m in _PLACE_AFTER[k].finditer(text)}
    out = []
    for m in _CAP_RUN.finditer(text):
        run = m.group(1)
        parts = run.split()
        while parts and parts[0].lower() in _NOT_PERSON:
            parts = parts[1:]
        run = " ".join(parts)
        is_org = parts and parts[-1].lower() in _ORG_SUFFIX
        if len(parts) >= 2 and run not in places and run not in out and not is_org:
            out.append(run)
    return out


def places(text: str, kind: str) -> list[str]:
    return [m.group(1) for m in _PLACE_AFTER[kind].finditer(text) if m.group(1).split()[0].lower() not in _NOT_PERSON]


def iso_dates(text: str) -> list[str]:
    found = [(m.start(), m.group(0)) for m in _ISO.finditer(text)]
    for m in _LONG_DATE.finditer(text):
        day, month, year = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(5), m.group(4), m.group(6))
        found.append((m.start(), f"{year}-{_MONTHS.index(month.lower()) + 1:02d}-{int(day):02d}"))
    return [d for _, d in sorted(found)]


_ORG_SUFFIX = frozenset(
    "systems inc ltd llc gmbh corp corporation appliances group labs technologies company co plc airlines bank "
    "university institute foundation partners studios".split()
)


def enumerations(text: str) -> list[tuple[int, list[str]]]:
    """(position, items) of each list in the text: "French and German", "flour, milk, eggs and butter"."""
    item = r"[A-Za-z][\w'’-]*(?:\s+[A-Za-z][\w'’-]*){0,2}?"
    last = r"(?:[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,2}|[a-z][\w'’-]*)"
    rx = re.compile(rf"({item}(?:\s*,\s*{item})*\s*,?\s+and\s+{last})(?=[\s.,;!?]|$)")
    out = []
    for m in rx.finditer(text):
        items = [i.strip() for i in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", m.group(1)) if i.strip()]
        out.append((m.start(), items))
    return out


def list_value(name: str, description: str, text: str) -> list[str] | None:
    """The enumeration a list field asks for: the one after a cue word of the field ("speaks French
    and German" for ``languages``), else the people named for a field of people, else the only list."""
    kw = field_words(name, description)
    cues: set[str] = set()
    for stem, cue in _CUES.items():
        if any(k.startswith(stem[:6]) for k in kw):
            cues |= set(cue)
    found = enumerations(text)
    for pos, items in found:
        first = items[0].split()
        lowered = [w.lower() for w in first]
        cut = max((i for i, w in enumerate(lowered) if w in cues), default=None)
        before = words(text[max(0, pos - 30) : pos])[-2:]
        if cut is not None:
            return _trim_items([" ".join(first[cut + 1 :])] + items[1:])
        if set(before) & cues:
            return _trim_items(items)
    if _has(kw, "name", "attendee", "participant", "people", "person", "member", "guest"):
        people = person_names(text)
        if people:
            return people
    if len(found) == 1:
        items = found[0][1]
        first = items[0].split()
        caps = [w for w in first if w[:1].isupper()]
        head = " ".join(first[len(first) - len(caps) :]) if items[-1][:1].isupper() and caps else items[0]
        return _trim_items([head] + items[1:])
    return None


def _trim_items(items: list[str]) -> list[str]:
    return [
        i.split(" ", 1)[1] if i.split(" ", 1)[0].lower() in ("the", "a", "an", "some") and " " in i else i
        for i in items
    ]


def string_value(name: str, description: str, text: str, used: set[str]) -> str | None:
    kw = field_words(name, description)

    def first(cands: list[str]) -> str | None:
        return next((c for c in cands if not any(c in u for u in used)), None)

    if _has(kw, "email"):
        return first(_EMAIL.findall(text))
    if _has(kw, "date", "day", "deadline", "due", "since", "when", "birthday"):
        got = first(iso_dates(text))
        if got:
            return got
    if _has(kw, "time", "hour", "start", "starts"):
        got = first([m.group(0) for m in _TIME.finditer(text)])
        if got:
            return got
    if _has(kw, "id", "number", "code", "sku", "ticket", "invoice", "reference", "ref", "flight"):
        got = first([m.group(0) for m in _CODE.finditer(text)])
        if got:
            return got
    if _has(kw, "from", "origin", "departure", "source", "previous", "old"):
        got = first(places(text, "from"))
        if got:
            return got
    if _has(kw, "to", "destination", "arrival", "target", "new", "current"):
        got = first(places(text, "to"))
        if got and _has(kw, "city", "location", "place", "country", "destination", "arrival", "town"):
            return got
    if _has(kw, "street", "address"):
        got = first([m.group(0) for m in _STREET.finditer(text)])
        if got:
            return got
    if _has(kw, "postcode", "postal", "zip"):
        got = first(_POSTCODE.findall(text))
        if got:
            return got
    if _has(kw, "country", "nation"):
        got = first([m.group(2) for m in _PAIR.finditer(text)])
        if got:
            return got
    if _has(kw, "city", "location", "place", "town", "headquarters", "hq", "where", "venue", "room", "site"):
        pairs = [m.group(1) for m in _PAIR.finditer(text)]
        rooms = [m.group(0) for m in _ROOM.finditer(text)] if _has(kw, "room", "venue") else []
        found = rooms + pairs + places(text, "in") + places(text, "from") + places(text, "to")
        got = first([f for f in found if f not in person_names(text)] or found)
        if got:
            return got
    if _has(kw, "currency"):
        codes = [m.group(1) for m in _CURRENCY_CODE.finditer(text)]
        after_to = [m.group(1) for m in re.finditer(r"\b(?:to|into|in)\s+([A-Z]{3})\b", text)]
        pick = first(after_to) if _has(kw, "to", "target") else first(codes)
        if pick:
            return pick
        m = _MONEY.search(text)
        if m:
            sym = m.group(1) or m.group(4) or ""
            return {"$": "USD", "€": "EUR", "£": "GBP", "dollars": "USD", "euro": "EUR", "euros": "EUR"}.get(
                sym.lower() if sym.isalpha() else sym, sym.upper()
            )
    if _has(kw, "airline", "carrier", "company", "organisation", "organization", "brand", "employer", "firm"):
        runs = [m.group(1) for m in _CAP_RUN.finditer(text) if m.group(1).split()[0].lower() not in _NOT_PERSON]
        got = first([r for r in runs if r not in person_names(text)] + runs)
        if got:
            return got
    if _has(kw, "name", "person", "customer", "founder", "author", "contact", "sender", "speaker", "owner", "who"):
        got = first(person_names(text))
        if got:
            return got
    if _has(kw, "name", "title", "dish", "product", "item", "subject", "event"):
        runs = [m.group(1) for m in _CAP_RUN.finditer(text)]
        runs = [r for r in runs if r.split()[0].lower() not in _NOT_PERSON and r not in person_names(text)]
        got = first([r for r in runs if r not in places(text, "in") + places(text, "from") + places(text, "to")])
        if got and not _has(kw, "person", "customer", "founder", "author", "contact", "sender", "owner"):
            return got
    return None


def number_value(
    name: str, description: str, text: str, used_spans: set[int], integer: bool
) -> tuple[float, int] | None:
    """(value, position) of the number the field names, by unit words after it or cues before it."""
    kw = field_words(name, description)
    nums = [(m.start(), m.group(0)) for m in _NUMBER.finditer(text) if m.start() not in used_spans]
    dates = [(m.start(), m.end()) for m in _ISO.finditer(text)]
    nums = [(p, n) for p, n in nums if not any(a <= p < b for a, b in dates)]

    def val(raw: str) -> float:
        return float(raw.replace(",", ""))

    if _has(kw, "year", "founded", "established", "born"):
        for p, n in nums:
            if re.fullmatch(r"1[89]\d\d|20\d\d", n):
                return val(n), p
    if _has(kw, "price", "amount", "cost", "total", "sum", "fee", "salary", "budget", "paid"):
        for money in _MONEY.finditer(text):
            g = 2 if money.group(2) else 3
            return val(money.group(g)), money.start(g)
    age = re.search(r"\b(\d{1,3})\s*(?:years?\s+old|-year-old|yo\b)|\baged?\s+(\d{1,3})\b|,\s*(\d{1,3})\s*,", text)
    if _has(kw, "age", "old") and age:
        g = next(i for i in (1, 2, 3) if age.group(i))
        return val(age.group(g)), age.start(g)
    rating = re.search(r"\b(\d(?:\.\d)?)\s*(?:/\s*\d+|out of \d+|stars?)", text)
    if _has(kw, "rating", "score", "stars", "star") and rating:
        return val(rating.group(1)), rating.start(1)
    # a count: the number whose following words name the field ("240 people" for employees)
    wanted = kw - field_words("number of how many count total the a")
    for p, n in nums:
        after = [_stem(w) for w in words(text[p + len(n) : p + len(n) + 40])[:3]]
        before = [_stem(w) for w in words(text[max(0, p - 30) : p])[-3:]]
        if wanted & set(after) or wanted & set(before):
            return val(n), p
    return None


def sentiment(text: str, options: list[Any]) -> Any | None:
    low = set(words(text))
    pos, neg = len(low & _POSITIVE), len(low & _NEGATIVE)
    want = "positive" if pos > neg else "negative" if neg > pos else "neutral"
    return next((o for o in options if isinstance(o, str) and o.lower() == want), None)


def boolean_value(name: str, text: str) -> bool | None:
    kw = [w for w in words(re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ")) if w not in ("is", "has")]
    low = text.lower()
    for w in kw:
        at = low.find(w)
        if at >= 0:
            before = low[max(0, at - 20) : at]
            return not re.search(r"\b(?:no|not|without|don't|doesn't|never)\b", before)
    return None


def tidy_number(val: float) -> str:
    return str(int(val)) if val == int(val) else str(val)


def enum_value(name: str, options: list[Any], text: str) -> Any:
    """An enum option the text implies (sentiment words, urgency words), else the first option."""
    said = string_value(name, "", text, set())
    if said is not None and said in options:
        return said
    lowered = [o.lower() for o in options if isinstance(o, str)]
    if {"positive", "negative"} & set(lowered):
        got = sentiment(text, options)
        if got is not None:
            return got
    low = set(words(text))
    urgency = {"urgent": ("urgent", "critical", "asap", "immediately", "down", "outage")}
    for level, cues in urgency.items():
        if low & set(cues):
            for o in options:
                if isinstance(o, str) and o.lower() in (level, "high", "critical"):
                    return o
    return options[0]
