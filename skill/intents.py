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
    SCHEDULE = "HearthScheduleRitual"
    """Slots ``ritual``, ``days`` ("every weekday", "sundays"), ``hour``, ``minute``
    (optional), ``period`` (optional: "am", "pm", "in the evening", …)."""
    LIST_SCHEDULES = "HearthListSchedules"
    CANCEL_SCHEDULE = "HearthCancelSchedule"
    """Slots ``ritual`` and/or ``day`` ("cancel the Sunday ritual")."""
    SKIP_TONIGHT = "HearthSkipTonight"
    """Skip tonight / not tonight: outside an invitation, skips the next one here."""
    PAUSE_SCHEDULES = "HearthPauseSchedules"
    """Slot ``until``: a weekday, "tomorrow" or "next week"."""
    RESUME_SCHEDULES = "HearthResumeSchedules"
    SNOOZE = "HearthSnooze"
    """Slot ``minutes``: "in ten minutes", "in half an hour" (30)."""
    HISTORY = "HearthHistory"
    """Answers: how many rituals did we do this week?"""


RITUAL_SLOT = "ritual"
ANSWER_SLOT = "answer"
DAYS_SLOT = "days"
DAY_SLOT = "day"
HOUR_SLOT = "hour"
MINUTE_SLOT = "minute"
PERIOD_SLOT = "period"
UNTIL_SLOT = "until"
MINUTES_SLOT = "minutes"
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
