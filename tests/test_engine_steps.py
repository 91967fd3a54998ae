"""Every step type, on a fake clock: exact effects, exact times."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from harness import Harness, make_ritual

from skill.decks import MemoryDeckHistory, draw
from skill.effects import (
    AskQuestion,
    CancelTimer,
    CloseMicrophone,
    Finished,
    PlayChime,
    Speak,
    StartTimer,
)
from skill.engine import ParticipantsError, Phase, Position, PositionError, Run
from skill.events import (
    Answer,
    Command,
    Control,
    NoAnswer,
    NotUnderstood,
    OutputDone,
    Start,
    TimerFired,
)
from skill.ritual import Deck


def test_say_speaks_and_waits_for_the_line_to_finish() -> None:
    h = Harness("  - say: Hello, {names}.\n  - say: Second line.\n")
    assert h.start() == [Speak(1, "Hello, Alex and Sam.")]
    assert h.run.phase is Phase.SPEAKING
    assert h.send(OutputDone(99)) == []  # a stale or unknown token moves nothing
    assert h.done() == [Speak(2, "Second line.")]
    assert h.done() == [Finished(True)]
    assert h.run.completed is True


def test_names_of_three_or_more_are_joined_naturally() -> None:
    h = Harness("  - say: Welcome, {names}.\n", names=["Alex", "Sam", "Kim"])
    assert h.lines(h.start()) == ["Welcome, Alex, Sam and Kim."]


def test_variants_are_picked_at_random_and_all_get_used() -> None:
    steps = "  - say: [One., Two., Three.]\n"
    seen = {Harness(steps, seed=seed).lines(Harness(steps, seed=seed).start())[0]
            for seed in range(40)}
    assert seen == {"One.", "Two.", "Three."}


def test_chime_plays_and_waits_for_playback() -> None:
    h = Harness("  - chime\n  - chime: gong\n")
    assert h.start() == [PlayChime(1, "bell")]
    assert h.done() == [PlayChime(2, "gong")]
    assert h.done() == [Finished(True)]


def test_talk_closes_the_microphone_and_times_the_turn() -> None:
    h = Harness("  - talk: 2m\n  - say: Time.\n")
    assert h.start() == [CloseMicrophone(), StartTimer("step-1", 120.0)]
    assert h.run.phase is Phase.TIMING
    assert h.advance(119.9) == []
    assert h.advance(0.1) == [Speak(1, "Time.")]


def test_talk_warns_before_the_end_with_the_default_line() -> None:
    h = Harness("  - talk: 2m\n    warn: 30s\n")
    assert h.start() == [
        CloseMicrophone(), StartTimer("step-1", 120.0), StartTimer("warn-1", 90.0)
    ]
    assert h.advance(90) == [Speak(1, "Thirty seconds left.", awaited=False)]
    assert h.advance(30) == [Finished(True)]


def test_talk_warning_text_can_be_written_by_the_author() -> None:
    h = Harness(
        "  - turns:\n    - talk: 1m\n      warn: 10s\n      warning: '{speaker}, ten seconds.'\n",
        seed=3,
    )
    first = h.run.placeholders  # speaker is only known once the turn runs
    h.start()
    speaker = first()["speaker"]
    assert h.lines(h.advance(50)) == [f"{speaker}, ten seconds."]


def test_silence_is_timed_and_quiet() -> None:
    h = Harness("  - silence: 20s\n  - chime: soft\n")
    assert h.start() == [CloseMicrophone(), StartTimer("step-1", 20.0)]
    assert h.advance(20) == [PlayChime(1, "soft")]


def test_turns_rotate_over_everyone_and_name_the_partner() -> None:
    h = Harness(
        "  - turns:\n      - say: '{speaker} to {partner}, round {round}.'\n    rounds: 2\n",
        names=["Alex", "Sam", "Kim"],
        seed=1,
    )
    lines = h.play_through()
    first = h.run.names[h.run._first]
    order = ["Alex", "Sam", "Kim"]
    start = order.index(first)
    expected = []
    for i in range(6):
        who = order[(start + i) % 3]
        expected.append(f"{who} to {order[(start + i + 1) % 3]}, round {i // 3 + 1}.")
    assert lines == expected


def test_who_goes_first_changes_from_night_to_night() -> None:
    firsts = set()
    for seed in range(20):
        h = Harness("  - turns:\n      - say: '{speaker}'\n", seed=seed)
        firsts.add(h.lines(h.start())[0])
    assert firsts == {"Alex", "Sam"}


def test_rounds_repeat_with_their_number() -> None:
    h = Harness("  - rounds: 3\n    steps:\n      - say: Round {round}.\n")
    assert h.play_through() == ["Round 1.", "Round 2.", "Round 3."]


def test_end_finishes_early() -> None:
    h = Harness("  - say: One.\n  - end\n  - say: Never.\n")
    assert h.play_through() == ["One."]
    assert h.run.completed is True


ASK = """\
  - ask: Another round?
    answers:
      yes:
        - say: Here we go.
      no:
        - say: Alright.
      another one:
    no_answer: no
  - say: After.
"""


def test_ask_yes_takes_its_branch_and_then_goes_on() -> None:
    h = Harness(ASK)
    assert h.start() == [AskQuestion(1, "Another round?", ("yes", "no", "another one"))]
    assert h.lines(h.send(Answer("yes", 1))) == ["Here we go."]
    assert h.lines(h.done()) == ["After."]


def test_yes_and_no_stay_words_in_answers() -> None:
    ritual = make_ritual(ASK)
    step = ritual.steps[0]
    assert step.answer_names == ("yes", "no", "another one")  # type: ignore[union-attr]


def test_a_custom_answer_with_no_steps_just_goes_on() -> None:
    h = Harness(ASK)
    h.start()
    assert h.lines(h.send(Answer("Another One"))) == ["After."]


def test_no_answer_can_count_as_one_of_the_answers() -> None:
    h = Harness(ASK)
    h.start()
    assert h.lines(h.send(NoAnswer(1))) == ["Alright."]


def test_no_answer_steps_and_the_default_of_going_on() -> None:
    h = Harness("  - ask: Ready?\n    answers: {yes: }\n    no_answer:\n      - say: Later.\n")
    h.start()
    assert h.lines(h.send(NoAnswer())) == ["Later."]
    h = Harness("  - ask: Ready?\n    answers: {yes: }\n  - say: On we go.\n")
    h.start()
    assert h.lines(h.send(NoAnswer())) == ["On we go."]


def test_not_understood_asks_once_more_then_counts_as_no_answer() -> None:
    h = Harness(ASK)
    h.start()
    again = h.send(NotUnderstood(1))
    assert again == [AskQuestion(2, "Sorry, I didn't catch that. Another round?",
                                 ("yes", "no", "another one"))]
    assert h.send(NotUnderstood(1)) == []  # the first question's token is stale now
    assert h.lines(h.send(NotUnderstood(2))) == ["Alright."]


def test_an_unexpected_answer_is_treated_as_not_understood() -> None:
    h = Harness(ASK)
    h.start()
    assert isinstance(h.send(Answer("maybe"))[0], AskQuestion)


def test_reask_text_from_the_author() -> None:
    h = Harness("  - ask: Ready?\n    reask: Just yes or no, please.\n    answers: {yes: , no: }\n")
    h.start()
    assert h.lines(h.send(NotUnderstood())) == ["Just yes or no, please."]


def test_answers_outside_a_question_are_ignored() -> None:
    h = Harness("  - say: Hi.\n")
    h.start()
    assert h.send(Answer("yes")) == []
    assert h.send(NoAnswer()) == []


def test_prompts_are_drawn_without_repeats_until_the_deck_is_used_up() -> None:
    deck = Deck("d", tuple(f"Prompt {i}?" for i in range(5)))
    ritual = make_ritual("  - rounds: 12\n    steps:\n      - say: '{prompt}'\n        deck: d\n",
                         decks={"d": deck})
    lines = Harness(ritual).play_through()
    assert sorted(lines[:5]) == sorted(deck.prompts)
    assert sorted(lines[5:10]) == sorted(deck.prompts)
    assert all(a != b for a, b in pairwise(lines))


def test_deck_history_carries_over_from_one_evening_to_the_next() -> None:
    deck = Deck("d", tuple(f"Prompt {i}?" for i in range(6)))
    ritual = make_ritual("  - say: '{prompt}'\n    deck: d\n", decks={"d": deck})
    history = MemoryDeckHistory()
    evenings = [Harness(ritual, seed=s, history=history).play_through()[0] for s in range(6)]
    assert sorted(evenings) == sorted(deck.prompts)
    assert history.used("d") == tuple(evenings)


def test_a_used_up_deck_never_starts_over_with_the_last_prompt() -> None:
    deck = Deck("d", ("A", "B"))
    history = MemoryDeckHistory()
    rng = random.Random(0)
    draws = [draw(deck, history, rng) for _ in range(50)]
    assert all(a != b for a, b in pairwise(draws))


def test_prompt_placeholder_is_the_latest_draw() -> None:
    deck = Deck("d", ("Only prompt?",))
    ritual = make_ritual(
        "  - say: 'First: {prompt}'\n    deck: d\n  - say: 'Again: {prompt}'\n", decks={"d": deck}
    )
    assert Harness(ritual).play_through() == ["First: Only prompt?", "Again: Only prompt?"]


def test_the_number_of_people_must_suit_the_ritual() -> None:
    ritual = make_ritual("  - say: Hi.\n", header=(
        "id: pair\ntitle: Pair\ndescription: Two.\npractice: empathy\n"
        "participants: 2\ntriggers: [pair]\n"))
    with pytest.raises(ParticipantsError, match="'pair' is for 2 people, not 3"):
        Run(ritual, ["A", "B", "C"], clock=lambda: 0.0)


def test_events_before_the_start_and_after_the_end_do_nothing() -> None:
    h = Harness("  - say: Hi.\n")
    assert h.send(TimerFired("step-1")) == []
    h.start()
    h.done()
    assert h.run.finished
    assert h.send(Start()) == []
    assert h.send(OutputDone(1)) == []


def test_a_stale_timer_is_ignored() -> None:
    h = Harness("  - talk: 1m\n  - talk: 1m\n")
    h.start()
    h.advance(60)
    assert h.send(TimerFired("step-1")) == []  # already fired; step-2 is running now
    assert "step-2" in h.timers


def test_same_seed_same_run() -> None:
    a = Harness("  - turns:\n    - say: ['{speaker} a', '{speaker} b']\n", seed=7).play_through()
    b = Harness("  - turns:\n    - say: ['{speaker} a', '{speaker} b']\n", seed=7).play_through()
    assert a == b


def test_cancel_effects_match_started_timers() -> None:
    h = Harness("  - talk: 1m\n    warn: 10s\n")
    h.start()
    effects = h.send(Control(Command.NEXT))
    assert CancelTimer("step-1") in effects and CancelTimer("warn-1") in effects
    assert h.timers == {}


# -- the position, saved and restored -------------------------------------------------------

POSITIONED = (
    "  - say: One.\n"
    "  - ask: Go on?\n    answers:\n      yes:\n        - turns:\n"
    "            - say: '{speaker}, round {round}.'\n            - talk: 1m\n"
    "          rounds: 2\n      no: \n"
    "  - say: Last.\n"
)


def test_a_run_goes_on_from_a_saved_position_in_a_fresh_engine() -> None:
    h = Harness(POSITIONED, names=["A", "B", "C"], seed=4)
    h.start()
    h.done()
    h.send(Answer("yes"))
    for _ in range(3):  # three turns done; the fourth turn's line is being said
        h.done()
        h.advance(60)
    saved = h.run.position()
    assert Position.from_json(saved.to_json()) == saved
    said_before = len(h.lines())
    the_rest = h.play_through()[said_before - 1:]  # from the fourth turn's line on

    fresh = Harness(POSITIONED, names=["A", "B", "C"], seed=99)
    fresh.send(Start(at=Position.from_json(saved.to_json())))
    assert fresh.play_through() == the_rest
    assert the_rest[0].endswith("round 2.") and the_rest[-1] == "Last."


def test_a_position_that_no_longer_fits_the_ritual_is_refused() -> None:
    h = Harness("  - say: One.\n")
    with pytest.raises(PositionError, match="does not fit the ritual"):
        h.send(Start(at=Position(0, ((5, 0, None),))))
    with pytest.raises(PositionError, match="does not fit these people"):
        h.send(Start(at=Position(7, ((0, 0, None),))))
    with pytest.raises(PositionError, match="not a saved position"):
        Position.from_json('{"first": 0}')
