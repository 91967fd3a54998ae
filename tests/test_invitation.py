"""Invitations to scheduled rituals, over the in-process transport on a fake loop."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fakehermes import Reason, World, decoded
from test_adapter import mini_library, start

from skill.household import Due, Interrupted, NoHousehold

QUESTION = "It's time for Test ritual. Is now a good time?"


@dataclass
class RecordingHousehold(NoHousehold):
    snoozed: list[tuple[Due, float]] = field(default_factory=list)
    runs: list[tuple[str, str]] = field(default_factory=list)
    ended: list[tuple[int, bool]] = field(default_factory=list)

    def snooze(self, due: Due, seconds: float) -> None:
        self.snoozed.append((due, seconds))

    def run_started(self, ritual: str, site: str) -> int | None:
        self.runs.append((ritual, site))
        return len(self.runs)

    def run_ended(self, run_id: int, completed: bool) -> None:
        self.ended.append((run_id, completed))


DUE = Due("mini", "default", (), "2026-11-22T21:00", schedule_id=1)


def invited(**options: object) -> tuple[World, RecordingHousehold, str, str]:
    house = RecordingHousehold()
    w = World(mini_library(), household=house, invitation_retry=300.0, **options)
    w.adapter.offer(DUE)
    (question,) = w.new()
    asked = decoded(question)
    assert asked["init"]["text"] == QUESTION
    assert "HearthSnooze" in asked["init"]["intentFilter"]
    assert "HearthSkipTonight" in asked["init"]["intentFilter"]
    session = w.started(custom_data=asked["customData"])
    return w, house, session, asked["customData"]


def test_yes_starts_the_ritual_and_the_history_records_it() -> None:
    w, house, session, custom = invited()
    w.intent("HearthYes", session_id=session)
    w.ended(session, custom_data=custom)
    assert w.spoken(w.new()) == ["Welcome, Alex and Sam."]
    assert house.runs == [("mini", "default")]
    w.wake("HearthStop")
    assert house.ended == [(1, False)]


def test_no_lets_this_one_go() -> None:
    w, house, session, custom = invited()
    w.intent("HearthNo", session_id=session)
    w.ended(session, custom_data=custom)
    assert w.spoken(w.new()) == ["Alright, not tonight."]
    w.finish_output()
    assert w.adapter.sites["default"].idle and house.runs == []


def test_not_tonight_is_no() -> None:
    w, _, session, custom = invited()
    w.intent("HearthSkipTonight", session_id=session)
    w.ended(session, custom_data=custom)
    assert w.spoken(w.new()) == ["Alright, not tonight."]


def test_in_twenty_minutes_snoozes() -> None:
    w, house, session, custom = invited()
    w.intent("HearthSnooze", session_id=session, slots={"minutes": "20"})
    w.ended(session, custom_data=custom)
    assert w.spoken(w.new()) == ["Alright. I'll ask again in twenty minutes."]
    assert house.snoozed == [(DUE, 1200.0)]


@pytest.mark.parametrize("minutes", ["0", "-5", "1441", "99999999999999999999", "9" * 5000,
                                     "ten", ""])
def test_a_snooze_out_of_range_says_so_and_waits_ten_minutes(minutes: str) -> None:
    w, house, session, custom = invited()
    w.intent("HearthSnooze", session_id=session, slots={"minutes": minutes})
    w.ended(session, custom_data=custom)
    spoken = w.spoken(w.new())
    if minutes:  # an empty slot is no number at all: ten minutes, said once
        assert spoken == ["I can put it off by a minute up to a day, so let's say ten minutes."]
        spoken = w.spoken(w.finish_output())
    assert spoken == ["Alright. I'll ask again in ten minutes."]
    assert house.snoozed == [(DUE, 600.0)]


def test_no_answer_asks_once_more_later_then_lets_it_go() -> None:
    w, house, session, custom = invited()
    w.ended(session, reason=Reason.TIMEOUT, custom_data=custom)
    assert w.new() == []
    w.loop.advance(299)
    assert w.new() == []
    w.loop.advance(1)
    (again,) = w.new()
    assert decoded(again)["init"]["text"] == (
        "It's still time for Test ritual, if you'd like. Shall we start?"
    )
    second = w.started(custom_data=decoded(again)["customData"])
    w.ended(second, reason=Reason.TIMEOUT, custom_data=decoded(again)["customData"])
    w.loop.advance(3600)
    assert w.new() == []
    assert w.adapter.sites["default"].idle and house.runs == []


def test_a_question_not_understood_is_asked_again_once() -> None:
    w, _, session, _ = invited()
    w.not_recognized(session)
    (again,) = w.new()
    assert decoded(again)["text"] == (
        "Sorry, I didn't catch that. Shall we start Test ritual now? Yes, no, or later?"
    )


def test_a_due_ritual_never_interrupts_one_in_progress_it_waits() -> None:
    house = RecordingHousehold()
    w = World(mini_library(), household=house)
    start(w)
    w.new()
    w.adapter.offer(DUE)
    assert w.new() == []  # nothing said in the middle of the ritual
    w.wake("HearthStop")
    w.finish_output()  # the welcome
    w.finish_output()  # "Alright, we'll stop here."
    w.loop.advance(0)
    (question,) = w.new()
    assert decoded(question)["init"]["text"] == (
        "Now that we're done: it's also time for Test ritual. Is now a good time?"
    )


def test_a_due_ritual_that_waited_past_the_grace_period_is_let_go() -> None:
    w = World(mini_library(), household=RecordingHousehold(), grace=60.0)
    start(w)
    w.new()
    w.adapter.offer(DUE)
    w.loop.advance(61)
    w.wake("HearthStop")
    w.finish_output()
    w.finish_output()
    w.loop.advance(0)
    assert w.new() == []
    assert w.adapter.sites["default"].idle


def test_snooze_without_an_invitation() -> None:
    w = World(mini_library())
    w.wake("HearthSnooze", slots={"minutes": "10"})
    assert w.spoken(w.new()) == ["There's nothing to put off right now."]


def test_an_offer_for_a_site_not_served_or_a_ritual_not_loaded() -> None:
    w = World(mini_library(), site_ids=["kitchen"])
    w.adapter.offer(DUE)  # site "default" is not served
    w.adapter.offer(Due("gone", "kitchen", (), "x"))
    assert w.new() == []


def test_starting_a_ritual_while_an_invitation_waits_sets_the_invitation_aside() -> None:
    w, house, session, custom = invited()
    w.ended(session, reason=Reason.TIMEOUT, custom_data=custom)  # nobody answered: it waits
    w.wake("HearthStartRitual", slots={"ritual": "mini"})
    assert w.spoken(w.new()) == ["Welcome, Alex and Sam."]
    assert w.adapter.sites["default"].invitation is None
    assert house.runs == [("mini", "default")]
    w.loop.advance(600)  # the invitation's retry never comes
    w.finish_output()
    assert not any("It's still time" in line for line in w.spoken(w.new()))


@dataclass
class PositionHousehold(RecordingHousehold):
    positions: dict[int, str] = field(default_factory=dict)

    def save_position(self, run_id: int, position: str, names: tuple[str, ...]) -> None:
        self.positions[run_id] = position


def test_the_position_is_kept_as_the_ritual_moves_and_a_new_process_goes_on_from_it() -> None:
    house = PositionHousehold()
    w = World(mini_library(), household=house)
    start(w)
    w.finish_output()  # welcome → chime
    w.finish_output()  # chime → the question
    saved = house.positions[1]
    # The process dies here. A new one finds the run unfinished:
    again = PositionHousehold()
    w2 = World(mini_library(), household=again)
    w2.adapter.offer_resume(Interrupted(1, "mini", "default", saved, ("Alex", "Sam")))
    (offer,) = w2.new()
    assert decoded(offer)["init"]["text"] == (
        "We were in the middle of Test ritual when I was interrupted. "
        "Shall we go on where we stopped?"
    )
    session = w2.started(custom_data=decoded(offer)["customData"])
    w2.intent("HearthYes", session_id=session)
    w2.ended(session, custom_data=decoded(offer)["customData"])
    assert w2.spoken(w2.new()) == ["Ready?"]  # where it stood: the question
    assert again.runs == []  # the same run goes on; no new one is recorded


def test_declining_to_go_on_ends_the_interrupted_run() -> None:
    house = PositionHousehold()
    w = World(mini_library(), household=house)
    position = '{"first": 0, "frames": [[1, 0, null]]}'
    w.adapter.offer_resume(Interrupted(7, "mini", "default", position, ("Alex", "Sam")))
    (offer,) = w.new()
    session = w.started(custom_data=decoded(offer)["customData"])
    w.intent("HearthNo", session_id=session)
    w.ended(session, custom_data=decoded(offer)["customData"])
    assert w.spoken(w.new()) == ["Alright, we'll leave it there."]
    assert house.ended == [(7, False)]


def test_a_ritual_changed_since_the_crash_starts_afresh() -> None:
    w = World(mini_library(), household=PositionHousehold())
    position = '{"first": 0, "frames": [[42, 0, null]]}'
    w.adapter.offer_resume(Interrupted(7, "mini", "default", position, ("Alex", "Sam")))
    (offer,) = w.new()
    session = w.started(custom_data=decoded(offer)["customData"])
    w.intent("HearthYes", session_id=session)
    w.ended(session, custom_data=decoded(offer)["customData"])
    assert w.spoken(w.new()) == ["Welcome, Alex and Sam."]
