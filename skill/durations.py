"""Durations as hobbyists write them (``90s``, ``2m``, ``1m30s``) and as the speaker says them."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+)\s*(h|m|s)")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[hms]\s*)+$")
_SECONDS = {"h": 3600, "m": 60, "s": 1}
_WORDS = {
    1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
    9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 15: "fifteen", 20: "twenty",
    30: "thirty", 40: "forty", 45: "forty-five", 50: "fifty",
}


def parse_duration(text: str) -> float | None:
    """Seconds in ``text`` (``"1m30s"`` → 90.0), or ``None`` when it is not a duration.

    >>> parse_duration("1m30s"), parse_duration("2m"), parse_duration("soon")
    (90.0, 120.0, None)
    """
    if not _WHOLE.match(text):
        return None
    return float(sum(int(n) * _SECONDS[unit] for n, unit in _PART.findall(text)))


def format_duration(seconds: float) -> str:
    """A compact form for tables: ``90`` → ``1m30s``."""
    total = round(seconds)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    parts = (f"{hours}h" if hours else "", f"{minutes}m" if minutes else "",
             f"{secs}s" if secs else "")
    return "".join(parts) or "0s"


def _count(n: int, unit: str) -> str:
    word = _WORDS.get(n, str(n))
    return f"{word} {unit}" + ("" if n == 1 else "s")


def spoken_duration(seconds: float) -> str:
    """How the speaker says a time span: ``90`` → ``one minute and thirty seconds``.

    Long spans are rounded the way people round them; nobody wants to hear
    "seven minutes and thirteen seconds" while they are talking.
    """
    total = max(0, round(seconds))
    if total < 60:
        return _count(max(total, 1), "second") if total else "no time"
    if total >= 180:
        minutes = round(total / 60)
        return _count(minutes, "minute")
    minutes, secs = divmod(total, 60)
    secs = 30 if 15 <= secs < 45 else 0 if secs < 15 else 60
    if secs == 60:
        minutes, secs = minutes + 1, 0
    text = _count(minutes, "minute")
    return f"{text} and {_count(secs, 'second')}" if secs else text
