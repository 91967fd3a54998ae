"""A synchronous stand-in for the world around the engine: a fake clock and its timers.

Nothing here sleeps: ``advance`` moves the clock and delivers the timers that come due, in
order, so engine tests are exact and instant.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from skill.decks import DeckHistory, MemoryDeckHistory
from skill.effects import AskQuestion, CancelTimer, Effect, PlayChime, Speak, StartTimer
from skill.engine import Phase, Run
from skill.events import Event, NoAnswer, OutputDone, Start, TimerFired
from skill.loader import ritual_from_yaml
from skill.ritual import Deck, Ritual

HEADER = """\
id: test-ritual
title: Test ritual
description: A ritual written by a test.
practice: quality-time
triggers: [start the test]
"""


def make_ritual(steps_yaml: str, *, header: str = HEADER, decks: dict[str, Deck] | None = None
                ) -> Ritual:
    """A ritual from just its ``steps:`` block (indented YAML list)."""
    return ritual_from_yaml(header + "steps:\n" + steps_yaml, "test.yaml", decks or {})


class Harness:
    def __init__(
        self,
        ritual: Ritual | str,
        names: Sequence[str] = ("Alex", "Sam"),
        *,
        seed: int = 0,
        history: DeckHistory | None = None,
    ) -> None:
        if isinstance(ritual, str):
            ritual = make_ritual(ritual)
        self.now = 0.0
        self.history = history or MemoryDeckHistory()
        self.run = Run(ritual, names, clock=lambda: self.now, rng=random.Random(seed),
                       history=self.history)
        self.timers: dict[str, float] = {}
        self.effects: list[Effect] = []

    # -- driving -----------------------------------------------------------------------

    def send(self, event: Event) -> list[Effect]:
        effects = self.run.handle(event)
        for effect in effects:
            if isinstance(effect, StartTimer):
                assert effect.name not in self.timers, f"timer {effect.name} started twice"
                self.timers[effect.name] = self.now + effect.seconds
            elif isinstance(effect, CancelTimer):
                assert effect.name in self.timers, f"cancelled unknown timer {effect.name}"
                del self.timers[effect.name]
        self.effects.extend(effects)
        return effects

    def start(self) -> list[Effect]:
        return self.send(Start())

    def advance(self, seconds: float) -> list[Effect]:
        """Move the clock, firing every timer that comes due, earliest first."""
        target = self.now + seconds
        out: list[Effect] = []
        while True:
            due = sorted((when, name) for name, when in self.timers.items() if when <= target)
            if not due:
                break
            when, name = due[0]
            self.now = when
            del self.timers[name]
            out += self.send(TimerFired(name))
        self.now = target
        return out

    def awaited(self) -> int:
        """The token the engine is waiting for (line, chime or question)."""
        for effect in reversed(self.effects):
            if isinstance(effect, (AskQuestion, PlayChime)) or (
                isinstance(effect, Speak) and effect.awaited
            ):
                return effect.token
        raise AssertionError("the engine is waiting for nothing")

    def done(self) -> list[Effect]:
        """The line or chime being played has finished."""
        return self.send(OutputDone(self.awaited()))

    def play_through(self, limit: int = 500) -> list[str]:
        """Run to the end: lines finish, questions go unanswered, timers run out."""
        for _ in range(limit):
            phase = self.run.phase
            if phase is Phase.FINISHED:
                return self.lines()
            if phase is Phase.READY:
                self.start()
            elif phase is Phase.SPEAKING:
                self.done()
            elif phase is Phase.ASKING:
                self.send(NoAnswer(self.awaited()))
            elif phase is Phase.TIMING:
                self.advance(min(self.timers.values()) - self.now)
        raise AssertionError("the ritual did not finish")

    # -- reading -----------------------------------------------------------------------

    def lines(self, effects: Sequence[Effect] | None = None) -> list[str]:
        """Every text spoken or asked, in order."""
        return [e.text for e in (self.effects if effects is None else effects)
                if isinstance(e, (Speak, AskQuestion))]
