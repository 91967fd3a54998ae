"""An invitation to a scheduled ritual: "It's time for the appreciation round. Now?"

A small conversation at one site, driven by the same events as a ritual run
(:mod:`skill.events`): "yes" starts the ritual, "no" / "not tonight" lets this one go,
"in ten minutes" snoozes it (any duration the sentence names), and when nobody answers it
asks once more after a while, then lets it go. A question not understood is asked again
once, as in a ritual.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from skill.durations import spoken_duration
from skill.events import Answer, Event, NoAnswer, NotUnderstood
from skill.ritual import Ritual

log = logging.getLogger("hearth.invitation")

DEFAULT_RETRY = 5 * 60.0
"""Seconds before asking once more when nobody answered."""
FIRST_TOKEN = 1_000_000
"""Invitation tokens never meet a ritual's (which count from 1)."""


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SNOOZED = "snoozed"
    LET_GO = "let go"
    """Nobody answered, twice."""


class Asker(Protocol):
    def speak(self, token: int, text: str, awaited: bool) -> None: ...

    def ask(self, token: int, text: str, answers: tuple[str, ...]) -> None: ...


@dataclass(frozen=True, slots=True)
class InvitationLines:
    question: str = "It's time for {title}. Is now a good time?"
    after_busy: str = "Now that we're done: it's also time for {title}. Is now a good time?"
    again: str = "It's still time for {title}, if you'd like. Shall we start?"
    reask: str = "Sorry, I didn't catch that. Shall we start {title} now? Yes, no, or later?"
    declined: str = "Alright, not tonight."
    snoozed: str = "Alright. I'll ask again in {time}."


RESUME_LINES = InvitationLines(
    question="We were in the middle of {title} when I was interrupted. "
             "Shall we go on where we stopped?",
    after_busy="Earlier, {title} was interrupted. Shall we go on where we stopped?",
    again="Would you like to go on with {title} where we stopped?",
    reask="Sorry, I didn't catch that. Shall we go on with {title}? Yes or no?",
    declined="Alright, we'll leave it there.",
)


class Invitation:
    """One open invitation; ``done`` is called once with its outcome."""

    answers = ("yes", "no")

    def __init__(
        self,
        ritual: Ritual,
        asker: Asker,
        done: Callable[[Outcome, float], None],
        *,
        loop: asyncio.AbstractEventLoop,
        retry_after: float = DEFAULT_RETRY,
        after_busy: bool = False,
        lines: InvitationLines = InvitationLines(),
    ) -> None:
        self.ritual = ritual
        self.asker = asker
        self.done = done
        self.loop = loop
        self.retry_after = retry_after
        self.lines = lines
        self.token = FIRST_TOKEN
        self.asking = False
        self.paused = False  # an invitation is never paused; kept for the site's checks
        self.outcome: Outcome | None = None
        self._reasked = False
        self._retried = False
        self._retry: asyncio.TimerHandle | None = None
        self._first = lines.after_busy if after_busy else lines.question

    def start(self) -> None:
        self._ask(self._first)

    def _ask(self, template: str) -> None:
        self.token += 1
        self.asking = True
        self.asker.ask(self.token, template.format(title=self.ritual.title), self.answers)

    def feed(self, event: Event) -> None:
        if self.outcome is not None:
            return
        match event:
            case Answer(value=value, token=token) if token in (None, self.token):
                if value == "yes":
                    self._finish(Outcome.ACCEPTED)
                elif value == "no":
                    self.asker.speak(0, self.lines.declined, False)
                    self._finish(Outcome.DECLINED)
                else:
                    self.feed(NotUnderstood(self.token))
            case NotUnderstood(token=token) if token in (None, self.token) and self.asking:
                if self._reasked:
                    self.feed(NoAnswer(self.token))
                else:
                    self._reasked = True
                    self._ask(self.lines.reask)
            case NoAnswer(token=token) if token in (None, self.token) and self.asking:
                self.asking = False
                if self._retried:
                    log.info("invitation to %s: no answer, twice; letting it go", self.ritual.id)
                    self._finish(Outcome.LET_GO)
                    return
                self._retried = True
                self._reasked = False
                self._retry = self.loop.call_later(self.retry_after, self._ask, self.lines.again)

    def repeat(self) -> None:
        """Ask the open question again (a wake word or a command cut it short)."""
        if self.outcome is None:
            self._ask(self.lines.question)

    def snooze(self, seconds: float) -> None:
        """ "In ten minutes": ask again then (the scheduler keeps the snooze)."""
        if self.outcome is not None:
            return
        self.asker.speak(0, self.lines.snoozed.format(time=spoken_duration(seconds)), False)
        self._finish(Outcome.SNOOZED, seconds)

    def decline(self) -> None:
        if self.outcome is None:
            self.asker.speak(0, self.lines.declined, False)
            self._finish(Outcome.DECLINED)

    def close(self) -> None:
        if self._retry is not None:
            self._retry.cancel()

    def _finish(self, outcome: Outcome, seconds: float = 0.0) -> None:
        self.outcome = outcome
        self.asking = False
        self.close()
        self.done(outcome, seconds)

