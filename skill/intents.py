"""Hearth's intents: their names (a public interface other tools may rely on) and slots.

The training sentences for them live in ``intents/hearth.ini`` (Rhasspy's sentences.ini
format); ``hearth sentences`` adds the ritual trigger phrases and slot lists.
"""

from __future__ import annotations

from enum import StrEnum

from skill.events import Command


class Intent(StrEnum):
    START_RITUAL = "HearthStartRitual"
    """Slot ``ritual``: a ritual id. Trigger phrases of each ritual map to it."""
    LIST_RITUALS = "HearthListRituals"
    PAUSE = "HearthPause"
    RESUME = "HearthResume"
    NEXT = "HearthNext"
    """"I'm done", "your turn", "pass", "next"."""
    REPEAT = "HearthRepeat"
    TIME_LEFT = "HearthTimeLeft"
    SKIP = "HearthSkip"
    STOP = "HearthStop"
    YES = "HearthYes"
    NO = "HearthNo"
    ANSWER = "HearthAnswer"
    """Slot ``answer``: one of the short answers a ritual's question expects."""


RITUAL_SLOT = "ritual"
ANSWER_SLOT = "answer"
RITUALS_SLOT_LIST = "hearth_rituals"
ANSWERS_SLOT_LIST = "hearth_answers"

CONTROL_INTENTS: dict[Intent, Command] = {
    Intent.PAUSE: Command.PAUSE,
    Intent.RESUME: Command.RESUME,
    Intent.NEXT: Command.NEXT,
    Intent.REPEAT: Command.REPEAT,
    Intent.TIME_LEFT: Command.TIME_LEFT,
    Intent.SKIP: Command.SKIP,
    Intent.STOP: Command.STOP,
}
"""Intents that steer a running ritual, and the engine command each one is."""

ANSWER_INTENTS: dict[Intent, str | None] = {
    Intent.YES: "yes",
    Intent.NO: "no",
    Intent.ANSWER: None,  # the answer is in the slot
}
