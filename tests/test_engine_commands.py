"""Every control command at every kind of step, on a fake clock."""

from __future__ import annotations

import pytest
from harness import Harness

from skill.effects import AskQuestion, CancelTimer, Finished, Speak, StartTimer
from skill.engine import Phase
from skill.events import Answer, Command, Control, OutputDone, TimerFired

KINDS = {
    "say": "  - say: The line.\n",
    "chime": "  - chime\n",
    "ask": (
        "  - ask: Ready?\n"
        "    answers:\n      yes:\n        - say: Yes branch.\n      no:\n"
        "    no_answer:\n      - say: Nobody.\n"
    ),
    "talk": "  - talk: 2m\n    warn: 30s\n",
    "silence": "  - silence: 1m\n",
}
TIMED = ("talk", "silence")
PAUSED = "Paused. Say resume when you're ready."
RESUMED = "Let's carry on."


def at(kind: str) -> Harness:
    """A run standing at a step of ``kind``, 30 s into it when it is timed."""
    h = Harness("  - say: Intro.\n" + KINDS[kind] + "  - say: After.\n")
    h.start()
    h.done()
    if kind in TIMED:
        h.advance(30)
    return h


def cmd(h: Harness, command: Command) -> list[str]:
    return h.lines(h.send(Control(command)))


@pytest.mark.parametrize("kind", KINDS)
def test_pause_then_resume_carries_on_where_it_was(kind: str) -> None:
    h = at(kind)
    before = dict(h.timers)
    effects = h.send(Control(Command.PAUSE))
    assert h.lines(effects) == [PAUSED]
    assert {e.name for e in effects if isinstance(e, CancelTimer)} == set(before)
    assert h.timers == {}
    assert h.run.paused
    # Nothing moves while paused: the clock, a finished line, an answer.
    assert h.advance(600) == []
    if kind in ("say", "chime"):
        assert h.done() == []
    if kind == "ask":
        assert h.send(Answer("yes")) == []
    assert cmd(h, Command.PAUSE) == ["We're paused. Say resume when you're ready."]
    effects = h.send(Control(Command.RESUME))
    lines = h.lines(effects)
    assert lines[0] == RESUMED
    if kind in ("say", "chime"):
        assert lines[1:] == ["After."]
    elif kind == "ask":
        assert effects[-1] == AskQuestion(effects[-1].token, "Ready?", ("yes", "no"))  # type: ignore[union-attr]
    else:
        restarted = {e.name: e.seconds for e in effects if isinstance(e, StartTimer)}
        length = 120.0 if kind == "talk" else 60.0
        assert sorted(restarted.values()) == sorted(
            [length - 30] + ([length - 30 - 30] if kind == "talk" else [])
        )
        # The frozen time is honoured to the second after the pause.
        if kind == "talk":
            assert h.lines(h.advance(60)) == ["Thirty seconds left."]
            assert h.lines(h.advance(29.9)) == []
            assert h.lines(h.advance(0.1)) == ["After."]
        else:
            assert h.lines(h.advance(29.9)) == []
            assert h.lines(h.advance(0.1)) == ["After."]


@pytest.mark.parametrize("kind", KINDS)
def test_resume_when_not_paused_says_so_and_changes_nothing(kind: str) -> None:
    h = at(kind)
    timers = dict(h.timers)
    assert cmd(h, Command.RESUME) == ["We're not paused."]
    assert h.timers == timers


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("say", "After."), ("chime", "After."), ("ask", "Nobody."), ("talk", "After."),
     ("silence", "After.")],
)
def test_next_ends_the_current_step(kind: str, expected: str) -> None:
    h = at(kind)
    assert cmd(h, Command.NEXT) == [expected]
    assert h.timers == {}


@pytest.mark.parametrize("kind", KINDS)
def test_skip_skips_the_step_and_takes_no_branch(kind: str) -> None:
    h = at(kind)
    assert cmd(h, Command.SKIP) == ["After."]
    assert h.timers == {}


@pytest.mark.parametrize("kind", KINDS)
def test_next_while_paused_moves_on_without_restarting_timers(kind: str) -> None:
    h = at(kind)
    h.send(Control(Command.PAUSE))
    effects = h.send(Control(Command.NEXT))
    assert not any(isinstance(e, StartTimer) for e in effects)
    assert not h.run.paused
    assert h.lines(effects) == (["Nobody."] if kind == "ask" else ["After."])


def test_repeat_during_a_line_says_it_again_and_waits_for_the_repeat() -> None:
    h = at("say")
    first = h.awaited()
    effects = h.send(Control(Command.REPEAT))
    assert effects == [Speak(first + 1, "The line.")]
    assert h.send(OutputDone(first)) == []  # the first reading ending no longer counts
    assert h.lines(h.done()) == ["After."]


def test_repeat_during_a_question_asks_it_again() -> None:
    h = at("ask")
    effects = h.send(Control(Command.REPEAT))
    assert isinstance(effects[0], AskQuestion) and effects[0].text == "Ready?"
    assert h.lines(h.send(Answer("yes", effects[0].token))) == ["Yes branch."]


@pytest.mark.parametrize("kind", ["chime", "talk", "silence"])
def test_repeat_elsewhere_says_the_last_line_as_an_aside(kind: str) -> None:
    h = at(kind)
    timers = dict(h.timers)
    effects = h.send(Control(Command.REPEAT))
    assert effects == [Speak(effects[0].token, "Intro.", awaited=False)]  # type: ignore[union-attr]
    assert h.timers == timers  # the turn keeps running


def test_repeat_before_anything_was_said() -> None:
    h = Harness("  - chime\n")
    h.start()
    assert cmd(h, Command.REPEAT) == ["There's nothing to repeat yet."]


def test_time_left_in_a_timed_turn_counts_the_turn_and_the_rest() -> None:
    h = at("talk")
    turn, ritual = h.run.time_left()
    assert turn == 90.0
    assert ritual == pytest.approx(90.0 + 0.5 + 1 / 2.5)  # plus "After."
    assert cmd(h, Command.TIME_LEFT) == [
        "About one minute and thirty seconds left in this part, "
        "and about one minute and thirty seconds in the ritual."
    ]


def test_time_left_while_paused_is_frozen() -> None:
    h = at("silence")
    h.send(Control(Command.PAUSE))
    h.advance(1000)
    assert h.run.time_left()[0] == 30.0
    assert cmd(h, Command.TIME_LEFT)[0].startswith("About thirty seconds left in this part")


@pytest.mark.parametrize("kind", ["say", "chime", "ask"])
def test_time_left_outside_a_turn_counts_the_ritual(kind: str) -> None:
    h = at(kind)
    turn, ritual = h.run.time_left()
    assert turn is None and ritual > 0
    (line,) = cmd(h, Command.TIME_LEFT)
    assert line.startswith("About ") and line.endswith("left in the ritual.")
    assert h.run.phase is not Phase.FINISHED


def test_time_left_counts_remaining_turns_and_rounds() -> None:
    h = Harness("  - turns:\n      - talk: 1m\n    rounds: 2\n", names=["A", "B", "C"])
    h.start()
    h.advance(15)
    assert h.run.time_left() == (45.0, 45.0 + 5 * 60.0)


@pytest.mark.parametrize("kind", KINDS)
def test_stop_ends_the_ritual_at_once(kind: str) -> None:
    h = at(kind)
    effects = h.send(Control(Command.STOP))
    assert effects[-1] == Finished(False)
    assert h.lines(effects) == ["Alright, we'll stop here. Thank you for the time together."]
    assert h.timers == {}
    assert h.run.completed is False
    assert h.send(Control(Command.RESUME)) == []
    assert h.advance(1000) == []


@pytest.mark.parametrize("kind", KINDS)
def test_stop_while_paused(kind: str) -> None:
    h = at(kind)
    h.send(Control(Command.PAUSE))
    effects = h.send(Control(Command.STOP))
    assert effects[-1] == Finished(False)
    assert not any(isinstance(e, CancelTimer) for e in effects)  # cancelled at the pause


def test_commands_before_the_start_do_nothing_harmful() -> None:
    h = Harness("  - say: Hi.\n")
    for command in (Command.PAUSE, Command.NEXT, Command.SKIP):
        assert h.send(Control(command)) == []
    assert h.lines(h.start()) == ["Hi."]


def test_a_timer_that_raced_the_pause_is_ignored_after_resume() -> None:
    h = at("talk")
    h.send(Control(Command.PAUSE))
    h.send(Control(Command.RESUME))
    assert h.send(TimerFired("step-1")) == []  # fired before the pause, delivered after
    assert h.run.phase is Phase.TIMING


def test_every_command_at_every_step_of_a_whole_ritual_never_breaks_it() -> None:
    """Walk a ritual with every step kind; at each step try every command on a copy."""
    steps = (
        "  - say: One.\n  - chime\n"
        "  - turns:\n      - say: '{speaker}.'\n      - talk: 1m\n        warn: 10s\n"
        "  - rounds: 2\n    steps:\n      - silence: 5s\n"
        "  - ask: More?\n    answers: {yes: [{say: More.}], no: }\n"
        "  - say: Bye.\n"
    )
    for command in Command:
        for stop_at in range(12):
            h = Harness(steps, seed=stop_at)
            h.start()
            for _ in range(stop_at):
                if h.run.finished:
                    break
                if h.run.phase is Phase.SPEAKING:
                    h.done()
                elif h.run.phase is Phase.ASKING:
                    h.send(Answer("yes"))
                else:
                    h.advance(min(h.timers.values()) - h.now)
            was_running = not h.run.finished
            h.send(Control(command))
            if command is Command.PAUSE:
                h.send(Control(Command.RESUME))
            h.play_through()
            assert h.run.finished
            stopped = command is Command.STOP and was_running
            assert h.run.completed is not stopped
            assert h.timers == {}
