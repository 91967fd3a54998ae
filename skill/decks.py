"""Drawing prompts from decks without repeats, with the history kept wherever the caller likes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol

from skill.ritual import Deck


class DeckHistory(Protocol):
    """Which prompts of each deck were used since it was last used up.

    The engine only needs these three calls; an in-memory dict serves tests and the
    terminal, and the scheduler keeps one in its SQLite file so prompts don't repeat
    from one evening to the next.
    """

    def used(self, deck_id: str) -> Sequence[str]: ...

    def record(self, deck_id: str, prompt: str) -> None: ...

    def reset(self, deck_id: str) -> None: ...


class MemoryDeckHistory:
    """A :class:`DeckHistory` that lives as long as the object."""

    def __init__(self) -> None:
        self._used: dict[str, list[str]] = {}

    def used(self, deck_id: str) -> Sequence[str]:
        return tuple(self._used.get(deck_id, ()))

    def record(self, deck_id: str, prompt: str) -> None:
        self._used.setdefault(deck_id, []).append(prompt)

    def reset(self, deck_id: str) -> None:
        self._used.pop(deck_id, None)


def draw(deck: Deck, history: DeckHistory, rng: random.Random) -> str:
    """A prompt not used since the deck was last used up.

    When every prompt has been used the deck starts over, but never with the prompt that
    was drawn last, so two draws in a row always differ (for decks of two or more).
    """
    used = set(history.used(deck.id))
    fresh = [p for p in deck.prompts if p not in used]
    if not fresh:
        previous = history.used(deck.id)
        last = previous[-1] if previous else None
        history.reset(deck.id)
        fresh = [p for p in deck.prompts if p != last] or list(deck.prompts)
    prompt = rng.choice(fresh)
    history.record(deck.id, prompt)
    return prompt
