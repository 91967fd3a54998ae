"""Hearth on a real broker: Mosquitto, Rhasspy's own dialogue manager, ``hearth run`` as a
process of its own, and text satellites standing in for each room's speaker and microphone.

The satellites understand typed sentences with rhasspy-nlu trained on Hearth's sentences,
so every command here goes the way a spoken one does: wake word, a session opened by the
dialogue manager, recognised text, an intent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import HOST, TEST_RITUALS, HearthProcess, Mosquitto, run_hearth

from skill.demo import DialogueManager
from skill.loader import load_library
from skill.nlu import build_sentences
from skill.recognizer import Recognizer, train
from skill.satellite import Satellite

pytestmark = pytest.mark.broker

RECOGNIZER: Recognizer | None = None
PAUSED = "Paused. Say resume when you're ready."
STOPPED = "Alright, we'll stop here. Thank you for the time together."


def recognizer() -> Recognizer:
    global RECOGNIZER  # noqa: PLW0603 - training takes a second; once per test run is enough
    if RECOGNIZER is None:
        RECOGNIZER = train(build_sentences(load_library(TEST_RITUALS)))
    return RECOGNIZER


@dataclass
class House:
    broker: Mosquitto
    dialogue: DialogueManager
    hearth: HearthProcess
    rooms: dict[str, Satellite]

    def room(self, site: str) -> Satellite:
        if site not in self.rooms:
            self.rooms[site] = Satellite(HOST, self.broker.port, site, recognizer()).start()
        return self.rooms[site]


@pytest.fixture
def house(broker: Mosquitto, hearth_factory: list[HearthProcess], tmp_path: Path
          ) -> Iterator[House]:
    dialogue = DialogueManager(broker.port).start()
    hearth = run_hearth(hearth_factory, broker.port, tmp_path / "data")
    house = House(broker, dialogue, hearth, {})
    yield house
    for satellite in house.rooms.values():
        satellite.stop()
    dialogue.stop()


def heard(room: Satellite, text: str, timeout: float = 30.0) -> None:
    ok = room.wait_for(lambda h: any(x.text == text for x in h), timeout)
    assert ok, f"never heard {text!r}; heard {room.lines()}"


def heard_start(room: Satellite, prefix: str, timeout: float = 30.0) -> str:
    ok = room.wait_for(lambda h: any(x.text.startswith(prefix) for x in h), timeout)
    assert ok, f"never heard a line starting {prefix!r}; heard {room.lines()}"
    return next(line for line in room.lines() if line.startswith(prefix))


def listening(room: Satellite, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while room.listening is None:
        assert time.monotonic() < deadline, f"no question is listening; heard {room.lines()}"
        time.sleep(0.02)


def test_a_whole_ritual_on_one_site(house: House) -> None:
    room = house.room("default")
    room.utter("start the quick ritual")
    heard(room, "Are you ready?")
    listening(room)
    room.utter("yes")
    heard(room, "Goodbye, Alex and Sam.")
    lines = room.lines()
    assert lines[:3] == ["Welcome, Alex and Sam.", "Are you ready?", "Good."]
    turns = [line for line in lines if line.endswith(", your turn.")]
    assert sorted(turns) == ["Alex, your turn.", "Sam, your turn."]
    assert lines.count("Nearly done.") == 2
    assert [h.kind for h in room.heard].count("chime") == 1
    assert house.hearth.wait_log("ritual quick finished")


def test_two_sites_run_different_rituals_without_crosstalk(house: House) -> None:
    kitchen, bedroom = house.room("kitchen"), house.room("bedroom")
    kitchen.utter("start the quick ritual")
    bedroom.utter("start the calm ritual")
    heard(bedroom, "Let's begin.")
    heard(kitchen, "Are you ready?")
    listening(kitchen)
    kitchen.utter("no")
    heard(kitchen, "Another time then.")
    bedroom.utter("stop")
    heard(bedroom, STOPPED)
    assert "Let's begin." not in kitchen.lines() and STOPPED not in kitchen.lines()
    assert "Welcome, Alex and Sam." not in bedroom.lines()


# -- every control command during a spoken line, a timed turn and a question -------------


def reach(room: Satellite, place: str) -> None:
    """Start the calm ritual and stand at ``place``."""
    if place == "line":
        room.answer_speech = False  # the first line stays "being spoken"
    room.utter("start the calm ritual")
    heard(room, "Let's begin.")
    if place == "talk":
        time.sleep(1.0)  # a second into the six-second talk
    elif place == "question":
        heard(room, "Shall we go on?")
        listening(room)


def finish(room: Satellite, until: str = "The end.", timeout: float = 30.0) -> None:
    """Answer "yes" to whatever is asked, until ``until`` is heard."""
    room.answer_speech = True
    room.release()
    deadline = time.monotonic() + timeout
    answered = 0
    while until not in room.lines():
        assert time.monotonic() < deadline, f"never heard {until!r}; heard {room.lines()}"
        asked = room.lines().count("Shall we go on?") + room.lines().count(
            "Sorry, I didn't catch that. Shall we go on?")
        if room.listening is not None and asked > answered:
            answered = asked
            room.utter("yes")
        time.sleep(0.05)


PLACES = ["line", "talk", "question"]


@pytest.mark.parametrize("place", PLACES)
def test_pause_and_resume(house: House, place: str) -> None:
    room = house.room("default")
    reach(room, place)
    room.utter("pause")
    heard(room, PAUSED)
    room.release()
    time.sleep(1.0)
    before = len(room.lines())
    time.sleep(6.5)  # longer than the talk: nothing moves while paused
    assert room.lines()[before:] == []
    room.utter("resume")
    heard(room, "Let's carry on.")
    finish(room)


@pytest.mark.parametrize("place", PLACES)
def test_next(house: House, place: str) -> None:
    room = house.room("default")
    reach(room, place)
    started = time.monotonic()
    room.utter("I'm done")
    if place == "question":
        finish(room)  # the question goes unanswered: on to the silence and the end
        assert "On we go." not in room.lines()
    else:
        heard(room, "Shall we go on?")
        if place == "talk":
            assert time.monotonic() - started < 4.5  # well before the talk's six seconds
        finish(room)


@pytest.mark.parametrize("place", PLACES)
def test_skip(house: House, place: str) -> None:
    room = house.room("default")
    reach(room, place)
    room.utter("skip this step")
    if place == "question":
        finish(room)
        assert "On we go." not in room.lines()
    else:
        heard(room, "Shall we go on?")
        finish(room)


@pytest.mark.parametrize("place", PLACES)
def test_repeat(house: House, place: str) -> None:
    room = house.room("default")
    reach(room, place)
    room.utter("say that again")
    expected = "Shall we go on?" if place == "question" else "Let's begin."
    room.release()
    assert room.wait_for(lambda h: [x.text for x in h].count(expected) >= 2, 20), room.lines()
    finish(room)


@pytest.mark.parametrize("place", PLACES)
def test_time_left(house: House, place: str) -> None:
    room = house.room("default")
    reach(room, place)
    room.utter("how much time is left")
    line = heard_start(room, "About ")
    if place == "question":
        assert line.endswith("left in the ritual.")
        # the question is asked again after the answer
        assert room.wait_for(lambda h: [x.text for x in h].count("Shall we go on?") == 2, 20)
    else:
        # during a line, the wake word ends it (Rhasspy aborts its session): the ritual is
        # in the talk by the time the question is answered
        assert "left in this part" in line
    finish(room)


@pytest.mark.parametrize("place", PLACES)
def test_stop(house: House, place: str) -> None:
    room = house.room("default")
    reach(room, place)
    room.utter("stop the ritual")
    room.release()
    heard(room, STOPPED)
    time.sleep(7.0)  # the rest of the ritual never comes
    assert room.lines()[-1] == STOPPED
    assert house.hearth.wait_log("ritual calm was stopped")


def test_commands_with_no_ritual_running_get_a_kind_answer(house: House) -> None:
    room = house.room("default")
    room.utter("pause")
    heard(room, "There's no ritual running right now. You can say, start the appreciation round.")
    room.utter("which rituals are there")
    heard(room, "I know these rituals: Calm ritual and Quick ritual.")


def test_the_broker_restarts_in_the_middle_of_a_ritual(house: House) -> None:
    room = house.room("default")
    room.utter("start the calm ritual")
    heard(room, "Let's begin.")
    time.sleep(1.0)
    house.broker.stop()
    time.sleep(2.0)
    house.broker.start()  # same port
    heard(room, "Shall we go on?", timeout=40)
    listening(room, timeout=20)
    room.utter("yes")
    heard(room, "The end.", timeout=40)
    lines = room.lines()
    assert lines.count("Let's begin.") == 1 and lines.count("On we go.") == 1
    log = house.hearth.text()
    assert "lost the connection" in log and log.count("connected to") >= 2


def test_what_people_say_never_reaches_the_log(house: House) -> None:
    room = house.room("default")
    room.utter("start the quick ritual")
    heard(room, "Are you ready?")
    listening(room)
    room.utter("yes")
    heard(room, "Goodbye, Alex and Sam.")
    room.utter("how much time is left")
    heard(room, "There's no ritual running right now. You can say, start the appreciation round.")
    log = house.hearth.text()
    assert "start the quick ritual" not in log
    assert "how much time is left" not in log
    assert '"input"' not in log and "rawInput" not in log

