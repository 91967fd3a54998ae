"""The engine's own lines: acknowledgements and answers to control commands.

Kept together so that a translation is one object; ``{…}`` here is filled by the engine
with values it computed, never with anything from a ritual file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Phrases:
    paused: str = "Paused. Say resume when you're ready."
    already_paused: str = "We're paused. Say resume when you're ready."
    resumed: str = "Let's carry on."
    not_paused: str = "We're not paused."
    stopped: str = "Alright, we'll stop here. Thank you for the time together."
    warning: str = "{time} left."
    reask: str = "Sorry, I didn't catch that. {question}"
    time_left_turn: str = "About {turn} left in this part, and about {ritual} in the ritual."
    time_left_ritual: str = "About {ritual} left in the ritual."
    nothing_to_repeat: str = "There's nothing to repeat yet."


ENGLISH = Phrases()


def join_names(names: list[str] | tuple[str, ...]) -> str:
    """``["Alex", "Sam", "Kim"]`` → ``"Alex, Sam and Kim"``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
