"""What a ritual run asks the world to do: the engine's output.

A shell carries these out in order. ``Speak`` and ``PlayChime`` are *awaited* when the
engine will wait for the matching :class:`~skill.events.OutputDone`; asides (a warning, an
acknowledgement, the time left) are spoken but the ritual does not wait for them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Speak:
    token: int
    text: str
    awaited: bool = True


@dataclass(frozen=True, slots=True)
class AskQuestion:
    """Ask and listen for one of ``answers`` (Hermes: an action session with a filter)."""

    token: int
    text: str
    answers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlayChime:
    token: int
    sound: str


@dataclass(frozen=True, slots=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    name: str


@dataclass(frozen=True, slots=True)
class CloseMicrophone:
    """The people talk to each other now: nothing may listen but the wake word."""


@dataclass(frozen=True, slots=True)
class Finished:
    completed: bool
    """False when the ritual was stopped before its end."""


Effect = Speak | AskQuestion | PlayChime | StartTimer | CancelTimer | CloseMicrophone | Finished
