"""Hearth's exceptions: one root, a few leaves, each keeping the values it complains about.

Every ritual-file problem is a :class:`RitualError` that knows its file, line and column,
so ``hearth validate`` can print ``rituals/hug.yaml:12:5: …`` for each of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class HearthError(Exception):
    """The root of every error Hearth raises on purpose."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to a misspelt ``word``, if one is close enough."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


class RitualError(HearthError):
    """A problem at one place of a ritual or deck file."""

    def __init__(self, source: str, line: int, column: int, problem: str) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.problem = problem
        super().__init__(f"{source}:{line}:{column}: {problem}")


class YamlSyntaxError(RitualError):
    """The file is not well-formed YAML (or not text at all)."""


class LimitExceededError(RitualError):
    """The file is larger, deeper or more aliased than a ritual file can be."""

    def __init__(self, source: str, line: int, column: int, what: str, limit: int) -> None:
        self.what = what
        self.limit = limit
        super().__init__(source, line, column, f"{what} exceeds the limit of {limit}")


class UnknownKeyError(RitualError):
    """A key that is not allowed here, with the allowed ones and a suggestion."""

    def __init__(
        self, source: str, line: int, column: int, key: str, allowed: Sequence[str], where: str
    ) -> None:
        self.key = key
        self.allowed = tuple(allowed)
        self.suggestion = did_you_mean(key, allowed)
        hint = f"did you mean {self.suggestion!r}? " if self.suggestion else ""
        super().__init__(
            source,
            line,
            column,
            f"unknown key {key!r} in {where}; {hint}allowed: {', '.join(self.allowed)}",
        )


class InvalidValueError(RitualError):
    """A value of the wrong type or out of range; says what was expected."""

    def __init__(self, source: str, line: int, column: int, where: str, expected: str) -> None:
        self.where = where
        self.expected = expected
        super().__init__(source, line, column, f"{where}: expected {expected}")


class PlaceholderError(RitualError):
    """A ``{placeholder}`` that is not one of the allowed names here."""

    def __init__(
        self, source: str, line: int, column: int, placeholder: str, allowed: Sequence[str],
        reason: str = "",
    ) -> None:
        self.placeholder = placeholder
        self.allowed = tuple(allowed)
        suggestion = did_you_mean(placeholder, allowed)
        hint = f"; did you mean {{{suggestion}}}?" if suggestion else ""
        names = ", ".join("{" + a + "}" for a in self.allowed) or "none"
        why = f" {reason}" if reason else ""
        super().__init__(
            source,
            line,
            column,
            f"placeholder {{{placeholder}}} is not allowed here{why}{hint} (allowed here: {names})",
        )


class RitualFileError(HearthError):
    """Every problem found in one file; loading stops at the file, never at the folder."""

    def __init__(self, source: str, problems: Sequence[RitualError]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownRitualError(HearthError):
    """A ritual id that no loaded ritual has."""

    def __init__(self, ritual_id: str, known: Sequence[str]) -> None:
        self.ritual_id = ritual_id
        self.known = tuple(known)
        suggestion = did_you_mean(ritual_id, known)
        hint = f" Did you mean {suggestion!r}?" if suggestion else ""
        listing = ", ".join(sorted(self.known)) or "none"
        super().__init__(f"no ritual {ritual_id!r}.{hint} Known rituals: {listing}")


class EngineError(HearthError):
    """The engine was used against its contract (a programming error in a shell)."""
