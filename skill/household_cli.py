"""``hearth schedule …`` and ``hearth history``: the household's records from the shell.

They work on the data file directly, so they work whether or not ``hearth run`` is running;
a running one notices the change within seconds.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from skill.config import Settings, add_mqtt_arguments, default_config_file, load_settings
from skill.errors import HearthError
from skill.loader import load_library
from skill.recurrence import parse_recurrence
from skill.scheduler import (
    Planner,
    local_zone,
    next_occurrences,
    start_of_day,
)
from skill.store import FILE_NAME, Store


class UsageError(HearthError):
    """A command given what it cannot use; the message says what instead."""


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args, os.environ, default_config_file(os.environ))


def cmd_schedule(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with Store(settings.data_dir / FILE_NAME) as store:
        planner = Planner(store, local_zone(settings.timezone))
        action = args.action
        if action == "list":
            return _list(planner, settings)
        if action == "add":
            library = load_library(settings.rituals)
            ritual = library.get(args.ritual)
            recurrence = parse_recurrence(" ".join(args.when))
            names = tuple(n.strip() for n in (args.schedule_names or "").split(",")
                          if n.strip())
            schedule = store.add_schedule(ritual.id, args.site, recurrence.describe(), names,
                                          source="cli")
            upcoming = next_occurrences(recurrence, planner.zone, datetime.now(UTC), 1)
            first = f"; first on {upcoming[0]:%a %d %b %H:%M}" if upcoming else ""
            print(f"added schedule {schedule.id}: {ritual.title} {recurrence.describe()} "
                  f"at {args.site}{first}")
            return 0
        if action in ("remove", "skip"):
            found = store.schedule(args.id)
            if found is None:
                raise UsageError(f"no schedule {args.id}; see `hearth schedule list`")
            if action == "remove":
                store.remove_schedule(args.id)
                print(f"removed schedule {args.id}")
                return 0
            when = planner.skip_next(found, datetime.now(UTC))
            print(f"skipping {found.ritual} on {when:%a %d %b %H:%M}" if when
                  else "that one is already skipped or offered")
            return 0
        if action in ("pause", "resume"):
            return _pause_or_resume(args, planner, pause=action == "pause")
    return 2


def _pause_or_resume(args: argparse.Namespace, planner: Planner, *, pause: bool) -> int:
    store = planner.store
    if args.id is not None:
        if not store.set_paused(args.id, pause):
            raise UsageError(f"no schedule {args.id}; see `hearth schedule list`")
        print(f"schedule {args.id} {'paused' if pause else 'resumed'}")
        return 0
    if not pause:
        store.set_pause(None)
        print("all schedules are back on")
        return 0
    if not args.until:
        raise UsageError("pause what? give a schedule id, or --until DAY for all of them")
    until = start_of_day(args.until, datetime.now(UTC).astimezone(planner.zone))
    if until is None:
        raise UsageError(f"--until {args.until!r}: expected a weekday, tomorrow or next week")
    store.set_pause(until.astimezone(UTC))
    print(f"all schedules paused until {until:%a %d %b %H:%M %Z}")
    return 0


def _list(planner: Planner, settings: Settings) -> int:
    store = planner.store
    now = datetime.now(UTC)
    schedules = store.schedules()
    if not schedules:
        print("no schedules")
    for schedule in schedules:
        recurrence = planner.recurrence(schedule)
        when = recurrence.describe() if recurrence else f"{schedule.when} (cannot be read)"
        upcoming = next_occurrences(recurrence, planner.zone, now, 1) if recurrence else []
        following = f"next {upcoming[0]:%a %d %b %H:%M}" if upcoming and not schedule.paused \
            else "paused" if schedule.paused else ""
        names = f" for {', '.join(schedule.names)}" if schedule.names else ""
        print(f"{schedule.id:>3}  {schedule.ritual:<28} {when:<36} at {schedule.site}{names}"
              f"  [{schedule.source}]  {following}")
    paused = store.paused_until()
    if paused is not None and paused > now:
        print(f"all schedules are paused until {paused.astimezone(planner.zone):%a %d %b %H:%M}")
    for snooze in store.snoozes():
        print(f"snoozed: {snooze.ritual} at {snooze.site}, "
              f"{snooze.due.astimezone(planner.zone):%a %H:%M}")
    print(f"time zone {planner.zone.key}; data in {store.path}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    settings = _settings(args)
    with Store(settings.data_dir / FILE_NAME) as store:
        if args.delete:
            deleted = store.delete_history()
            print(f"deleted the ritual history and the prompts used ({deleted} records)")
            return 0
        zone = local_zone(settings.timezone)
        since = datetime.now(UTC) - timedelta(days=args.days)
        runs = store.runs(since)
        for run in runs:
            state = "finished" if run.completed else ("stopped" if run.ended else "interrupted")
            print(f"{run.started.astimezone(zone):%a %d %b %H:%M}  {run.ritual:<28} "
                  f"at {run.site:<14} {state}")
        done = sum(1 for run in runs if run.completed)
        print(f"{done} rituals finished in the last {args.days} days")
    return 0


def register(commands: Any) -> None:
    schedule = commands.add_parser(
        "schedule", help="list, add, remove, pause or resume scheduled rituals",
        description="Scheduled rituals, kept in Hearth's data file. Works with or without "
                    "`hearth run` running.",
    )
    add_mqtt_arguments(schedule)
    actions = schedule.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every schedule with its next time")
    add = actions.add_parser("add", help="add a schedule",
                             description="e.g. hearth schedule add appreciation-round "
                                         "sundays at 20:30 --site livingroom")
    add.add_argument("ritual", help="a ritual id")
    add.add_argument("when", nargs="+", help="e.g. every weekday at 21:00, or a cron line")
    add.add_argument("--site", default="default", help="the site (room) to invite in")
    add.add_argument("--for", dest="schedule_names", metavar="NAMES",
                     help="names for this schedule, comma-separated (default: the household's)")
    remove = actions.add_parser("remove", help="remove a schedule")
    remove.add_argument("id", type=int)
    skip = actions.add_parser("skip", help="skip the next time of a schedule")
    skip.add_argument("id", type=int)
    pause = actions.add_parser("pause", help="pause one schedule, or all until a day")
    pause.add_argument("id", type=int, nargs="?")
    pause.add_argument("--until", help="a weekday, tomorrow or 'next week'")
    resume = actions.add_parser("resume", help="resume one schedule, or lift the pause")
    resume.add_argument("id", type=int, nargs="?")
    schedule.set_defaults(func=cmd_schedule)

    history = commands.add_parser(
        "history", help="which rituals ran, when and where (never what was said)"
    )
    add_mqtt_arguments(history)
    history.add_argument("--days", type=int, default=7, help="how far back (default: 7)")
    history.add_argument("--delete", action="store_true",
                         help="delete the whole history and the record of prompts used")
    history.set_defaults(func=cmd_history)
