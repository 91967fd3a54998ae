"""Weekly schedules as households say them ("every weekday at 21:00") and as cron writes them.

A :class:`Recurrence` is a set of weekdays and one time of day. :func:`parse_recurrence`
reads one from what people write or say, in any sensible order and any case::

    every weekday at 21:00          weekdays at 9pm           sundays at 20:30
    every sunday at eight thirty pm on mondays and thursdays at 7:45 pm
    at 21:00 every friday           mon-fri 6:30              midnight every day
    every tuesday, thursday and saturday at half past seven in the evening
    every evening at nine           every day except sunday at 7

and from a five-field cron expression limited to one minute and one hour (``30 20 * * 0``,
``0 21 * * 1-5``, ``15 7 * * mon,wed``). :meth:`Recurrence.describe` says a schedule back
(``every Monday and Thursday at 18:00``) in words that parse to the same schedule, and
:meth:`Recurrence.cron_fields` gives APScheduler's ``CronTrigger`` keywords. Nothing here
does I/O or imports APScheduler.

**How an hour is read.** A time is read on the 24-hour clock unless something says
otherwise: ``at 9`` and ``at nine`` are 09:00, ``21:00`` is 21:00, ``half past seven`` is
07:30. Only an explicit cue moves an hour of 1-12 into the afternoon or evening:

* ``am`` / ``pm`` (also ``a.m.``, ``p m``): the 12-hour clock; ``12 am`` is 00:00, ``12 pm``
  is 12:00, and ``13pm`` or ``0 pm`` is an error.
* ``morning`` (``in the morning``, ``every morning``): as ``am``.
* ``afternoon`` and ``evening``: as ``pm`` (``every evening at nine`` is 21:00); ``twelve``
  in the evening is an error (noon or midnight? say which).
* ``night`` (``at night``, ``every night``, ``nightly``, ``weeknights``): ``twelve`` to
  ``four`` are after midnight (``one at night`` is 01:00), ``five`` to ``eleven`` are ``pm``
  (``eleven at night`` is 23:00).
* ``noon``/``midday`` (12:00) and ``midnight`` (00:00) are fixed.

A 24-hour time with a cue that contradicts it (``21:00 in the morning``) is an error. The
rule is deliberately conservative: a schedule is confirmed by reading
:meth:`~Recurrence.describe` back, which always says the 24-hour time, so a household that
meant the evening hears "at 09:00" and can correct it, instead of Hearth guessing.

**Which days.** Day names and their plurals and abbreviations (``mon`` … ``sun``,
``tues``, ``thurs``), ``weekday(s)``, ``weekend(s)``, ``every day``, ``daily``, ranges
(``monday to friday``, ``mon-fri``, ``friday through sunday``), lists (``tuesday, thursday
and saturday``) and exceptions (``every day except sunday``). ``every evening``,
``mornings``, ``nightly`` … mean every day unless days are named. A schedule without days
is an error (say which days, or "every day"), never a guess; so is one without a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, NoReturn, TypeGuard

from skill.errors import HearthError, did_you_mean

__all__ = [
    "DAY_NAMES",
    "EVERY_DAY",
    "MAX_LENGTH",
    "WEEKDAYS",
    "WEEKEND",
    "Recurrence",
    "RecurrenceError",
    "parse_recurrence",
]

MAX_LENGTH = 200
"""The longest text :func:`parse_recurrence` reads; anything longer is not a schedule."""
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EVERY_DAY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})

_CRON_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler's, Monday = 0
_ONLY_WEEKLY = "only weekly rituals at a fixed time are supported"
_EXAMPLE = '"every weekday at 21:00"'


class RecurrenceError(HearthError):
    """Text that is not a weekly schedule; keeps the ``text`` and the ``reason``."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f'can\'t read "{_shown(text)}": {reason}')


def _shown(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- the schedule -----------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    """Some weekdays (0 = Monday … 6 = Sunday) at one local time of day."""

    days: frozenset[int]
    hour: int
    minute: int

    def __post_init__(self) -> None:
        days: object = self.days
        if isinstance(days, (set, list, tuple)):  # forgiving: Recurrence({0, 1}, 9, 0)
            object.__setattr__(self, "days", frozenset(days))
            days = self.days
        problem = _problem(days, self.hour, self.minute)
        if problem:
            raise RecurrenceError(repr(self), problem)

    def cron_fields(self) -> dict[str, str]:
        """Keyword values for APScheduler's ``CronTrigger``: day_of_week, hour, minute."""
        if self.days == EVERY_DAY:
            day_of_week = "*"
        else:
            day_of_week = ",".join(_CRON_NAMES[d] for d in sorted(self.days))
        return {"day_of_week": day_of_week, "hour": str(self.hour), "minute": str(self.minute)}

    def describe(self) -> str:
        """A short phrase to say back, e.g. ``every Monday and Thursday at 18:00``.

        :func:`parse_recurrence` reads it back to an equal :class:`Recurrence`.
        """
        return f"{self._days_phrase()} at {self.hour:02d}:{self.minute:02d}"

    def matches(self, local_datetime: datetime) -> bool:
        """Whether ``local_datetime`` falls in this schedule's minute (seconds are ignored)."""
        return (
            local_datetime.weekday() in self.days
            and local_datetime.hour == self.hour
            and local_datetime.minute == self.minute
        )

    def _days_phrase(self) -> str:
        if self.days == EVERY_DAY:
            return "every day"
        if self.days == WEEKDAYS:
            return "every weekday"
        if self.days == WEEKEND:
            return "every weekend"
        if len(self.days) >= 5:
            return "every day except " + _and_list(sorted(EVERY_DAY - self.days))
        return "every " + _and_list(sorted(self.days))


def _problem(days: object, hour: object, minute: object) -> str:
    if not isinstance(days, frozenset) or not days:
        return "days must be a non-empty set of weekdays, 0 (Monday) to 6 (Sunday)"
    for day in days:
        if not _is_int(day) or not 0 <= day <= 6:
            return f"day {day!r} is not a weekday number from 0 (Monday) to 6 (Sunday)"
    if not _is_int(hour) or not 0 <= hour <= 23:
        return f"hour {hour!r} is not a number from 0 to 23"
    if not _is_int(minute) or not 0 <= minute <= 59:
        return f"minute {minute!r} is not a number from 0 to 59"
    return ""


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _and_list(days: Iterable[int]) -> str:
    names = [DAY_NAMES[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# -- reading ----------------------------------------------------------------------------


def parse_recurrence(text: str) -> Recurrence:
    """The weekly schedule in ``text``: words (``every sunday at 8:30 pm``) or cron.

    Raises :class:`RecurrenceError`, saying what is wrong and what to say instead.

    >>> parse_recurrence("weekdays at 9pm").describe()
    'every weekday at 21:00'
    >>> parse_recurrence("30 20 * * 0").describe()
    'every Sunday at 20:30'
    """
    if not isinstance(text, str):
        raise RecurrenceError(repr(text), f"expected text like {_EXAMPLE}")
    if len(text) > MAX_LENGTH:
        raise RecurrenceError(
            text, f"it is {len(text)} characters long; a schedule fits in {MAX_LENGTH}"
        )
    lowered = text.strip().lower()
    if not lowered:
        raise RecurrenceError(text, f"it is empty; say which days and what time, like {_EXAMPLE}")
    fields = lowered.split()
    if fields[0].startswith("@"):
        return _cron_macro(text, fields)
    if _looks_like_cron(fields):
        return _cron(text, fields)
    return _Reader(text, _tokens(lowered)).read()


# -- cron -------------------------------------------------------------------------------

_CRON_PLAIN = re.compile(r"^[0-9*?/,\-]+$")
_CRON_DOW = re.compile(r"^[0-9a-z*?/,\-#]+$")
_CRON_ITEM = re.compile(r"^(\*|[0-9]+|[a-z]+)(?:-([0-9]+|[a-z]+))?(?:/([0-9]+))?$")
_CRON_FIELDS = "minute hour day-of-month month day-of-week"


def _looks_like_cron(fields: list[str]) -> bool:
    if not 3 <= len(fields) <= 7 or not _CRON_DOW.match(fields[-1]):
        return False
    if not all(_CRON_PLAIN.match(f) for f in fields[:-1]):
        return False
    return len(fields) == 5 or any("*" in f or "?" in f for f in fields)


def _cron_macro(text: str, fields: list[str]) -> Recurrence:
    macros = {"@daily": EVERY_DAY, "@midnight": EVERY_DAY, "@weekly": frozenset({6})}
    if len(fields) == 1 and fields[0] in macros:
        return Recurrence(macros[fields[0]], 0, 0)
    raise RecurrenceError(
        text, f"{_ONLY_WEEKLY}: of the cron shortcuts only @daily, @midnight and @weekly are"
    )


class _CronProblems:
    """What is wrong with a cron expression: out of range, or beyond a weekly fixed time."""

    def __init__(self) -> None:
        self.wrong: list[str] = []
        self.beyond: list[str] = []

    def reason(self) -> str:
        beyond = [f"{_ONLY_WEEKLY}: " + "; ".join(self.beyond)] if self.beyond else []
        return "; ".join(self.wrong + beyond)


def _cron(text: str, fields: list[str]) -> Recurrence:
    if len(fields) != 5:
        raise RecurrenceError(
            text,
            f"a cron expression has five fields ({_CRON_FIELDS}); this one has {len(fields)}",
        )
    minute_f, hour_f, dom_f, month_f, dow_f = fields
    problems = _CronProblems()
    minute = _cron_number(minute_f, "minute", 59, problems)
    hour = _cron_number(hour_f, "hour", 23, problems)
    for value, name in ((dom_f, "day of the month"), (month_f, "month")):
        if value not in ("*", "?"):
            problems.beyond.append(f"the {name} must be '*', not {value!r}")
    days = _cron_days(dow_f, problems)
    if problems.wrong or problems.beyond:
        raise RecurrenceError(text, problems.reason())
    return Recurrence(days, hour, minute)


def _cron_number(field: str, name: str, top: int, problems: _CronProblems) -> int:
    if field.isdigit():
        if int(field) <= top:
            return int(field)
        problems.wrong.append(f"{name} {int(field)} is out of range (0-{top})")
    elif re.fullmatch(r"-[0-9]+", field):
        problems.wrong.append(f"{name} {field} is negative; it must be from 0 to {top}")
    else:
        problems.beyond.append(f"the {name} must be one number from 0 to {top}, not {field!r}")
    return 0


def _cron_days(field: str, problems: _CronProblems) -> frozenset[int]:
    """Cron's day-of-week field (0 and 7 are Sunday) as our weekdays (0 is Monday)."""
    if field in ("*", "?"):
        return EVERY_DAY
    days: set[int] = set()
    for item in field.split(","):
        match = _CRON_ITEM.match(item)
        if not match:
            problems.beyond.append(
                f"the day of the week must be days, ranges or a list of them, not {item!r}"
            )
            continue
        first, last, step_text = match.groups()
        if first == "*":
            if last is not None:
                problems.wrong.append(f"{item!r} is not a day of the week or a range of them")
                continue
            low, high = 0, 6
        else:
            low = _cron_day(first, problems)
            if last is not None:
                high = _cron_day(last, problems, end=True)
            else:
                high = 6 if step_text is not None else low  # "1/2": from Monday, every other
            if low < 0 or high < 0:
                continue
        step = int(step_text) if step_text else 1
        if not 1 <= step <= 7:
            problems.wrong.append(f"the step in {item!r} must be from 1 to 7")
        elif low > high:
            problems.wrong.append(f"the range {item!r} runs backwards")
        else:
            days.update((value - 1) % 7 for value in range(low, high + 1, step))
    return frozenset(days)


def _cron_day(token: str, problems: _CronProblems, *, end: bool = False) -> int:
    """Cron numbering: Sunday is 0 (or 7 at the end of a range), Monday 1, Saturday 6."""
    if token.isdigit():
        value = int(token)
        if value > 7:
            problems.wrong.append(
                f"day of week {value} is out of range (0-7; 0 and 7 are Sunday)"
            )
            return -1
    elif token in _SINGLE_DAYS:
        value = (_SINGLE_DAYS[token] + 1) % 7
    else:
        suggestion = did_you_mean(token, [*_CRON_NAMES, *(n.lower() for n in DAY_NAMES)])
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        problems.wrong.append(f"{token!r} is not a day{hint}")
        return -1
    return 7 if end and value == 0 else value


# -- words ------------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # word, num, clock, ordinal, negative, dash, slash, symbol, end
    text: str


_END = _Token("end", "")

_TOKEN = re.compile(
    r"""
      (?P<clock>[0-9]{1,2}[:.h][0-9]{2})(?![0-9])
    | (?P<ordinal>[0-9]+(?:st|nd|rd|th))\b
    | (?P<negative>(?<![0-9a-z])-[0-9]+)
    | (?P<num>[0-9]+)
    | (?P<word>[a-z]+(?:'[a-z]+)*)
    | (?P<dash>[-–—])
    | (?P<slash>/)
    | (?P<skip>[\s,;:!?()"'.])
    | (?P<symbol>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9,
}
_TEENS = {
    "zero": 0, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50}
_NUMBER_WORDS = {**_UNITS, **_TEENS, **_TENS}
_FIXED_TIMES = {"noon": (12, 0), "midday": (12, 0), "midnight": (0, 0)}
_TIME_WORDS = {*_NUMBER_WORDS, *_FIXED_TIMES, "half", "quarter"}
_PRE_NORMALIZE = (
    (re.compile(r"[’‘`´]"), "'"),
    (re.compile(r"&"), " and "),
    (re.compile(r"\bo\s*'?\s*clock\b"), " oclock "),
    (re.compile(r"(?<![a-z])([ap])\.\s?m\b\.?"), r" \1m "),
    (re.compile(r"(?<=[0-9])([ap])m\b"), r" \1m"),
    (re.compile(r"\b(twenty|thirty|forty|fourty|fifty)-(?=(?:one|two|three|four|five|six|"
                r"seven|eight|nine)\b)"), r"\1 "),
    (re.compile(r"\b(?:7|seven) days a week\b"), "every day"),
    (re.compile(r"\bweek[ -]?days?\b|\bwork(?:ing)?[ -]?days?\b"), "weekdays"),
    (re.compile(r"\bweek[ -]?nights?\b"), "weeknights"),
    (re.compile(r"\bweekend[ -]?days?\b"), "weekends"),
)

_SINGLE_DAYS = {
    form: index
    for index, name in enumerate(DAY_NAMES)
    for form in (name.lower(), name.lower() + "s", name.lower()[:3])
} | {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
_DAY_SETS = {
    "weekday": WEEKDAYS, "weekdays": WEEKDAYS, "weekend": WEEKEND, "weekends": WEEKEND,
    "day": EVERY_DAY, "days": EVERY_DAY, "daily": EVERY_DAY, "everyday": EVERY_DAY,
}
# part of the day -> (cue, means every day on its own)
_PERIODS = {
    "morning": ("morning", False), "mornings": ("morning", True),
    "afternoon": ("afternoon", False), "afternoons": ("afternoon", True),
    "evening": ("evening", False), "evenings": ("evening", True),
    "night": ("night", False), "nights": ("night", True), "nightly": ("night", True),
}
_FILLERS = {
    "at", "on", "in", "the", "every", "each", "and", "from", "of", "a", "an", "week",
    "weekly", "once", "please", "sharp", "around", "about", "but", "starting", "all",
}
_EXCEPT = {"except", "excluding", "not", "apart"}
_RANGE = {"to", "through", "thru", "till", "til", "until"}
_PAST = {"past", "after"}
_TO = {"to", "before", "till", "til", "of"}
_MINUTE_WORDS = {"minute", "minutes", "min", "mins"}
_HOUR_WORDS = {"hours", "hrs", "h"}
_MERIDIEMS = {"am", "pm"}
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "date",
}
_ONE_OFF = {"today", "tonight", "tomorrow", "yesterday", "next", "this", "now", "soon"}
_NOT_WEEKLY = {
    "hourly", "hour", "hours", "hrs", "minute", "minutes", "mins", "month", "months",
    "monthly", "year", "years", "yearly", "annually", "annual", "fortnight", "fortnightly",
    "biweekly", "other", "alternate", "twice", "times", "first", "second", "third", "fourth",
    "last", "seconds", "weeks", "quarterly",
}
_DAY_VOCABULARY = sorted({*_SINGLE_DAYS, *_DAY_SETS, "weeknight", "weeknights"})
_VOCABULARY = sorted({
    *_DAY_VOCABULARY, *_PERIODS, *_FILLERS, *_EXCEPT, *_NUMBER_WORDS, *_FIXED_TIMES,
    "half", "quarter", "past", "oclock", "am", "pm",
})


def _tokens(lowered: str) -> list[_Token]:
    for pattern, replacement in _PRE_NORMALIZE:
        lowered = pattern.sub(replacement, lowered)
    tokens = []
    for match in _TOKEN.finditer(lowered):
        kind = match.lastgroup or "symbol"
        if kind == "skip":
            continue
        text = match.group()
        if kind == "word" and text.endswith("'s"):
            text = text[:-2]  # sunday's, weekday's
        tokens.append(_Token(kind, text))
    return tokens


class _Time(NamedTuple):
    hour: int
    minute: int
    twelve: bool  # said on a 12-hour dial (its hour is 0-12), so am/pm and cues may move it
    fixed: bool  # noon or midnight (or relative to them): nothing moves it
    meridiem: str  # "am", "pm" or ""
    said: str


class _Reader:
    """Reads the words of one schedule left to right, then checks what it found."""

    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.days: set[int] = set()
        self.excluded: set[int] = set()
        self.every_day_implied = False
        self.excepting = False
        self.cue = ""
        self.cue_word = ""
        self.time: _Time | None = None

    def fail(self, reason: str) -> NoReturn:
        raise RecurrenceError(self.text, reason)

    def at(self, index: int) -> _Token:
        return self.tokens[index] if 0 <= index < len(self.tokens) else _END

    def word(self, index: int) -> str:
        token = self.at(index)
        return token.text if token.kind == "word" else ""

    def starts_time(self, index: int) -> bool:
        token = self.at(index)
        return token.kind in ("num", "clock") or self.word(index) in _TIME_WORDS

    # -- the whole text

    def read(self) -> Recurrence:
        index = 0
        while index < len(self.tokens):
            index = self.step(index)
        return self.finish()

    def step(self, index: int) -> int:
        token = self.tokens[index]
        if self.starts_time(index):
            return self.read_time(index)
        if token.kind == "negative":
            self.fail(f"{token.text!r} is negative; a time runs from 00:00 to 23:59")
        if token.kind in ("ordinal", "slash"):
            self.fail(self.date_reason(token.text))
        if token.kind == "dash":
            return index + 1
        if token.kind == "symbol":
            self.fail(f"{token.text!r} is not part of a day or a time; say it like {_EXAMPLE}")
        word = token.text
        if word in _SINGLE_DAYS:
            return self.read_days(index)
        if word in _DAY_SETS:
            self.add_days(_DAY_SETS[word])
        elif word in ("weeknight", "weeknights"):
            self.add_days(WEEKDAYS)
            self.set_cue("night", word)
        elif word in _PERIODS:
            cue, every_day = _PERIODS[word]
            self.set_cue(cue, word)
            if (every_day or self.word(index - 1) in ("every", "each")) and not self.excepting:
                self.every_day_implied = True
        elif word in ("every", "each") and self.starts_time(index + 1):
            said = f"{word} {self.at(index + 1).text}"
            self.fail(f"{said!r} is not weekly; {_ONLY_WEEKLY}, like {_EXAMPLE}")
        elif word in _FILLERS:
            pass
        elif word in _EXCEPT:
            self.excepting = True
        else:
            self.unexpected(word)
        return index + 1

    def unexpected(self, word: str) -> NoReturn:
        if word in _RANGE:
            self.fail(
                f"{word!r} makes a range of times, but a ritual starts at one time; "
                f"say it like {_EXAMPLE}"
            )
        if word in _MONTHS or word in _ONE_OFF:
            self.fail(self.date_reason(word))
        if word in _NOT_WEEKLY:
            self.fail(f"{word!r} is not weekly; {_ONLY_WEEKLY}, like {_EXAMPLE}")
        if word in _MERIDIEMS or word in ("oclock", "hundred", "past"):
            self.fail(f"{word!r} needs a time just before it, like \"9 pm\"")
        day = did_you_mean(word, _DAY_VOCABULARY)
        if day:
            self.fail(f"{word!r} is not a day (did you mean {day!r}?)")
        other = did_you_mean(word, _VOCABULARY)
        if other:
            self.fail(f"{word!r} is not a word I know here (did you mean {other!r}?)")
        self.fail(f"{word!r} is not a day or a time; say it like {_EXAMPLE}")

    def date_reason(self, said: str) -> str:
        return (
            f"{said!r} looks like a date, and dates aren't supported; say which weekdays, "
            f'like "every Sunday at 20:30"'
        )

    def finish(self) -> Recurrence:
        chosen = set(self.days)
        if not chosen and (self.every_day_implied or self.excluded):
            chosen = set(EVERY_DAY)
        if not chosen and self.time is None:
            self.fail(f"it says neither which days nor what time; say it like {_EXAMPLE}")
        if not chosen:
            self.fail(
                f"it says what time ({self.time.said if self.time else ''}) but not which "
                'days; say which days, or "every day"'
            )
        if self.time is None:
            self.fail('it says which days but not what time; add one, like "at 21:00"')
        days = chosen - self.excluded
        if not days:
            self.fail("the exceptions leave no days at all")
        hour, minute = self.resolve(self.time)
        return Recurrence(frozenset(days), hour, minute)

    # -- days

    def add_days(self, days: Iterable[int]) -> None:
        (self.excluded if self.excepting else self.days).update(days)

    def read_days(self, index: int) -> int:
        first = _SINGLE_DAYS[self.tokens[index].text]
        joiner = self.at(index + 1)
        last_word = self.word(index + 2)
        if (joiner.kind == "dash" or joiner.text in _RANGE) and last_word in _SINGLE_DAYS:
            last = _SINGLE_DAYS[last_word]
            span = last - first if last >= first else last + 7 - first
            self.add_days((first + offset) % 7 for offset in range(span + 1))
            return index + 3
        self.add_days({first})
        return index + 1

    def set_cue(self, cue: str, word: str) -> None:
        if self.cue and self.cue != cue:
            self.fail(f"{self.cue_word!r} and {word!r} disagree; say one part of the day")
        self.cue, self.cue_word = cue, word

    # -- the time

    def read_time(self, index: int) -> int:
        time, end = self.parse_time(index)
        if self.time is not None:
            self.fail(
                f"it gives two times ({self.time.said!r} and {time.said!r}); a schedule has "
                "one, so make a second schedule for the other"
            )
        self.time = time
        return end

    def said(self, start: int, end: int) -> str:
        return " ".join(token.text for token in self.tokens[start:end])

    def parse_time(self, start: int) -> tuple[_Time, int]:
        token = self.tokens[start]
        if token.text in _FIXED_TIMES:
            hour, minute = _FIXED_TIMES[token.text]
            return _Time(hour, minute, False, True, "", token.text), start + 1
        relative = self.relative_time(start)
        if relative:
            return relative
        if token.text == "half":  # British "half seven" = 07:30
            found = self.hour_at(start + 1)
            if found is None:
                self.fail('"half" needs an hour, like "half past seven"')
            hour, twelve, fixed, end = found
            return self.trailers(start, end, hour, 30, twelve and not fixed, explicit=True)
        if token.text == "quarter":
            self.fail('"quarter" needs "past" or "to" and an hour, like "quarter past nine"')
        if token.kind == "clock":
            hour_text, minute_text = re.split(r"[:.h]", token.text)
            hour, minute = self.check_clock(int(hour_text), int(minute_text), token.text)
            return self.trailers(start, start + 1, hour, minute, 1 <= hour <= 12, explicit=True)
        if token.kind == "num" and len(token.text) in (3, 4):  # 930, 2130, 0730
            hour, minute = self.check_clock(
                int(token.text[:-2]), int(token.text[-2:]), token.text
            )
            return self.trailers(start, start + 1, hour, minute, 1 <= hour <= 12, explicit=True)
        if token.kind == "num" and len(token.text) > 4:
            self.fail(f"{token.text!r} is not a time; say it like \"21:00\"")
        number = self.number_at(start)
        if number is None:  # pragma: no cover - starts_time() vouched for a number
            self.fail(f"{token.text!r} is not a time")
        hour, end = number
        if hour > 23:
            self.fail(f"{hour} is not an hour; hours run from 0 to 23")
        minute = 0
        found_minute = self.minute_at(end)
        if found_minute is not None:
            minute, end = found_minute
        return self.trailers(
            start, end, hour, minute, 1 <= hour <= 12, explicit=found_minute is not None
        )

    def check_clock(self, hour: int, minute: int, said: str) -> tuple[int, int]:
        if hour > 23:
            hint = " (say midnight, or 00:00)" if hour == 24 and minute == 0 else ""
            self.fail(f"{said!r}: {hour} is not an hour; hours run from 0 to 23{hint}")
        if minute > 59:
            self.fail(f"{said!r}: {minute} is not a minute; minutes run from 0 to 59")
        return hour, minute

    def trailers(
        self, start: int, end: int, hour: int, minute: int, twelve: bool, *, explicit: bool
    ) -> tuple[_Time, int]:
        """``o'clock``, ``hundred``, ``hours`` and am/pm after a time."""
        meridiem = ""
        while True:
            word = self.word(end)
            if word in ("oclock", "hundred") and minute == 0 and not explicit:
                explicit = True
                end += 1
            elif word in _HOUR_WORDS:
                end += 1
            elif not meridiem and word in _MERIDIEMS:
                meridiem = word
                end += 1
            elif not meridiem and word in ("a", "p") and self.word(end + 1) == "m":
                meridiem = word + "m"
                end += 2
            elif not meridiem and word in _FIXED_TIMES and (hour, minute) == (12, 0):
                meridiem = "am" if word == "midnight" else "pm"  # twelve noon, 12 midnight
                end += 1
            else:
                break
        said = self.said(start, end)
        if meridiem and not twelve:
            self.fail(
                f"{said!r} is not a time: {hour} is not an hour on a 12-hour clock "
                f'(say "{hour:02d}:{minute:02d}" without {meridiem}, or an hour from 1 to 12)'
            )
        return _Time(hour, minute, twelve, False, meridiem, said), end

    def number_at(self, index: int) -> tuple[int, int] | None:
        """A number in digits or words (``twenty one``) and where it ends."""
        token = self.at(index)
        if token.kind == "num":
            return (int(token.text), index + 1) if len(token.text) <= 4 else None
        word = self.word(index)
        if word in _TENS:
            following = self.word(index + 1)
            if following in _UNITS:
                return _TENS[word] + _UNITS[following], index + 2
            return _TENS[word], index + 1
        if word in _NUMBER_WORDS:
            return _NUMBER_WORDS[word], index + 1
        return None

    def minute_at(self, index: int) -> tuple[int, int] | None:
        """The minutes after an hour: ``30``, ``05``, ``oh five``, ``fifteen``, ``forty five``."""
        token = self.at(index)
        if token.kind == "num":
            if len(token.text) != 2:
                return None
            value = int(token.text)
            if value > 59:
                self.fail(f"{token.text!r} is not a minute; minutes run from 0 to 59")
            return value, index + 1
        if self.word(index) in ("oh", "o", "zero"):
            unit = self.at(index + 1)
            if unit.kind == "num" and len(unit.text) == 1:
                return int(unit.text), index + 2
            if unit.text in _UNITS:
                return _UNITS[unit.text], index + 2
            return None
        if token.kind == "word" and token.text in _NUMBER_WORDS:
            number = self.number_at(index)
            if number and 10 <= number[0] <= 59:
                return number
        return None

    def hour_at(self, index: int) -> tuple[int, bool, bool, int] | None:
        """An hour (0-23, or noon/midnight): (hour, said on a 12-hour dial, fixed, end)."""
        word = self.word(index)
        if word in _FIXED_TIMES:
            return _FIXED_TIMES[word][0], False, True, index + 1
        token = self.at(index)
        if token.kind == "num" and len(token.text) > 2:
            return None
        number = self.number_at(index)
        if number is None:
            return None
        hour, end = number
        if hour > 23:
            self.fail(f"{hour} is not an hour; hours run from 0 to 23")
        return hour, 1 <= hour <= 12, False, end

    def relative_time(self, start: int) -> tuple[_Time, int] | None:
        """``quarter past nine``, ``half past seven``, ``ten to six``, ``5 minutes past 9``."""
        word = self.word(start)
        if word in ("quarter", "half"):
            minutes, end = (15 if word == "quarter" else 30), start + 1
        else:
            if self.at(start).kind == "num" and len(self.at(start).text) > 2:
                return None
            number = self.number_at(start)
            if number is None:
                return None
            minutes, end = number
        with_unit = self.word(end) in _MINUTE_WORDS
        if with_unit:
            end += 1
        direction = self.word(end)
        if direction in _PAST:
            forward = True
        elif direction in _TO and word != "half":
            forward = False
            # "nine to ten" is a range, not 09:51: only the usual "N to" without "minutes"
            if not with_unit and word != "quarter" and minutes not in (5, 10, 20, 25):
                return None
        else:
            return None
        found = self.hour_at(end + 1)
        if found is None:
            return None
        hour, twelve, fixed, finish = found
        if not 1 <= minutes <= 59:
            self.fail(f"{self.said(start, finish)!r} is not a time: {minutes} is not a minute")
        minute = minutes
        if not forward:  # "quarter to one" is 0:45 on the dial: 00:45 or, with pm, 12:45
            hour, minute = (hour - 1) % 24, 60 - minutes
        if fixed:
            return _Time(hour, minute, False, True, "", self.said(start, finish)), finish
        return self.trailers(start, finish, hour, minute, twelve, explicit=True)

    def resolve(self, time: _Time) -> tuple[int, int]:
        """The 24-hour time, after am/pm and the part of the day (see the module's rules)."""
        if time.fixed:
            return time.hour, time.minute
        cue_meridiem = self.cue_meridiem(time) if self.cue else ""
        if time.meridiem:
            if cue_meridiem and cue_meridiem != time.meridiem:
                self.fail(f"{time.said!r} and {self.cue_word!r} disagree")
            meridiem = time.meridiem
        elif cue_meridiem:
            meridiem = cue_meridiem
        else:
            return time.hour, time.minute
        return time.hour % 12 + (12 if meridiem == "pm" else 0), time.minute

    def cue_meridiem(self, time: _Time) -> str:
        """am or pm as the part of the day says, or "" for a 24-hour time it agrees with."""
        if not time.twelve:
            fits = {
                "morning": time.hour <= 11,
                "afternoon": time.hour >= 12,
                "evening": time.hour >= 13,
                "night": time.hour >= 13 or time.hour <= 4,
            }[self.cue]
            if not fits:
                self.fail(f"{time.said!r} is not in the {self.cue}")
            return ""
        dial = time.hour % 12
        if self.cue == "morning":
            return "am"
        if self.cue == "night":
            return "am" if dial <= 4 else "pm"
        if self.cue == "evening" and dial == 0:
            self.fail(f"{time.said!r} in the evening is unclear; say noon or midnight")
        return "pm"
