"""The ritual model: immutable values the loader builds and the engine reads.

Each value checks itself in ``__post_init__`` so that a ritual built in code (a test, a
generator) is held to the same rules as one loaded from YAML; the loader reports the same
problems earlier, with file, line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from skill.template import Template


class Practice(StrEnum):
    """The practice a ritual serves (see docs/product.md)."""

    ACTIVE_LISTENING = "active-listening"
    APPRECIATION = "appreciation"
    VULNERABILITY = "vulnerability"
    QUALITY_TIME = "quality-time"
    EMPATHY = "empathy"
    SHARED_EXPERIENCE = "shared-experience"
    PHYSICAL_AFFECTION = "physical-affection"


class Who(StrEnum):
    """Who talks during a timed turn."""

    SPEAKER = "speaker"
    PARTNER = "partner"
    EVERYONE = "everyone"


CHIMES = ("bell", "soft", "gong")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*"
ANSWER_PATTERN = re.compile(rf"^{_WORD}(?: {_WORD}){{0,5}}$")
"""An expected answer: one to six plain words (``yes``, ``another one``)."""
TRIGGER_PATTERN = re.compile(rf"^{_WORD}(?: {_WORD}){{0,14}}$")
"""A trigger phrase: plain words someone would say, as a speech recogniser is trained."""
MAX_PARTICIPANTS = 12


@dataclass(frozen=True, slots=True)
class Text:
    """One or more variants of a line; one is picked at random each time it is said."""

    variants: tuple[Template, ...]

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError("a line needs at least one variant")

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset().union(*(v.names for v in self.variants))


@dataclass(frozen=True, slots=True)
class Say:
    text: Text
    deck: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Ask:
    question: Text
    answers: tuple[tuple[str, tuple[Step, ...]], ...]
    no_answer: tuple[Step, ...] | str = ()
    """Steps for when nobody answers, or the name of the answer that silence counts as."""
    reask: Text | None = None
    line: int = 0

    def __post_init__(self) -> None:
        names = [name for name, _ in self.answers]
        if not names:
            raise ValueError("a question needs at least one expected answer")
        if len(set(names)) != len(names):
            raise ValueError(f"answers repeat: {names}")
        if isinstance(self.no_answer, str) and self.no_answer not in names:
            raise ValueError(f"no_answer {self.no_answer!r} is not one of the answers {names}")

    @property
    def answer_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.answers)

    def steps_for(self, answer: str) -> tuple[Step, ...]:
        return dict(self.answers)[answer]


@dataclass(frozen=True, slots=True)
class Talk:
    seconds: float
    warn: float | None = None
    warning: Text | None = None
    who: Who = Who.SPEAKER
    line: int = 0

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError("a talk needs a positive duration")
        if self.warn is not None and not 0 < self.warn < self.seconds:
            raise ValueError("the warning must come before the end of the talk")


@dataclass(frozen=True, slots=True)
class Silence:
    seconds: float
    line: int = 0

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError("a silence needs a positive duration")


@dataclass(frozen=True, slots=True)
class Chime:
    sound: str = "bell"
    line: int = 0

    def __post_init__(self) -> None:
        if self.sound not in CHIMES:
            raise ValueError(f"unknown chime {self.sound!r}; chimes are {CHIMES}")


@dataclass(frozen=True, slots=True)
class Turns:
    steps: tuple[Step, ...]
    rounds: int = 1
    line: int = 0

    def __post_init__(self) -> None:
        if not self.steps or self.rounds < 1:
            raise ValueError("turns need steps and at least one round")


@dataclass(frozen=True, slots=True)
class Rounds:
    count: int
    steps: tuple[Step, ...]
    line: int = 0

    def __post_init__(self) -> None:
        if not self.steps or self.count < 1:
            raise ValueError("rounds need steps and a count of at least one")


@dataclass(frozen=True, slots=True)
class End:
    line: int = 0


Step = Say | Ask | Talk | Silence | Chime | Turns | Rounds | End
TIMED = (Talk, Silence)


@dataclass(frozen=True, slots=True)
class Deck:
    """A list of prompts to draw from without repeats."""

    id: str
    prompts: tuple[str, ...]
    title: str = ""
    language: str = "en"

    def __post_init__(self) -> None:
        if not self.prompts:
            raise ValueError(f"deck {self.id!r} has no prompts")
        if len(set(self.prompts)) != len(self.prompts):
            raise ValueError(f"deck {self.id!r} repeats a prompt")


@dataclass(frozen=True, slots=True)
class Ritual:
    """One ritual, as loaded: metadata, its steps and the decks it draws from."""

    id: str
    title: str
    description: str
    practice: Practice
    triggers: tuple[str, ...]
    steps: tuple[Step, ...]
    decks: tuple[tuple[str, Deck], ...] = ()
    language: str = "en"
    duration: float | None = None
    """The author's estimate in seconds; ``timeline.estimate`` works one out when absent."""
    participants: tuple[int, int] = (2, 8)
    source: str = field(default="<memory>", compare=False)

    def __post_init__(self) -> None:
        if not ID_PATTERN.match(self.id):
            raise ValueError(f"ritual id {self.id!r} must be lower-case letters, digits, dashes")
        if not self.steps:
            raise ValueError(f"ritual {self.id!r} has no steps")
        low, high = self.participants
        if not 1 <= low <= high <= MAX_PARTICIPANTS:
            raise ValueError(f"participants {self.participants} out of range")

    def deck(self, name: str) -> Deck:
        return dict(self.decks)[name]
