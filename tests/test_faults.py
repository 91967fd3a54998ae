"""Faults a household's machine meets: a process killed mid-ritual, and started again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import HearthProcess, Mosquitto, run_hearth
from test_broker import heard, listening
from test_schedules_live import hearth_cli, room  # noqa: F401 - the room fixture

from skill.satellite import Satellite

pytestmark = pytest.mark.broker

OFFER = ("We were in the middle of Calm ritual when I was interrupted. "
         "Shall we go on where we stopped?")


def test_killed_mid_ritual_it_offers_to_go_on_where_it_stopped(
    broker: Mosquitto, room: Satellite, hearth_factory: list[HearthProcess],  # noqa: F811
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = run_hearth(hearth_factory, broker.port, data)
    room.utter("start the calm ritual")
    heard(room, "Let's begin.")
    time.sleep(1.0)  # into the six-second talk
    first.kill()  # SIGKILL: no goodbye, no chance to save anything more
    run_hearth(hearth_factory, broker.port, data)
    heard(room, OFFER)
    listening(room)
    room.utter("yes")
    heard(room, "Shall we go on?")  # the talk was done again, then the next step
    listening(room)
    room.utter("yes")
    heard(room, "The end.")
    assert room.lines().count("Let's begin.") == 1  # not from the beginning
    history = hearth_cli(data, "history")
    assert "calm" in history.stdout and "finished" in history.stdout


def test_killed_mid_ritual_and_declined_the_run_is_closed(
    broker: Mosquitto, room: Satellite, hearth_factory: list[HearthProcess],  # noqa: F811
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = run_hearth(hearth_factory, broker.port, data)
    room.utter("start the calm ritual")
    heard(room, "Let's begin.")
    first.kill()
    second = run_hearth(hearth_factory, broker.port, data)
    heard(room, OFFER)
    listening(room)
    room.utter("no")
    heard(room, "Alright, we'll leave it there.")
    second.stop()
    run_hearth(hearth_factory, broker.port, data)  # and the next start asks no more
    time.sleep(3.0)
    assert room.lines().count(OFFER) == 1
    assert "stopped" in hearth_cli(data, "history").stdout
