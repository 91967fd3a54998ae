"""What can happen to a ritual run: the engine's input.

The shells (Hermes adapter, terminal simulator, tests) turn the outside world into these.
``token`` values tie an event to the effect it answers; stale ones are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skill.engine import Position
from enum import StrEnum


class Command(StrEnum):
    """The control commands that work at any point of any ritual."""

    PAUSE = "pause"
    RESUME = "resume"
    NEXT = "next"
    """"I'm done", "your turn", "pass": ends the current turn or line and goes on."""
    REPEAT = "repeat"
    TIME_LEFT = "time_left"
    SKIP = "skip"
    """Skips the current step; at a question it takes no branch at all."""
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class Start:
    """Begin the ritual; with ``at`` (a :class:`~skill.engine.Position`), go on from there."""

    at: Position | None = None


@dataclass(frozen=True, slots=True)
class OutputDone:
    """A line was spoken or a chime played (Hermes: the notification's ``sessionEnded``)."""

    token: int


@dataclass(frozen=True, slots=True)
class Answer:
    """An expected answer to the open question (``yes``, ``no``, ``another one`` …)."""

    value: str
    token: int | None = None


@dataclass(frozen=True, slots=True)
class NotUnderstood:
    """Someone answered, but not with anything the question expected."""

    token: int | None = None


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """Nobody answered the question in time."""

    token: int | None = None


@dataclass(frozen=True, slots=True)
class TimerFired:
    name: str


@dataclass(frozen=True, slots=True)
class Control:
    """A control command, from a voice intent or a typed line."""

    command: Command


Event = Start | OutputDone | Answer | NotUnderstood | NoAnswer | TimerFired | Control
