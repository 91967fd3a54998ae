"""Weekly schedules: the phrasings households use, cron, describe() round trips, errors."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill import recurrence
from skill.errors import HearthError
from skill.recurrence import (
    EVERY_DAY,
    MAX_LENGTH,
    WEEKDAYS,
    WEEKEND,
    Recurrence,
    RecurrenceError,
    parse_recurrence,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
ALL = set(EVERY_DAY)
WEEK = set(WEEKDAYS)
WKEND = set(WEEKEND)

PHRASINGS: list[tuple[str, set[int], int, int]] = [
    # the brief's own examples
    ("every weekday at 21:00", WEEK, 21, 0),
    ("weekdays at 9pm", WEEK, 21, 0),
    ("sundays at 20:30", {SUN}, 20, 30),
    ("every sunday at eight thirty pm", {SUN}, 20, 30),
    ("every day at 9", ALL, 9, 0),  # no cue: the 24-hour reading
    ("daily at 21:15", ALL, 21, 15),
    ("on mondays and thursdays at 7:45 pm", {MON, THU}, 19, 45),
    ("every weekend at 10am", WKEND, 10, 0),
    ("at 21:00 every friday", {FRI}, 21, 0),
    ("every tuesday, thursday and saturday at half past seven in the evening",
     {TUE, THU, SAT}, 19, 30),
    ("every evening at nine", ALL, 21, 0),
    ("every morning at seven", ALL, 7, 0),
    ("mon-fri 6:30", WEEK, 6, 30),
    ("at noon on saturdays", {SAT}, 12, 0),
    ("midnight every day", ALL, 0, 0),
    # the voice path: digits or words, no punctuation
    ("sunday at 8 30 pm", {SUN}, 20, 30),
    ("sunday at eight thirty pm", {SUN}, 20, 30),
    ("saturday at nine p m", {SAT}, 21, 0),
    ("seven oh five every monday", {MON}, 7, 5),
    ("twenty one thirty every day", ALL, 21, 30),
    ("every sunday at twenty three fifteen", {SUN}, 23, 15),
    ("every sunday at 23 15", {SUN}, 23, 15),
    ("nineteen hundred hours on thursdays", {THU}, 19, 0),
    # hour words and the clock face
    ("nine fifteen every day", ALL, 9, 15),
    ("quarter past nine on weekdays", WEEK, 9, 15),
    ("quarter to ten on weekdays", WEEK, 9, 45),
    ("every friday at a quarter to eight pm", {FRI}, 19, 45),
    ("nine o'clock every sunday", {SUN}, 9, 0),
    ("every sunday at nine o'clock in the evening", {SUN}, 21, 0),
    ("every day at 9 o'clock pm", ALL, 21, 0),
    ("ten to six every evening", ALL, 17, 50),
    ("five minutes past nine every sunday", {SUN}, 9, 5),
    ("every sunday at 1 minute to 9", {SUN}, 8, 59),
    ("thursdays at twenty past eight in the evening", {THU}, 20, 20),
    ("every thursday at 20 past 8 pm", {THU}, 20, 20),
    ("half seven on tuesdays", {TUE}, 7, 30),
    ("tuesdays and thursdays at half past 8 pm", {TUE, THU}, 20, 30),
    ("every sunday at fifteen past twenty one", {SUN}, 21, 15),
    ("every sunday at half past midnight", {SUN}, 0, 30),
    ("every sunday at quarter to midnight", {SUN}, 23, 45),
    ("every day at quarter to one in the afternoon", ALL, 12, 45),
    ("twelve noon on sundays", {SUN}, 12, 0),
    ("sunday at 12 midnight", {SUN}, 0, 0),
    # written times
    ("at 7.45 on weekends", WKEND, 7, 45),
    ("21h30 every day", ALL, 21, 30),
    ("every day at 2130", ALL, 21, 30),
    ("every tuesday at 0930", {TUE}, 9, 30),
    ("saturday at 9 a.m.", {SAT}, 9, 0),
    ("every sunday 12:30am", {SUN}, 0, 30),
    ("every day at 12 pm", ALL, 12, 0),
    ("every day at 12 am", ALL, 0, 0),
    ("EVERY WEEKDAY AT 9 PM", WEEK, 21, 0),
    ("on weekdays at 9 pm sharp", WEEK, 21, 0),
    # parts of the day
    ("every night at eleven", ALL, 23, 0),
    ("every night at one", ALL, 1, 0),
    ("twelve at night every friday", {FRI}, 0, 0),
    ("every night at twelve thirty", ALL, 0, 30),
    ("nightly at ten", ALL, 22, 0),
    ("weeknights at ten", WEEK, 22, 0),
    ("every weekday evening at 9", WEEK, 21, 0),
    ("sunday evenings at 8", {SUN}, 20, 0),
    ("every afternoon at 3", ALL, 15, 0),
    ("at 3 in the afternoon on fridays", {FRI}, 15, 0),
    ("mornings at 6", ALL, 6, 0),
    ("weekdays at 6:30 in the morning", WEEK, 6, 30),
    ("every sunday at 00:30 at night", {SUN}, 0, 30),
    ("weekdays 9pm at night", WEEK, 21, 0),
    ("every saturday at twelve in the afternoon", {SAT}, 12, 0),
    # days: lists, ranges, exceptions, other words for them
    ("monday to friday at 6:30am", WEEK, 6, 30),
    ("friday through monday at 18:00", {FRI, SAT, SUN, MON}, 18, 0),
    ("mon wed fri 7am", {MON, WED, FRI}, 7, 0),
    ("Sat & Sun at 10", WKEND, 10, 0),
    ("at 8 on the weekend", WKEND, 8, 0),
    ("every day except sunday at 7", ALL - {SUN}, 7, 0),
    ("every day except weekends at 7", WEEK, 7, 0),
    ("weekdays except wednesday at 9", WEEK - {WED}, 9, 0),
    ("every evening except fridays at 8", ALL - {FRI}, 20, 0),
    ("each monday at 9", {MON}, 9, 0),
    ("every week on sunday at 9", {SUN}, 9, 0),
    ("once a week on sundays at 20:00", {SUN}, 20, 0),
    ("seven days a week at 9", ALL, 9, 0),
    ("sunday's at 9", {SUN}, 9, 0),
    ("tues and thurs at 19:00", {TUE, THU}, 19, 0),
    ("work days at 7:15", WEEK, 7, 15),
    # cron
    ("30 20 * * 0", {SUN}, 20, 30),
    ("0 21 * * 1-5", WEEK, 21, 0),
    ("15 7 * * mon,wed", {MON, WED}, 7, 15),
    ("0 7 * * 7", {SUN}, 7, 0),
    ("0 7 * * fri-sun", {FRI, SAT, SUN}, 7, 0),
    ("0 9 * * 5-0", {FRI, SAT, SUN}, 9, 0),
    ("0 7 * * */2", {SUN, TUE, THU, SAT}, 7, 0),
    ("0 9 * * 1/2", {MON, WED, FRI}, 9, 0),
    ("0 9 ? * SAT,SUN", WKEND, 9, 0),
    ("5 0 * * *", ALL, 0, 5),
    ("@weekly", {SUN}, 0, 0),
    ("@daily", ALL, 0, 0),
]


@pytest.mark.parametrize(("text", "days", "hour", "minute"), PHRASINGS)
def test_phrasings(text: str, days: set[int], hour: int, minute: int) -> None:
    assert parse_recurrence(text) == Recurrence(frozenset(days), hour, minute)


def test_the_table_is_broad() -> None:
    assert len(PHRASINGS) >= 40
    assert len({text for text, *_ in PHRASINGS}) == len(PHRASINGS)


# -- describe() -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "hour", "minute", "said"),
    [
        (WEEK, 21, 0, "every weekday at 21:00"),
        ({SUN}, 20, 30, "every Sunday at 20:30"),
        (ALL, 7, 5, "every day at 07:05"),
        ({MON, THU}, 18, 0, "every Monday and Thursday at 18:00"),
        (WKEND, 10, 0, "every weekend at 10:00"),
        ({TUE, THU, SAT}, 19, 30, "every Tuesday, Thursday and Saturday at 19:30"),
        (ALL - {SAT}, 0, 0, "every day except Saturday at 00:00"),
        ({MON, TUE, WED, FRI, SAT}, 6, 45, "every day except Thursday and Sunday at 06:45"),
    ],
)
def test_describe(days: set[int], hour: int, minute: int, said: str) -> None:
    assert Recurrence(frozenset(days), hour, minute).describe() == said


recurrences = st.builds(
    Recurrence,
    st.frozensets(st.integers(0, 6), min_size=1),
    st.integers(0, 23),
    st.integers(0, 59),
)


@given(recurrences)
def test_describe_reads_back(rec: Recurrence) -> None:
    assert parse_recurrence(rec.describe()) == rec


@given(recurrences)
def test_cron_fields_read_back_as_cron(rec: Recurrence) -> None:
    fields = rec.cron_fields()
    text = f"{fields['minute']} {fields['hour']} * * {fields['day_of_week']}"
    assert parse_recurrence(text) == rec


@pytest.mark.parametrize(
    "days", [frozenset(c) for n in range(1, 8) for c in combinations(range(7), n)]
)
def test_every_set_of_days_reads_back(days: frozenset[int]) -> None:
    rec = Recurrence(days, 21, 0)
    assert parse_recurrence(rec.describe()) == rec
    assert parse_recurrence(rec.describe().lower()) == rec


# -- cron_fields() and matches() ---------------------------------------------------------


def test_cron_fields() -> None:
    assert Recurrence(WEEKDAYS, 21, 0).cron_fields() == {
        "day_of_week": "mon,tue,wed,thu,fri", "hour": "21", "minute": "0"
    }
    assert Recurrence(frozenset({SUN, MON}), 7, 5).cron_fields() == {
        "day_of_week": "mon,sun", "hour": "7", "minute": "5"
    }
    assert Recurrence(EVERY_DAY, 0, 30).cron_fields()["day_of_week"] == "*"


def test_matches() -> None:
    rec = parse_recurrence("every monday and thursday at 7:45 pm")
    assert rec.matches(datetime(2024, 6, 3, 19, 45))  # a Monday
    assert rec.matches(datetime(2024, 6, 6, 19, 45, 59))  # a Thursday; seconds don't count
    assert not rec.matches(datetime(2024, 6, 4, 19, 45))  # a Tuesday
    assert not rec.matches(datetime(2024, 6, 3, 19, 46))
    assert not rec.matches(datetime(2024, 6, 3, 7, 45))
    aware = datetime(2024, 6, 3, 19, 45, tzinfo=timezone(timedelta(hours=2)))
    assert rec.matches(aware)  # local wall-clock fields, whatever the zone


@settings(max_examples=200, deadline=None)
@given(recurrences, st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1)))
def test_apscheduler_fires_at_the_first_matching_minute(rec: Recurrence, start: datetime) -> None:
    cron = pytest.importorskip("apscheduler.triggers.cron")
    start = start.replace(tzinfo=UTC)
    trigger = cron.CronTrigger(**rec.cron_fields(), timezone=UTC)
    candidates = (
        datetime.combine(start.date() + timedelta(days=n), datetime.min.time(), UTC)
        .replace(hour=rec.hour, minute=rec.minute)
        for n in range(9)
    )
    expected = next(c for c in candidates if c >= start and rec.matches(c))
    assert trigger.get_next_fire_time(None, start) == expected


# -- the object checks itself ------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "hour", "minute", "problem"),
    [
        (frozenset(), 9, 0, "non-empty set of weekdays"),
        (frozenset({7}), 9, 0, "day 7 is not a weekday number"),
        (frozenset({-1}), 9, 0, "day -1 is not a weekday number"),
        (frozenset({True}), 9, 0, "day True is not"),
        (frozenset({0}), 24, 0, "hour 24 is not a number from 0 to 23"),
        (frozenset({0}), -1, 0, "hour -1 is not"),
        (frozenset({0}), 9, 60, "minute 60 is not a number from 0 to 59"),
        (frozenset({0}), 9.0, 0, "hour 9.0 is not"),
        ("mon", 9, 0, "non-empty set of weekdays"),
    ],
)
def test_recurrence_checks_itself(days: object, hour: object, minute: object,
                                  problem: str) -> None:
    with pytest.raises(RecurrenceError, match=problem):
        Recurrence(days, hour, minute)  # type: ignore[arg-type]


def test_recurrence_takes_any_set_of_days_and_is_hashable() -> None:
    rec = Recurrence({MON, FRI}, 9, 0)  # type: ignore[arg-type]
    assert rec.days == frozenset({MON, FRI})
    assert len({rec, Recurrence(frozenset({FRI, MON}), 9, 0)}) == 1


# -- errors ------------------------------------------------------------------------------

ONLY_WEEKLY = "only weekly rituals at a fixed time are supported"

ERRORS: list[tuple[str, str]] = [
    ("25:00", "25 is not an hour; hours run from 0 to 23"),
    ("every day at 24:00", r"24 is not an hour; .*\(say midnight, or 00:00\)"),
    ("21:60", "60 is not a minute; minutes run from 0 to 59"),
    ("every day at 9 75", "'75' is not a minute"),
    ("every day at 25", "25 is not an hour"),
    ("at 13pm", "'13 pm' is not a time: 13 is not an hour on a 12-hour clock"),
    ("21:00 pm every day", "'21:00 pm' is not a time: 21 is not an hour on a 12-hour clock"),
    ("at 0 pm daily", "0 is not an hour on a 12-hour clock"),
    ("every funday", r"'funday' is not a day \(did you mean 'sunday'\?\)"),
    ("every tuseday at 9", r"'tuseday' is not a day \(did you mean 'tuesday'\?\)"),
    ("every evning at 9", r"'evning' is not a word I know here \(did you mean 'evening'\?\)"),
    ("", "it is empty; say which days and what time"),
    ("   ", "it is empty"),
    ("every sunday", "it says which days but not what time"),
    ("at 9", "it says what time \\(9\\) but not which days; say which days, or \"every day\""),
    ("21:00", "but not which days"),
    ("every", "it says neither which days nor what time"),
    ("!!!", "it says neither which days nor what time"),
    ("February 30th at 9", "dates aren't supported; say which weekdays"),
    ("on the 30th at 9", "'30th' looks like a date, and dates aren't supported"),
    ("12/25 at 9", "dates aren't supported"),
    ("tomorrow at 9", "'tomorrow' looks like a date"),
    ("at -5 every day", "'-5' is negative"),
    ("every day at -21:00", "'-21' is negative"),
    ("-1 * * * *", "minute -1 is negative"),
    ("60 25 * * *", r"minute 60 is out of range \(0-59\); hour 25 is out of range \(0-23\)"),
    ("*/5 * * * *", f"{ONLY_WEEKLY}: the minute must be one number from 0 to 59, not '\\*/5'"),
    ("0 9,21 * * *", f"{ONLY_WEEKLY}: the hour must be one number from 0 to 23, not '9,21'"),
    ("0 21 1 * *", f"{ONLY_WEEKLY}: the day of the month must be '\\*', not '1'"),
    ("0 21 * 6 *", f"{ONLY_WEEKLY}: the month must be '\\*', not '6'"),
    ("0 21 * * 5L", f"{ONLY_WEEKLY}: the day of the week must be days"),
    ("0 21 * * 8", r"day of week 8 is out of range \(0-7; 0 and 7 are Sunday\)"),
    ("0 21 * * 5-1", "the range '5-1' runs backwards"),
    ("0 21 * * */0", "the step in '\\*/0' must be from 1 to 7"),
    ("0 21 * * funday", r"'funday' is not a day \(did you mean 'sunday'\?\)"),
    ("0 0 21 * * 1-5", "a cron expression has five fields .*; this one has 6"),
    ("@hourly", ONLY_WEEKLY),
    ("asdf qwer", "'asdf' is not a day or a time"),
    ("every sunday at 9 %", "'%' is not part of a day or a time"),
    ("x" * (MAX_LENGTH + 1), f"it is {MAX_LENGTH + 1} characters long; a schedule fits in 200"),
    ("every 2 weeks on sunday at 9", f"'every 2' is not weekly; {ONLY_WEEKLY}"),
    ("every other day at 9", f"'other' is not weekly; {ONLY_WEEKLY}"),
    ("every hour", f"'hour' is not weekly; {ONLY_WEEKLY}"),
    ("monthly on sundays at 9", f"'monthly' is not weekly; {ONLY_WEEKLY}"),
    ("sundays from 9 to 10", "'to' makes a range of times, but a ritual starts at one time"),
    ("every day at 9 and 10", r"it gives two times \('9' and '10'\)"),
    ("every sunday at 9 5", r"it gives two times \('9' and '5'\)"),
    ("every morning at 21:00", "'21:00' is not in the morning"),
    ("every evening at 12", "'12' in the evening is unclear; say noon or midnight"),
    ("9 am every evening", "'9 am' and 'evening' disagree"),
    ("every morning at nine in the evening", "'morning' and 'evening' disagree"),
    ("pm every day at 9", "'pm' needs a time just before it"),
    ("every day except monday through sunday at 9", "the exceptions leave no days at all"),
    ("every sunday at 123456", "'123456' is not a time"),
    ("quarter on sundays", "\"quarter\" needs \"past\" or \"to\""),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(RecurrenceError, match=message) as caught:
        parse_recurrence(text)
    assert caught.value.text == text
    assert caught.value.reason in str(caught.value)
    assert isinstance(caught.value, HearthError)


def test_error_message_shape() -> None:
    with pytest.raises(RecurrenceError) as caught:
        parse_recurrence("every funday at 9")
    assert str(caught.value) == (
        "can't read \"every funday at 9\": 'funday' is not a day (did you mean 'sunday'?)"
    )
    assert caught.value.reason == "'funday' is not a day (did you mean 'sunday'?)"


def test_long_text_is_shortened_in_the_message_but_kept_whole() -> None:
    text = "every sunday " * 20
    with pytest.raises(RecurrenceError) as caught:
        parse_recurrence(text)
    assert caught.value.text == text
    assert len(str(caught.value)) < 160
    assert "…" in str(caught.value)


def test_exactly_the_limit_is_read() -> None:
    text = "every sunday at 9".ljust(MAX_LENGTH)
    assert len(text) == MAX_LENGTH
    assert parse_recurrence(text) == Recurrence(frozenset({SUN}), 9, 0)


def test_not_text() -> None:
    with pytest.raises(RecurrenceError, match="expected text"):
        parse_recurrence(9)  # type: ignore[arg-type]


# -- fuzz --------------------------------------------------------------------------------

WORDS = [
    "every", "each", "on", "at", "in", "the", "and", "except", "to", "through", "-", ",",
    "monday", "tuesdays", "wed", "thurs", "fri", "sat", "sunday's", "weekday", "weekends",
    "day", "daily", "morning", "evenings", "night", "nightly", "weeknights", "afternoon",
    "noon", "midnight", "half", "quarter", "past", "to", "minutes", "o'clock", "hundred",
    "hours", "am", "pm", "a", "p", "m", "oh", "zero", "one", "nine", "twelve", "thirteen",
    "twenty", "thirty", "forty-five", "fifty", "0", "7", "9", "12", "13", "21", "24", "30",
    "60", "99", "930", "2130", "12345", "9:30", "21:00", "25:00", "7.45", "21h30", "9pm",
    "-1", "*", "*/5", "1-5", "?", "0,7", "mon-fri", "5l", "@weekly", "30th", "12/25",
    "february", "tomorrow", "other", "fortnightly", "funday", "é", "\x00", "\n", "’",
]


def _read(text: str) -> None:
    try:
        rec = parse_recurrence(text)
    except RecurrenceError as error:
        assert error.reason and error.text == text
    else:
        assert parse_recurrence(rec.describe()) == rec


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=MAX_LENGTH + 20))
def test_random_text_only_raises_recurrence_error(text: str) -> None:
    _read(text)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join))
def test_random_phrases_only_raise_recurrence_error(text: str) -> None:
    _read(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["*", "?", "0", "7", "59", "60", "1-5", "*/2", "mon",
                                 "fri-sun", "5-0", ",", "-", "/", "l", "#"]),
                min_size=1, max_size=7).map(" ".join))
def test_random_cron_only_raises_recurrence_error(text: str) -> None:
    _read(text)


# -- purity ------------------------------------------------------------------------------


def test_recurrence_module_is_pure() -> None:
    """No APScheduler (another module owns it) and nothing that does I/O."""
    tree = ast.parse(Path(recurrence.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert imported <= {
        "__future__", "re", "collections.abc", "dataclasses", "datetime", "typing",
        "skill.errors",
    }
