"""Scheduled rituals in a running ``hearth run``: restarts, a second process, and voice.

Real parts: Mosquitto, Rhasspy's dialogue manager, ``hearth run`` processes, a text
satellite. The schedules are set a couple of minutes in the past, so each start-up finds
one due within its grace period, without waiting for the clock.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import HOST, ROOT, TEST_RITUALS, HearthProcess, Mosquitto, hearth_env, run_hearth
from test_broker import heard, listening, recognizer

from skill.demo import DialogueManager
from skill.satellite import Satellite

pytestmark = pytest.mark.broker

INVITATION = "It's time for Quick ritual. Is now a good time?"
UTC_ENV = {"HEARTH_TIMEZONE": "UTC"}


def hearth_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skill", "--rituals", str(TEST_RITUALS), *args],
        env={**hearth_env(data_dir), **UTC_ENV}, capture_output=True, text=True, cwd=ROOT,
        timeout=60, check=False,
    )


def schedule_due_two_minutes_ago(data_dir: Path) -> None:
    due = datetime.now(UTC) - timedelta(minutes=2)
    result = hearth_cli(data_dir, "schedule", "add", "quick", "every", "day", "at",
                        f"{due:%H:%M}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added schedule 1: Quick ritual every day at")


@pytest.fixture
def room(broker: Mosquitto) -> Iterator[Satellite]:
    dialogue = DialogueManager(broker.port).start()
    satellite = Satellite(HOST, broker.port, "default", recognizer()).start()
    yield satellite
    satellite.stop()
    dialogue.stop()


def invitations(room: Satellite) -> int:
    return room.lines().count(INVITATION)


def test_killed_and_started_again_nothing_lost_nothing_offered_twice(
    broker: Mosquitto, room: Satellite, hearth_factory: list[HearthProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    schedule_due_two_minutes_ago(data)
    first = run_hearth(hearth_factory, broker.port, data, env=UTC_ENV)
    heard(room, INVITATION)
    first.kill()  # SIGKILL, in the middle of the invitation
    second = run_hearth(hearth_factory, broker.port, data, env=UTC_ENV)
    assert second.wait_log("1 schedules, time zone UTC")
    time.sleep(4.0)
    assert invitations(room) == 1
    listed = hearth_cli(data, "schedule", "list")
    assert listed.returncode == 0 and "quick" in listed.stdout and "every day at" in listed.stdout


def test_two_processes_on_one_data_file_offer_it_once(
    broker: Mosquitto, room: Satellite, hearth_factory: list[HearthProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    schedule_due_two_minutes_ago(data)
    run_hearth(hearth_factory, broker.port, data, env=UTC_ENV)
    run_hearth(hearth_factory, broker.port, data, env=UTC_ENV)
    heard(room, INVITATION)
    time.sleep(4.0)
    assert invitations(room) == 1


def test_the_invitation_accepted_and_the_history_kept(
    broker: Mosquitto, room: Satellite, hearth_factory: list[HearthProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    schedule_due_two_minutes_ago(data)
    hearth = run_hearth(hearth_factory, broker.port, data, env=UTC_ENV)
    heard(room, INVITATION)
    listening(room)
    room.utter("yes")
    heard(room, "Welcome, Alex and Sam.")
    heard(room, "Are you ready?")
    listening(room)
    room.utter("yes")
    heard(room, "Goodbye, Alex and Sam.")
    assert hearth.wait_log("ritual quick finished")
    history = hearth_cli(data, "history")
    assert history.returncode == 0
    assert " quick " in history.stdout and "finished" in history.stdout
    assert history.stdout.strip().endswith("1 rituals finished in the last 7 days")
    room.utter("how many rituals did we do this week")
    heard(room, "This week you've done one ritual together.")
    deleted = hearth_cli(data, "history", "--delete")
    assert deleted.returncode == 0 and "deleted the ritual history" in deleted.stdout
    assert hearth_cli(data, "history").stdout.strip() == "0 rituals finished in the last 7 days"


def test_the_invitation_snoozed_by_voice(
    broker: Mosquitto, room: Satellite, hearth_factory: list[HearthProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    schedule_due_two_minutes_ago(data)
    run_hearth(hearth_factory, broker.port, data, env=UTC_ENV)
    heard(room, INVITATION)
    listening(room)
    room.utter("ask me again in twenty minutes")
    heard(room, "Alright. I'll ask again in twenty minutes.")
    listed = hearth_cli(data, "schedule", "list")
    assert "snoozed: quick at default" in listed.stdout


def test_schedules_by_voice(
    broker: Mosquitto, room: Satellite, hearth_factory: list[HearthProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run_hearth(hearth_factory, broker.port, data, env=UTC_ENV)
    room.utter("schedule the quick ritual every sunday at eight thirty pm")
    line = next(iter([heard_line(room, "Done: Quick ritual every Sunday at 20:30.")]))
    assert line.endswith("at 20:30.")
    room.utter("what's scheduled")
    heard(room, "Scheduled here: Quick ritual every Sunday at 20:30.")
    assert "every Sunday at 20:30" in hearth_cli(data, "schedule", "list").stdout
    room.utter("pause all rituals until monday")
    heard(room, "All rituals are paused until Monday. Enjoy the break.")
    room.utter("we're back from holiday")
    heard(room, "Rituals are back on.")
    room.utter("skip tonight")
    now = datetime.now(UTC)
    tonight = now.weekday() == 6 and (now.hour, now.minute) < (20, 30)
    heard(room, "Alright, no Quick ritual tonight." if tonight
          else "Nothing more is scheduled here tonight.")
    room.utter("cancel the sunday ritual")
    heard(room, "Cancelled: Quick ritual every Sunday at 20:30.")
    assert "no schedules" in hearth_cli(data, "schedule", "list").stdout


def test_a_schedule_added_from_the_shell_reaches_a_running_hearth(
    broker: Mosquitto, room: Satellite, hearth_factory: list[HearthProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    hearth = run_hearth(hearth_factory, broker.port, data, env=UTC_ENV)
    schedule_due_two_minutes_ago(data)
    assert hearth.wait_log("schedules reloaded", timeout=15)
    room.utter("what's scheduled")
    heard_line(room, "Scheduled here: Quick ritual every day at")


def heard_line(room: Satellite, prefix: str, timeout: float = 30.0) -> str:
    ok = room.wait_for(lambda h: any(x.text.startswith(prefix) for x in h), timeout)
    assert ok, f"never heard a line starting {prefix!r}; heard {room.lines()}"
    return next(line for line in room.lines() if line.startswith(prefix))
