"""Runs one engine :class:`~skill.engine.Run` on an asyncio loop.

The driver owns the run's timers as event-loop handles (no thread per timer) and cancels
them when the run moves on or is closed; everything the run wants said or played goes to an
:class:`Outlet`, which the terminal simulator and the Hermes adapter each implement.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from skill.decks import DeckHistory
from skill.effects import (
    AskQuestion,
    CancelTimer,
    CloseMicrophone,
    Effect,
    Finished,
    PlayChime,
    Speak,
    StartTimer,
)
from skill.engine import Run
from skill.events import Event, TimerFired
from skill.ritual import Ritual

log = logging.getLogger("hearth.driver")


class Lateness:
    """How late timers fired, in seconds after they were due (the event loop's clock).

    A timed step (a talk, a silence, a warning) ends when its timer fires; a busy loop makes
    it fire late. The most recent ``keep`` figures are kept, with a count and the worst of
    all, for ``python -m bench`` and anyone who asks; each is also logged at DEBUG.
    """

    def __init__(self, keep: int = 10_000) -> None:
        self.recent: deque[float] = deque(maxlen=keep)
        self.count = 0
        self.worst = 0.0

    def add(self, seconds: float) -> None:
        self.recent.append(seconds)
        self.count += 1
        self.worst = max(self.worst, seconds)

    def clear(self) -> None:
        self.recent.clear()
        self.count = 0
        self.worst = 0.0


TIMER_LATENESS = Lateness()
"""Every driver's timers in this process."""


class Outlet(Protocol):
    """Where a run's output goes. ``feed`` the matching events back to the driver."""

    def speak(self, token: int, text: str, awaited: bool) -> None: ...

    def ask(self, token: int, text: str, answers: tuple[str, ...]) -> None: ...

    def chime(self, token: int, sound: str) -> None: ...

    def close_microphone(self) -> None: ...

    def finished(self, completed: bool) -> None: ...


class ScaledClock:
    """The loop's clock, running ``speed`` times faster (``hearth try --speed``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.loop = loop
        self.speed = speed
        self._origin = loop.time()

    def __call__(self) -> float:
        return (self.loop.time() - self._origin) * self.speed

    def real_delay(self, seconds: float) -> float:
        return seconds / self.speed


class Driver:
    """One run, its timers and its outlet."""

    def __init__(
        self,
        ritual: Ritual,
        names: Sequence[str],
        outlet: Outlet,
        *,
        loop: asyncio.AbstractEventLoop,
        speed: float = 1.0,
        rng: random.Random | None = None,
        history: DeckHistory | None = None,
    ) -> None:
        self.clock = ScaledClock(loop, speed)
        self.run = Run(ritual, names, clock=self.clock, rng=rng, history=history)
        self.outlet = outlet
        self.loop = loop
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def feed(self, event: Event) -> list[Effect]:
        """Hand the run one event and carry out what it returns."""
        effects = self.run.handle(event)
        for effect in effects:
            self._apply(effect)
        return effects

    def _apply(self, effect: Effect) -> None:
        match effect:
            case Speak(token=token, text=text, awaited=awaited):
                self.outlet.speak(token, text, awaited)
            case AskQuestion(token=token, text=text, answers=answers):
                self.outlet.ask(token, text, answers)
            case PlayChime(token=token, sound=sound):
                self.outlet.chime(token, sound)
            case StartTimer(name=name, seconds=seconds):
                delay = self.clock.real_delay(seconds)
                due = self.loop.time() + delay
                self._timers[name] = self.loop.call_later(delay, self._fire, name, due)
            case CancelTimer(name=name):
                handle = self._timers.pop(name, None)
                if handle is not None:
                    handle.cancel()
            case CloseMicrophone():
                self.outlet.close_microphone()
            case Finished(completed=completed):
                self.close()
                self.outlet.finished(completed)

    def close(self) -> None:
        """Cancel every timer; the run is abandoned."""
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()

    def _fire(self, name: str, due: float) -> None:
        late = self.loop.time() - due
        TIMER_LATENESS.add(late)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("timer %s late by %.3f ms", name, late * 1000.0)
        self._timers.pop(name, None)
        self.feed(TimerFired(name))
