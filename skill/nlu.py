"""Hearth's training sentences: what Rhasspy's NLU is taught to understand.

* :func:`build_sentences` joins the shipped ``intents/hearth.ini`` with what the loaded
  rituals add: each ritual's trigger phrases (tagged with its id) under
  ``[HearthStartRitual]``, and two slot lists, ``$hearth_rituals`` (the spoken names of the
  rituals) and ``$hearth_answers`` (the short answers their questions expect).
* :func:`write_files` writes them the way a Rhasspy profile keeps them.

Compiling them into a recogniser is :mod:`skill.recognizer`'s work; it needs rhasspy-nlu
(with networkx and NumPy), which ``hearth run`` never loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from skill.intents import ANSWERS_SLOT_LIST, RITUAL_SLOT, RITUALS_SLOT_LIST, Intent
from skill.loader import Library
from skill.paths import shipped_intents
from skill.ritual import Ask, Ritual, Rounds, Step, Turns

SENTENCES_FILE = "hearth.ini"
"""The shipped sentences, in ``intents/``; Rhasspy keeps extra .ini files in the same place."""
SLOT_LISTS = (RITUALS_SLOT_LIST, ANSWERS_SLOT_LIST)
_BUILT_IN_ANSWERS = frozenset({"yes", "no"})  # HearthYes and HearthNo understand these
_NOT_SPOKEN = re.compile(r"[^\w\s']")
_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")
_RULE = re.compile(r"^\s*(\w+)\s*=")


# -- text -------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Text as a speech recogniser would hand it over: lower case, words and apostrophes.

    ``"Start the Appreciation-Round?"`` becomes ``"start the appreciation round"``.
    """
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _NOT_SPOKEN.sub(" ", text).replace("_", " ")
    words = (word.strip("'") for word in text.split())
    return " ".join(word for word in words if word)


# -- sentences --------------------------------------------------------------------------


@dataclass(frozen=True)
class SentenceFiles:
    """Everything Rhasspy needs to understand Hearth: one sentences file and slot lists."""

    sentences: str
    """The complete sentences.ini text."""
    slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Slot list name → its lines, in Rhasspy's slot-file syntax (``(words):value``)."""

    def slot_text(self, name: str) -> str:
        lines = self.slots.get(name, ())
        return "".join(f"{line}\n" for line in lines)


def shipped_sentences() -> str:
    return (shipped_intents() / SENTENCES_FILE).read_text(encoding="utf-8")


def build_sentences(library: Library, *, base: str | None = None) -> SentenceFiles:
    """The shipped sentences (or ``base``) plus what ``library``'s rituals add.

    A slot list with no values would make Rhasspy's training fail ("Missing slot"), so the
    sentences that use an empty list are left out (with no custom answers anywhere, there
    is no ``[HearthAnswer]`` sentence at all).
    """
    rituals = sorted(library.rituals.values(), key=lambda r: r.id)
    slots = {
        RITUALS_SLOT_LIST: _ritual_names(rituals),
        ANSWERS_SLOT_LIST: _answers(rituals),
    }
    text = shipped_sentences() if base is None else base
    sections = _Ini.parse(text)
    for name, lines in slots.items():
        if not lines:
            sections.drop_slot(name)
    triggers = [
        f"({phrase}){{{RITUAL_SLOT}:{ritual.id}}}"
        for ritual in rituals
        for phrase in dict.fromkeys(normalize(t) for t in ritual.triggers)
        if phrase
    ]
    if triggers:
        sections.append(
            Intent.START_RITUAL.value,
            ["# The trigger phrases of the loaded rituals", *triggers],
        )
    return SentenceFiles(sections.render(), slots)


def _ritual_names(rituals: Iterable[Ritual]) -> tuple[str, ...]:
    lines: list[str] = []
    for ritual in rituals:
        spoken = dict.fromkeys(
            name for name in (normalize(ritual.title), normalize(ritual.id)) if name
        )
        lines += [f"({name}):{ritual.id}" for name in spoken]
    return tuple(dict.fromkeys(lines))


def _answers(rituals: Iterable[Ritual]) -> tuple[str, ...]:
    lines: dict[str, None] = {}
    for ritual in rituals:
        for answer in _ask_answers(ritual.steps):
            spoken = normalize(answer)
            if not spoken or spoken in _BUILT_IN_ANSWERS:
                continue
            line = spoken if spoken == answer else f"({spoken}):({answer})"
            lines[line] = None
    return tuple(lines)


def _ask_answers(steps: Iterable[Step]) -> Iterator[str]:
    for step in steps:
        if isinstance(step, Ask):
            for name, inner in step.answers:
                yield name
                yield from _ask_answers(inner)
            if not isinstance(step.no_answer, str):
                yield from _ask_answers(step.no_answer)
        elif isinstance(step, Turns | Rounds):
            yield from _ask_answers(step.steps)


@dataclass
class _Section:
    header: str | None  # None for the lines before the first section
    lines: list[str]


@dataclass
class _Ini:
    """Just enough of sentences.ini's layout to add lines to a section and drop some."""

    sections: list[_Section]

    @classmethod
    def parse(cls, text: str) -> _Ini:
        sections = [_Section(None, [])]
        for line in text.splitlines():
            match = _SECTION.match(line)
            if match:
                sections.append(_Section(match.group(1), []))
            else:
                sections[-1].lines.append(line)
        return cls(sections)

    def append(self, intent: str, lines: list[str]) -> None:
        for section in self.sections:
            if section.header == intent:
                body = section.lines
                while body and not body[-1].strip():
                    body.pop()
                body += [*lines, ""]
                return
        self.sections.append(_Section(intent, [*lines, ""]))

    def drop_slot(self, slot: str) -> None:
        """Leave out every sentence and rule using ``$slot``, and whatever uses those rules."""
        pattern = re.compile(rf"\${re.escape(slot)}(?![\w/])")
        while True:
            dropped: set[str] = set()
            for section in self.sections:
                kept = []
                for line in section.lines:
                    if line.lstrip().startswith(("#", ";")) or not pattern.search(line):
                        kept.append(line)
                        continue
                    rule = _RULE.match(line)
                    if rule:  # <name> inside the section, <Intent.name> from others
                        dropped |= {rule.group(1), f"{section.header}.{rule.group(1)}"}
                section.lines = kept
            if not dropped:
                break
            pattern = re.compile("<(?:" + "|".join(map(re.escape, sorted(dropped))) + ")>")
        self.sections = [s for s in self.sections if s.header is None or _has_sentences(s)]

    def render(self) -> str:
        out: list[str] = []
        for section in self.sections:
            if section.header is not None:
                out.append(f"[{section.header}]")
            out += section.lines
        return "\n".join(out).rstrip("\n") + "\n"


def _has_sentences(section: _Section) -> bool:
    return any(
        line.strip() and not line.lstrip().startswith(("#", ";")) and not _RULE.match(line)
        for line in section.lines
    )


def write_files(files: SentenceFiles, folder: Path) -> list[Path]:
    """``sentences.ini`` and ``slots/NAME`` in ``folder``, as in a Rhasspy profile."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "sentences.ini"]
    written[0].write_text(files.sentences, encoding="utf-8")
    slots = folder / "slots"
    slots.mkdir(exist_ok=True)
    for name in files.slots:
        path = slots / name
        path.write_text(files.slot_text(name), encoding="utf-8")
        written.append(path)
    return written
