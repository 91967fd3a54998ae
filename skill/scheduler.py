"""Scheduled rituals: when they are due, and waking up on time to offer them.

The only module that touches APScheduler. Schedules are plain data in Hearth's SQLite file
(:mod:`skill.store`); at start-up each becomes an APScheduler job with a ``CronTrigger`` in
an in-memory job store. APScheduler's SQLAlchemy job store is not used: it pickles job
callables (a renamed function breaks every stored job), adds about 16 MB, and its writes
block the event loop for up to 40 ms.

What is due is decided by :class:`Planner`, from the data and a ``now`` it is handed, so the
rules are tested on a fake clock:

* an occurrence is named by its *local wall-clock time* (``2026-10-25T02:30``), and each is
  offered at most once — claimed in SQLite, so a restart, a second process sharing the file,
  or the doubled hour when clocks go back never offers it twice;
* when clocks go forward, APScheduler fires a 02:30 ritual at 03:30 that night: late, but
  not skipped;
* if Hearth was down when a ritual was due, it is offered on start-up if it is still within
  the grace period (15 minutes by default), and let go after it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from tzlocal import get_localzone_name

from skill.household import Due, Interrupted
from skill.recurrence import Recurrence, RecurrenceError, parse_recurrence
from skill.store import Schedule, Store

log = logging.getLogger("hearth.scheduler")

DEFAULT_GRACE = timedelta(minutes=15)
SNOOZE_KEY = "snooze"


def occurrence_key(local: datetime) -> str:
    """The name of an occurrence: its local wall-clock time, to the minute."""
    return local.strftime("%Y-%m-%dT%H:%M")


def latest_occurrence(recurrence: Recurrence, now_local: datetime) -> datetime | None:
    """The most recent local time at or before ``now_local`` when ``recurrence`` was due."""
    for back in range(8):
        day = (now_local - timedelta(days=back)).date()
        if day.weekday() not in recurrence.days:
            continue
        candidate = datetime(day.year, day.month, day.day, recurrence.hour, recurrence.minute,
                             tzinfo=now_local.tzinfo)
        if candidate <= now_local:
            return candidate
    return None


def trigger(recurrence: Recurrence, zone: ZoneInfo) -> CronTrigger:
    return CronTrigger(timezone=zone, **recurrence.cron_fields())


def next_occurrences(recurrence: Recurrence, zone: ZoneInfo, after: datetime,
                     count: int) -> list[datetime]:
    """The next ``count`` times it will be offered, once per local wall-clock time."""
    cron = trigger(recurrence, zone)
    out: list[datetime] = []
    seen: set[str] = set()
    previous = None
    now = after
    while len(out) < count:
        fire = cron.get_next_fire_time(previous, now)
        if fire is None:
            break
        key = occurrence_key(fire)
        if key not in seen:  # the hour that repeats when clocks go back
            seen.add(key)
            out.append(fire)
        # In UTC: wall-clock arithmetic in the repeated hour would land back on its first
        # half, and APScheduler would hand us the second 02:30 again, for ever.
        previous, now = fire, fire.astimezone(UTC) + timedelta(seconds=1)
    return out


class Planner:
    """Decides what is due, from the store and a ``now``; claims what it hands out."""

    def __init__(self, store: Store, zone: ZoneInfo, *, grace: timedelta = DEFAULT_GRACE,
                 process: str | None = None) -> None:
        self.store = store
        self.zone = zone
        self.grace = grace
        self.process = process or f"pid-{os.getpid()}"

    def recurrence(self, schedule: Schedule) -> Recurrence | None:
        try:
            return parse_recurrence(schedule.when)
        except RecurrenceError as error:
            log.error("schedule %d: %s", schedule.id, error)
            return None

    def due_schedule(self, schedule: Schedule, now: datetime) -> Due | None:
        """The occurrence of ``schedule`` to offer at ``now``, claimed; None if none is."""
        recurrence = self.recurrence(schedule)
        if recurrence is None or schedule.paused:
            return None
        local_now = now.astimezone(self.zone)
        latest = latest_occurrence(recurrence, local_now)
        if latest is None:
            return None
        # Compare real elapsed time: a wall-clock time skipped by the clocks going forward
        # is resolved by zoneinfo to the instant an hour later, still within the grace.
        if now - latest.astimezone(UTC) > self.grace:
            return None
        key = occurrence_key(latest)
        paused_until = self.store.paused_until()
        if paused_until is not None and now < paused_until:
            if self.store.claim(schedule.id, key, "holiday"):
                log.info("schedule %d: %s let go, rituals are paused until %s",
                         schedule.id, key, paused_until.isoformat())
            return None
        if not self.store.claim(schedule.id, key, self.process):
            return None
        return Due(schedule.ritual, schedule.site, schedule.names, key, schedule_id=schedule.id)

    def due(self, now: datetime) -> list[Due]:
        """Everything to offer at ``now``: schedules within their grace, snoozes that are due."""
        found = [d for s in self.store.schedules() if (d := self.due_schedule(s, now))]
        for snooze in self.store.snoozes():
            if snooze.due > now:
                continue
            if not self.store.remove_snooze(snooze.id):
                continue  # another process took it
            if now - snooze.due > self.grace:
                log.info("snoozed %s at %s let go: Hearth was not running", snooze.ritual,
                         snooze.site)
                continue
            found.append(Due(snooze.ritual, snooze.site, snooze.names,
                             f"{SNOOZE_KEY}-{snooze.id}", schedule_id=snooze.schedule_id,
                             snooze_id=snooze.id))
        return found

    def skip_next(self, schedule: Schedule, now: datetime) -> datetime | None:
        """Skip the next occurrence ("not tonight"); returns when it would have been."""
        recurrence = self.recurrence(schedule)
        if recurrence is None:
            return None
        upcoming = next_occurrences(recurrence, self.zone, now, 1)
        if not upcoming:
            return None
        if not self.store.skip_next(schedule.id,
                                    occurrence_key(upcoming[0].astimezone(self.zone))):
            return None  # already offered or skipped
        return upcoming[0]


class Scheduler:
    """APScheduler as an alarm clock: wakes the :class:`Planner` when something may be due."""

    def __init__(
        self,
        planner: Planner,
        offer: Callable[[Due], None],
        *,
        loop: asyncio.AbstractEventLoop,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.planner = planner
        self.offer = offer
        self.loop = loop
        self.clock = clock
        self.apscheduler = AsyncIOScheduler(event_loop=loop, timezone=planner.zone)
        self._changes = -1

    def start(self) -> None:
        # Claims only matter within the grace period and for skips made ahead of time.
        self.planner.store.prune_claims(self.clock() - timedelta(days=30))
        self.apscheduler.start()
        self.reload()
        self.check()  # what came due while Hearth was not running

    def shutdown(self) -> None:
        if self.apscheduler.running:
            self.apscheduler.shutdown(wait=False)

    def reload(self) -> None:
        """Jobs anew from the store (after a change by voice, CLI, or another process)."""
        self._changes = self.planner.store.changes()
        self.apscheduler.remove_all_jobs()
        grace = int(self.planner.grace.total_seconds())
        for schedule in self.planner.store.schedules():
            recurrence = self.planner.recurrence(schedule)
            if recurrence is None or schedule.paused:
                continue
            self.apscheduler.add_job(
                self._alarm, trigger(recurrence, self.planner.zone), id=f"schedule-{schedule.id}",
                misfire_grace_time=grace, coalesce=True, max_instances=1,
            )
        for snooze in self.planner.store.snoozes():
            self.apscheduler.add_job(self._alarm, DateTrigger(run_date=snooze.due),
                                     id=f"snooze-{snooze.id}", misfire_grace_time=grace)

    async def _alarm(self) -> None:
        # A coroutine, so APScheduler's asyncio executor runs it on the event loop; a plain
        # function would run in its thread pool, beside the adapter instead of with it.
        self.check()

    def reload_if_changed(self) -> bool:
        if self.planner.store.changes() == self._changes:
            return False
        self.reload()
        return True

    def check(self) -> None:
        """Offer whatever is due now (claimed, so only once)."""
        for due in self.planner.due(self.clock()):
            log.info("due: %s at %s (%s)", due.ritual, due.site, due.occurrence)
            self.offer(due)

    def upcoming(self, count: int = 1) -> Iterator[tuple[Schedule, datetime]]:
        """Each active schedule with its next ``count`` times."""
        now = self.clock()
        for schedule in self.planner.store.schedules():
            recurrence = self.planner.recurrence(schedule)
            if recurrence is None or schedule.paused:
                continue
            for when in next_occurrences(recurrence, self.planner.zone, now, count):
                yield schedule, when


def describe_schedules(schedules: Sequence[Schedule]) -> list[str]:
    out = []
    for schedule in schedules:
        try:
            when = parse_recurrence(schedule.when).describe()
        except RecurrenceError:
            when = schedule.when
        paused = " (paused)" if schedule.paused else ""
        out.append(f"{schedule.ritual} {when} at {schedule.site}{paused}")
    return out


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def local_zone(name: str | None) -> ZoneInfo:
    """The configured time zone, or the machine's own."""
    if name:
        return ZoneInfo(name)
    try:
        return ZoneInfo(get_localzone_name() or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def start_of_day(day: str, now_local: datetime) -> datetime | None:
    """Local midnight at the start of ``day``: a weekday (the next one), tomorrow, next week."""
    today = now_local.replace(hour=0, minute=0, second=0, microsecond=0)
    word = day.strip().lower()
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word == "next week":
        return today + timedelta(days=7 - today.weekday())
    if word.rstrip("s") in WEEKDAYS:
        ahead = (WEEKDAYS.index(word.rstrip("s")) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    return None


class Keeper:
    """The household's records, as the adapter asks for them; replies are spoken lines."""

    def __init__(self, planner: Planner, titles: Callable[[], dict[str, str]], *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.planner = planner
        self.store = planner.store
        self.titles = titles
        self.clock = clock
        self.scheduler: Scheduler | None = None
        """Told to reload when a schedule or snooze changes (set by ``hearth run``)."""

    def _changed(self) -> None:
        if self.scheduler is not None:
            self.scheduler.reload()

    def _title(self, ritual: str) -> str:
        return self.titles().get(ritual, ritual.replace("-", " "))

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.planner.zone)

    def _describe(self, schedule: Schedule) -> str:
        recurrence = self.planner.recurrence(schedule)
        when = recurrence.describe() if recurrence else schedule.when
        return f"{self._title(schedule.ritual)} {when}"

    # -- history -------------------------------------------------------------------------

    def run_started(self, ritual: str, site: str) -> int | None:
        return self.store.run_started(ritual, site, self.clock())

    def run_ended(self, run_id: int, completed: bool) -> None:
        self.store.run_ended(run_id, self.clock(), completed)

    def save_position(self, run_id: int, position: str, names: tuple[str, ...]) -> None:
        self.store.save_position(run_id, position, names)

    def interrupted(self) -> list[Interrupted]:
        return [Interrupted(run.id, run.ritual, run.site, position, names)
                for run, position, names in self.store.interrupted()]

    def this_week(self) -> str:
        local = self._local(self.clock())
        monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0,
                                                                    microsecond=0)
        count = self.store.count_runs(monday.astimezone(UTC))
        if count == 0:
            return "No rituals yet this week."
        times = "one ritual" if count == 1 else f"{count} rituals"
        return f"This week you've done {times} together."

    # -- snoozes and schedules -------------------------------------------------------------

    def snooze(self, due: Due, seconds: float) -> None:
        self.store.add_snooze(due.schedule_id, due.ritual, due.site,
                              self.clock() + timedelta(seconds=seconds), due.names)
        self._changed()

    def schedule(self, ritual: str, site: str, when: str) -> str:
        try:
            recurrence = parse_recurrence(when)
        except RecurrenceError:
            return "Sorry, I didn't get when. Try: every Sunday at eight in the evening."
        schedule = self.store.add_schedule(ritual, site, recurrence.describe(), source="voice")
        self._changed()
        upcoming = next_occurrences(recurrence, self.planner.zone, self.clock(), 1)
        following = f" The first one is {upcoming[0]:%A at %H:%M}." if upcoming else ""
        return f"Done: {self._describe(schedule)}.{following}"

    def _here(self, site: str) -> list[Schedule]:
        return [s for s in self.store.schedules() if s.site == site]

    def scheduled(self, site: str) -> str:
        here = self._here(site)
        paused = self.store.paused_until()
        note = ""
        if paused is not None and paused > self.clock():
            note = f" All rituals are paused until {self._local(paused):%A}."
        if not here:
            return "Nothing is scheduled here." + note
        listing = "; ".join(self._describe(s) + (" (paused)" if s.paused else "") for s in here)
        return f"Scheduled here: {listing}.{note}"

    def cancel(self, site: str, ritual: str | None, day: str | None) -> str:
        candidates = self._here(site)
        if ritual:
            candidates = [s for s in candidates if s.ritual == ritual]
        if day and day.lower().rstrip("s") in WEEKDAYS:
            weekday = WEEKDAYS.index(day.lower().rstrip("s"))
            candidates = [s for s in candidates
                          if (r := self.planner.recurrence(s)) is not None and weekday in r.days]
        if not candidates:
            return "I couldn't find that schedule here."
        if len(candidates) > 1:
            listing = "; ".join(self._describe(s) for s in candidates)
            return f"There are {len(candidates)}: {listing}. Tell me which ritual to cancel."
        (schedule,) = candidates
        self.store.remove_schedule(schedule.id)
        self._changed()
        return f"Cancelled: {self._describe(schedule)}."

    def skip_tonight(self, site: str) -> str:
        now = self.clock()
        today = self._local(now).date()
        skipped = []
        for schedule in self._here(site):
            recurrence = self.planner.recurrence(schedule)
            if recurrence is None or schedule.paused:
                continue
            upcoming = next_occurrences(recurrence, self.planner.zone, now, 1)
            if upcoming and self._local(upcoming[0]).date() == today:
                self.planner.skip_next(schedule, now)
                skipped.append(self._title(schedule.ritual))
        if not skipped:
            return "Nothing more is scheduled here tonight."
        return f"Alright, no {' or '.join(skipped)} tonight."

    def pause_until(self, day: str) -> str:
        until = start_of_day(day, self._local(self.clock()))
        if until is None:
            return "Until when? For example: pause all rituals until Monday."
        self.store.set_pause(until.astimezone(UTC))
        self._changed()
        return f"All rituals are paused until {until:%A}. Enjoy the break."

    def resume(self) -> str:
        self.store.set_pause(None)
        self._changed()
        return "Rituals are back on."
