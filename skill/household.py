"""What the adapter asks of the household's records: history, snoozes and schedules.

A protocol, so that the adapter does not depend on SQLite or APScheduler; ``hearth run``
hands it the real one (:class:`skill.scheduler.Keeper`), the adapter tests a stand-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Due:
    """One occurrence of a scheduled ritual to offer now."""

    ritual: str
    site: str
    names: tuple[str, ...]
    occurrence: str
    schedule_id: int | None = None
    snooze_id: int | None = None


@dataclass(frozen=True, slots=True)
class Interrupted:
    """A run that never ended (the process was killed), and where it stood."""

    run_id: int
    ritual: str
    site: str
    position: str
    names: tuple[str, ...]


class Household(Protocol):
    def run_started(self, ritual: str, site: str) -> int | None: ...

    def run_ended(self, run_id: int, completed: bool) -> None: ...

    def save_position(self, run_id: int, position: str, names: tuple[str, ...]) -> None: ...

    def interrupted(self) -> list[Interrupted]: ...

    def snooze(self, due: Due, seconds: float) -> None: ...

    def schedule(self, ritual: str, site: str, when: str) -> str:
        """Add a schedule; the reply to speak (or a kind refusal)."""
        ...

    def scheduled(self, site: str) -> str: ...

    def cancel(self, site: str, ritual: str | None, day: str | None) -> str: ...

    def skip_tonight(self, site: str) -> str: ...

    def pause_until(self, day: str) -> str: ...

    def resume(self) -> str: ...

    def this_week(self) -> str: ...


class NoHousehold:
    """No records kept: for a skill run without a data file, and for tests."""

    unavailable = "I can't keep schedules here."

    def run_started(self, ritual: str, site: str) -> int | None:
        return None

    def run_ended(self, run_id: int, completed: bool) -> None:
        return None

    def save_position(self, run_id: int, position: str, names: tuple[str, ...]) -> None:
        return None

    def interrupted(self) -> list[Interrupted]:
        return []

    def snooze(self, due: Due, seconds: float) -> None:
        return None

    def schedule(self, ritual: str, site: str, when: str) -> str:
        return self.unavailable

    def scheduled(self, site: str) -> str:
        return self.unavailable

    def cancel(self, site: str, ritual: str | None, day: str | None) -> str:
        return self.unavailable

    def skip_tonight(self, site: str) -> str:
        return self.unavailable

    def pause_until(self, day: str) -> str:
        return self.unavailable

    def resume(self) -> str:
        return self.unavailable

    def this_week(self) -> str:
        return "I don't keep a history here."
