"""When scheduled rituals are due, on a fake clock: nothing skipped, nothing doubled."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from skill.cli import main
from skill.household import Due
from skill.recurrence import parse_recurrence
from skill.scheduler import (
    Keeper,
    Planner,
    Scheduler,
    latest_occurrence,
    next_occurrences,
    occurrence_key,
    start_of_day,
)
from skill.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    """A local wall-clock time as the UTC instant it is."""
    return datetime(*parts, tzinfo=zone, fold=fold).astimezone(UTC)  # type: ignore[misc]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "hearth.db")


def planner(store: Store, zone: ZoneInfo = BERLIN, **kwargs: object) -> Planner:
    return Planner(store, zone, process="test", **kwargs)  # type: ignore[arg-type]


def test_a_daily_ritual_is_offered_once_at_its_time(store: Store) -> None:
    schedule = store.add_schedule("hug-timer", "kitchen", "every day at 21:00")
    p = planner(store)
    assert p.due(at(BERLIN, 2026, 5, 4, 20, 59)) == []
    (due,) = p.due(at(BERLIN, 2026, 5, 4, 21, 0, 20))
    assert due == Due("hug-timer", "kitchen", (), "2026-05-04T21:00", schedule_id=schedule.id)
    assert p.due(at(BERLIN, 2026, 5, 4, 21, 1)) == []  # claimed: never twice
    assert len(p.due(at(BERLIN, 2026, 5, 5, 21, 0))) == 1  # the next day, again


def test_weekdays_only(store: Store) -> None:
    store.add_schedule("hug-timer", "kitchen", "every weekday at 21:00")
    p = planner(store)
    assert p.due(at(BERLIN, 2026, 5, 9, 21, 0)) == []  # a Saturday
    assert len(p.due(at(BERLIN, 2026, 5, 11, 21, 0))) == 1  # a Monday


def test_the_grace_period_across_a_restart(store: Store, tmp_path: Path) -> None:
    """Down at nine, back at ten past: offered then. Back at twenty past: let go."""
    store.add_schedule("hug-timer", "kitchen", "every day at 21:00")
    assert len(planner(store).due(at(BERLIN, 2026, 5, 4, 21, 10))) == 1
    store.close()
    again = Store(tmp_path / "hearth.db")  # the restart: a new process, the same file
    assert planner(again).due(at(BERLIN, 2026, 5, 4, 21, 12)) == []  # not twice
    assert planner(again).due(at(BERLIN, 2026, 5, 5, 21, 16)) == []  # past the grace
    assert len(planner(again, grace=timedelta(minutes=30)).due(
        at(BERLIN, 2026, 5, 6, 21, 16))) == 1


def test_two_planners_on_one_file_offer_it_once(store: Store, tmp_path: Path) -> None:
    store.add_schedule("hug-timer", "kitchen", "every day at 21:00")
    other = Store(tmp_path / "hearth.db")
    now = at(BERLIN, 2026, 5, 4, 21, 0)
    offered = planner(store).due(now) + Planner(other, BERLIN, process="other").due(now)
    assert len(offered) == 1


def test_snooze(store: Store) -> None:
    schedule = store.add_schedule("hug-timer", "kitchen", "every day at 21:00")
    p = planner(store)
    (due,) = p.due(at(BERLIN, 2026, 5, 4, 21, 0))
    keeper = Keeper(p, dict, clock=lambda: at(BERLIN, 2026, 5, 4, 21, 1))
    keeper.snooze(due, 600)
    assert p.due(at(BERLIN, 2026, 5, 4, 21, 10)) == []
    (again,) = p.due(at(BERLIN, 2026, 5, 4, 21, 11, 5))
    assert (again.ritual, again.site, again.schedule_id) == ("hug-timer", "kitchen", schedule.id)
    assert again.occurrence.startswith("snooze-")
    assert p.due(at(BERLIN, 2026, 5, 4, 21, 12)) == []  # once


def test_a_snooze_that_came_due_while_hearth_was_down_too_long_is_let_go(store: Store) -> None:
    store.add_snooze(None, "hug-timer", "kitchen", at(BERLIN, 2026, 5, 4, 21, 10), ())
    assert planner(store).due(at(BERLIN, 2026, 5, 4, 22, 0)) == []
    assert store.snoozes() == []


def test_skip_tonight(store: Store) -> None:
    store.add_schedule("hug-timer", "kitchen", "every day at 21:00")
    p = planner(store)
    keeper = Keeper(p, lambda: {"hug-timer": "Hug timer"},
                    clock=lambda: at(BERLIN, 2026, 5, 4, 18, 0))
    assert keeper.skip_tonight("kitchen") == "Alright, no Hug timer tonight."
    assert keeper.skip_tonight("bedroom") == "Nothing more is scheduled here tonight."
    assert p.due(at(BERLIN, 2026, 5, 4, 21, 0)) == []
    assert len(p.due(at(BERLIN, 2026, 5, 5, 21, 0))) == 1  # only tonight


def test_the_holiday_pause(store: Store) -> None:
    store.add_schedule("hug-timer", "kitchen", "every day at 21:00")
    p = planner(store)
    saturday = at(BERLIN, 2026, 5, 9, 12, 0)
    keeper = Keeper(p, dict, clock=lambda: saturday)
    assert keeper.pause_until("monday") == "All rituals are paused until Monday. Enjoy the break."
    assert p.due(at(BERLIN, 2026, 5, 9, 21, 0)) == []
    assert p.due(at(BERLIN, 2026, 5, 10, 21, 0)) == []
    assert len(p.due(at(BERLIN, 2026, 5, 11, 21, 0))) == 1
    assert keeper.resume() == "Rituals are back on."
    assert store.paused_until() is None


@pytest.mark.parametrize(("word", "expected"), [
    ("tomorrow", datetime(2026, 5, 10)), ("monday", datetime(2026, 5, 11)),
    ("saturday", datetime(2026, 5, 16)), ("next week", datetime(2026, 5, 11)),
    ("Sundays", datetime(2026, 5, 10)), ("someday", None),
])
def test_start_of_day(word: str, expected: datetime | None) -> None:
    saturday = datetime(2026, 5, 9, 15, 30, tzinfo=BERLIN)
    result = start_of_day(word, saturday)
    assert (result.replace(tzinfo=None) if result else None) == expected


# -- daylight saving ------------------------------------------------------------------------


def keys(zone: ZoneInfo, when: str, start: datetime, count: int) -> list[str]:
    found = next_occurrences(parse_recurrence(when), zone, start, count)
    # The key is the scheduled wall-clock time; the instant shows when it really comes.
    return [f"{occurrence_key(t)} {t.astimezone(UTC):%H:%M}Z" for t in found]


def test_berlin_spring_forward_neither_skips_nor_doubles() -> None:
    # 29 March 2026: 02:00 becomes 03:00. The 02:30 ritual comes at 03:30 CEST (01:30Z).
    assert keys(BERLIN, "every day at 02:30", at(BERLIN, 2026, 3, 27, 12, 0), 4) == [
        "2026-03-28T02:30 01:30Z", "2026-03-29T02:30 01:30Z", "2026-03-30T02:30 00:30Z",
        "2026-03-31T02:30 00:30Z",
    ]


def test_berlin_fall_back_neither_skips_nor_doubles() -> None:
    # 25 October 2026: 03:00 becomes 02:00, so 02:30 happens twice. Offered once.
    assert keys(BERLIN, "every day at 02:30", at(BERLIN, 2026, 10, 24, 12, 0), 3) == [
        "2026-10-25T02:30 00:30Z", "2026-10-26T02:30 01:30Z", "2026-10-27T02:30 01:30Z",
    ]


def test_new_york_spring_forward_and_fall_back() -> None:
    assert keys(NEW_YORK, "every day at 02:30", at(NEW_YORK, 2026, 3, 7, 12, 0), 3) == [
        "2026-03-08T02:30 07:30Z", "2026-03-09T02:30 06:30Z", "2026-03-10T02:30 06:30Z",
    ]
    assert keys(NEW_YORK, "every day at 01:30", at(NEW_YORK, 2026, 10, 31, 12, 0), 3) == [
        "2026-11-01T01:30 05:30Z", "2026-11-02T01:30 06:30Z", "2026-11-03T01:30 06:30Z",
    ]


@pytest.mark.parametrize(("zone", "day", "hour"), [(BERLIN, 25, 2), (NEW_YORK, 1, 1)])
def test_the_repeated_hour_is_offered_once(store: Store, zone: ZoneInfo, day: int,
                                           hour: int) -> None:
    store.add_schedule("hug-timer", "kitchen", f"every day at {hour:02d}:30")
    p = planner(store, zone)
    month = 10 if zone is BERLIN else 11
    first = at(zone, 2026, month, day, hour, 30, 10, fold=0)
    second = at(zone, 2026, month, day, hour, 30, 10, fold=1)
    assert second - first == timedelta(hours=1)
    assert len(p.due(first)) == 1
    assert p.due(second) == []


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK])
def test_the_skipped_hour_is_offered_an_hour_later(store: Store, zone: ZoneInfo) -> None:
    store.add_schedule("hug-timer", "kitchen", "every day at 02:30")
    p = planner(store, zone)
    day = 29 if zone is BERLIN else 8
    fired = next_occurrences(parse_recurrence("every day at 02:30"), zone,
                             at(zone, 2026, 3, day, 0, 0), 1)[0]
    (due,) = p.due(fired + timedelta(seconds=5))
    assert due.occurrence == f"2026-03-{day:02d}T02:30"


def test_latest_occurrence() -> None:
    rec = parse_recurrence("every sunday at 20:30")
    now = datetime(2026, 5, 6, 12, 0, tzinfo=BERLIN)  # a Wednesday
    assert latest_occurrence(rec, now) == datetime(2026, 5, 3, 20, 30, tzinfo=BERLIN)


# -- the alarm clock ------------------------------------------------------------------------


def test_the_scheduler_offers_what_was_missed_and_plans_the_rest(store: Store) -> None:
    store.add_schedule("hug-timer", "kitchen", "every day at 21:00")
    store.add_schedule("appreciation-round", "kitchen", "sundays at 20:30")
    offered: list[Due] = []
    now = at(BERLIN, 2026, 5, 4, 21, 5)

    async def scenario() -> list[str]:
        loop = asyncio.get_running_loop()
        scheduler = Scheduler(planner(store), offered.append, loop=loop, clock=lambda: now)
        scheduler.start()
        try:
            jobs = scheduler.apscheduler.get_jobs()
            return sorted(f"{job.id} {job.next_run_time.astimezone(UTC):%a %H:%M}"
                          for job in jobs)
        finally:
            scheduler.shutdown()

    jobs = asyncio.run(scenario())
    assert [d.ritual for d in offered] == ["hug-timer"]  # 21:00 missed by five minutes
    assert jobs[0].startswith("schedule-") and len(jobs) == 2


def test_the_alarm_offers_on_the_event_loop_not_in_a_thread(store: Store) -> None:
    """APScheduler runs plain functions in a thread pool; the offer must run on the loop."""
    store.add_snooze(None, "hug-timer", "kitchen", datetime.now(UTC) + timedelta(seconds=0.3),
                     ())
    threads: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        scheduler = Scheduler(planner(store), lambda due: threads.append(
            threading.current_thread().name), loop=loop)
        scheduler.start()
        await asyncio.sleep(1.5)
        scheduler.shutdown()

    asyncio.run(scenario())
    assert threads == [threading.main_thread().name]


def test_the_shell_commands_leave_the_config_files_schedules_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    with Store(data / "hearth.db") as store:
        store.sync_config_schedules([("hug-timer", "kitchen", "every day at 21:00", ())])
    monkeypatch.setenv("HEARTH_DATA_DIR", str(data))
    monkeypatch.delenv("HEARTH_CONFIG", raising=False)
    assert main(["schedule", "list"]) == 0
    assert "hug-timer" in capsys.readouterr().out
    with Store(data / "hearth.db") as store:
        assert [s.source for s in store.schedules()] == ["config"]
