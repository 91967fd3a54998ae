"""How long things take: estimates for ``hearth show``, a ritual's duration and "time left".

Spoken lines are estimated at a relaxed speaking rate; a question adds a few seconds for
the answer; a branch counts as the average of its answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from skill.ritual import Ask, Chime, End, Ritual, Rounds, Say, Silence, Step, Talk, Text, Turns, Who

WORDS_PER_SECOND = 2.5
CHIME_SECONDS = 2.0
ANSWER_SECONDS = 4.0
PLACEHOLDER_WORDS = {"names": 3, "speaker": 1, "partner": 1, "round": 1, "prompt": 14}


def speech_seconds(text: str) -> float:
    """Roughly how long a text-to-speech voice takes to say ``text``."""
    return 0.5 + len(text.split()) / WORDS_PER_SECOND


def text_seconds(text: Text) -> float:
    total = 0.0
    for variant in text.variants:
        words = sum(len(lit.split()) + PLACEHOLDER_WORDS.get(name or "", 0)
                    for lit, name in variant.parts)
        total += 0.5 + words / WORDS_PER_SECOND
    return total / len(text.variants)


def step_seconds(step: Step, people: int) -> float:
    match step:
        case Say(text=text):
            return text_seconds(text)
        case Ask(question=question, answers=answers):
            branches = [block_seconds(steps, people) for _, steps in answers]
            return text_seconds(question) + ANSWER_SECONDS + sum(branches) / len(branches)
        case Talk(seconds=seconds) | Silence(seconds=seconds):
            return seconds
        case Chime():
            return CHIME_SECONDS
        case Turns(steps=steps, rounds=rounds):
            return people * rounds * block_seconds(steps, people)
        case Rounds(count=count, steps=steps):
            return count * block_seconds(steps, people)
        case End():
            return 0.0
    raise TypeError(f"unknown step {step!r}")


def block_seconds(steps: Sequence[Step], people: int) -> float:
    total = 0.0
    for step in steps:
        if isinstance(step, End):
            break
        total += step_seconds(step, people)
    return total


def estimate(ritual: Ritual, people: int = 2) -> float:
    """The ritual's duration in seconds: worked out from its steps for ``people``."""
    return block_seconds(ritual.steps, people)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of ``hearth show``."""

    depth: int
    kind: str
    who: str
    seconds: float
    text: str


def rows(ritual: Ritual, people: int = 2) -> list[Row]:
    out: list[Row] = []
    _rows(ritual.steps, people, 0, out)
    return out


def _first(text: Text) -> str:
    others = len(text.variants) - 1
    extra = f"  (+{others} variant{'s' if others > 1 else ''})" if others else ""
    return text.variants[0].source + extra


def _rows(steps: Sequence[Step], people: int, depth: int, out: list[Row]) -> None:
    for step in steps:
        seconds = step_seconds(step, people)
        match step:
            case Say(text=text, deck=deck):
                drawn = f"  [draws from {deck}]" if deck else ""
                out.append(Row(depth, "say", "Hearth", seconds, _first(text) + drawn))
            case Ask(question=question, answers=answers, no_answer=no_answer):
                names = ", ".join(name for name, _ in answers)
                out.append(Row(depth, "ask", "Hearth", seconds, f"{_first(question)}  [{names}]"))
                for name, branch in answers:
                    out.append(Row(depth + 1, f"if {name}", "", block_seconds(branch, people), ""))
                    _rows(branch, people, depth + 2, out)
                if isinstance(no_answer, str):
                    out.append(Row(depth + 1, "no answer", "", 0.0, f"counts as {no_answer!r}"))
                elif no_answer:
                    out.append(Row(depth + 1, "no answer", "", block_seconds(no_answer, people),
                                   ""))
                    _rows(no_answer, people, depth + 2, out)
            case Talk(seconds=secs, warn=warn, who=who):
                note = f"warning {warn:.0f}s before the end" if warn else ""
                label = {Who.SPEAKER: "the speaker", Who.PARTNER: "the partner",
                         Who.EVERYONE: "everyone"}[who]
                out.append(Row(depth, "talk", label, secs, note))
            case Silence(seconds=secs):
                out.append(Row(depth, "silence", "nobody", secs, ""))
            case Chime(sound=sound):
                out.append(Row(depth, "chime", "Hearth", seconds, sound))
            case Turns(steps=inner, rounds=rounds):
                times = f"{rounds} rounds of " if rounds > 1 else ""
                out.append(Row(depth, "turns", "each in turn", seconds,
                               f"{times}one turn for each of {people} people"))
                _rows(inner, people, depth + 1, out)
            case Rounds(count=count, steps=inner):
                out.append(Row(depth, "rounds", "", seconds, f"{count} times"))
                _rows(inner, people, depth + 1, out)
            case End():
                out.append(Row(depth, "end", "", 0.0, "the ritual ends here"))
