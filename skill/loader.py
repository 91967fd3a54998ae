"""Loading rituals and decks, in layers: files → YAML text → nodes → model.

* :func:`load_library` loads every ``*.yaml`` in the given folders: every good file is
  kept, every bad one is reported, and one bad file never hides another.
* :func:`ritual_from_yaml` / :func:`ritual_from_node` do one ritual; they collect every
  problem in the file and raise them together as one :class:`RitualFileError`.

Nothing in a file is ever executed: YAML is parsed by :mod:`skill.yamlnodes` (no tags, no
objects), placeholders are checked against a fixed list of names by :mod:`skill.template`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from skill import yamlnodes as yn
from skill.durations import parse_duration
from skill.errors import (
    InvalidValueError,
    PlaceholderError,
    RitualError,
    RitualFileError,
    UnknownKeyError,
    UnknownRitualError,
    YamlSyntaxError,
    did_you_mean,
)
from skill.ritual import (
    ANSWER_PATTERN,
    CHIMES,
    ID_PATTERN,
    MAX_PARTICIPANTS,
    TRIGGER_PATTERN,
    Ask,
    Chime,
    Deck,
    End,
    Practice,
    Ritual,
    Rounds,
    Say,
    Silence,
    Step,
    Talk,
    Text,
    Turns,
    Who,
)
from skill.template import Template, TemplateSyntaxError, parse_template

RITUAL_KEYS = (
    "id", "title", "description", "practice", "language", "duration", "participants",
    "triggers", "decks", "steps",
)
RITUAL_REQUIRED = ("id", "title", "description", "practice", "triggers", "steps")
DECK_KEYS = ("title", "language", "prompts")
STEP_OPTIONS: dict[str, tuple[str, ...]] = {
    "say": ("deck",),
    "ask": ("answers", "no_answer", "reask"),
    "talk": ("warn", "warning", "who"),
    "silence": (),
    "chime": (),
    "turns": ("rounds",),
    "rounds": ("steps",),
    "end": (),
}
PRACTICES = tuple(p.value for p in Practice)
MAX_TRIGGER_LENGTH = 80
MAX_TEXT_LENGTH = 2000
MAX_PROMPTS = 2000
MAX_ROUNDS = 20

_T = TypeVar("_T")
_DIGITS = re.compile(r"^[0-9]+$")
_PARTICIPANTS = re.compile(r"^([0-9]+)(?:(\+)|-([0-9]+))?$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


class _Skip(Exception):
    """Raised after a problem is recorded, to abandon the value it was found in."""


@dataclass
class _Scope:
    """What a placeholder may refer to at a given step."""

    in_turns: bool = False
    in_rounds: bool = False

    def allowed(self, drawn: bool) -> tuple[str, ...]:
        names = ["names"]
        if self.in_turns:
            names += ["speaker", "partner"]
        if drawn:
            names.append("prompt")
        if self.in_turns or self.in_rounds:
            names.append("round")
        return tuple(names)


@dataclass
class _Reader:
    """Reads one file's nodes into model values, keeping every problem it meets."""

    source: str
    decks: Mapping[str, Deck]
    problems: list[RitualError] = field(default_factory=list)
    drawn: bool = False

    # -- reporting --------------------------------------------------------------------

    def fail(self, error: RitualError) -> _Skip:
        self.problems.append(error)
        return _Skip()

    def invalid(self, node: yn.Node, where: str, expected: str) -> _Skip:
        return self.fail(InvalidValueError(self.source, node.line, node.column, where, expected))

    # -- shapes -----------------------------------------------------------------------

    def mapping(
        self, node: yn.Node, where: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> yn.Mapping:
        if not isinstance(node, yn.Mapping):
            raise self.invalid(node, where, f"a mapping with keys {', '.join(allowed)}")
        suggested = set()
        for key, _ in node.pairs:
            if key.value not in allowed:
                error = UnknownKeyError(
                    self.source, key.line, key.column, key.value, allowed, where
                )
                suggested.add(error.suggestion)
                self.fail(error)
        for name in required:
            # A misspelt required key already got its "did you mean"; don't also nag.
            if node.get(name) is None and name not in suggested:
                self.invalid(node, where, f"the key {name!r}, which is required")
        return node

    def string(self, node: yn.Node, where: str, *, limit: int = MAX_TEXT_LENGTH) -> str:
        if not isinstance(node, yn.Scalar) or node.is_null:
            raise self.invalid(node, where, "some text")
        text = node.value.strip()
        if not text:
            raise self.invalid(node, where, "some text, not an empty string")
        if len(text) > limit:
            raise self.invalid(node, where, f"at most {limit} characters")
        return text

    def strings(self, node: yn.Node, where: str) -> list[yn.Scalar]:
        """A scalar or a non-empty list of scalars."""
        if isinstance(node, yn.Scalar):
            return [node]
        if isinstance(node, yn.Sequence) and node.items:
            for item in node.items:
                if not isinstance(item, yn.Scalar):
                    raise self.invalid(item, where, "text")
            return [item for item in node.items if isinstance(item, yn.Scalar)]
        raise self.invalid(node, where, "some text or a non-empty list of texts")

    def integer(self, node: yn.Node, where: str, low: int, high: int) -> int:
        if isinstance(node, yn.Scalar) and _DIGITS.match(node.value.strip()):
            value = int(node.value)
            if low <= value <= high:
                return value
        raise self.invalid(node, where, f"a whole number from {low} to {high}")

    def duration(self, node: yn.Node, where: str) -> float:
        if isinstance(node, yn.Scalar):
            seconds = parse_duration(node.value)
            if seconds is not None and seconds > 0:
                return seconds
            if _DIGITS.match(node.value.strip()):
                raise self.invalid(
                    node, where, f"a duration with a unit, like {node.value.strip()}s or 2m"
                )
        raise self.invalid(node, where, "a duration like 45s, 2m or 1m30s")

    def choice(self, node: yn.Node, where: str, choices: Sequence[str]) -> str:
        value = self.string(node, where)
        if value in choices:
            return value
        suggestion = did_you_mean(value, choices)
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        raise self.invalid(node, where, f"one of {', '.join(choices)}, not {value!r}{hint}")

    def template(self, node: yn.Scalar, where: str, scope: _Scope) -> Template:
        text = self.string(node, where)
        try:
            template = parse_template(text)
        except TemplateSyntaxError as error:
            line, column = self._offset(node, error.offset)
            if error.placeholder is not None and error.problem == "unknown placeholder":
                raise self.fail(
                    PlaceholderError(
                        self.source, line, column, error.placeholder, scope.allowed(self.drawn)
                    )
                ) from None
            raise self.fail(
                RitualError(self.source, line, column, f"{where}: {error.problem}")
            ) from None
        allowed = scope.allowed(self.drawn)
        for name in sorted(template.names - set(allowed)):
            line, column = self._offset(node, max(text.find("{" + name + "}"), 0))
            self.fail(
                PlaceholderError(
                    self.source, line, column, name, allowed, _placeholder_reason(name)
                )
            )
        return template

    def text(self, node: yn.Node, where: str, scope: _Scope) -> Text:
        variants = []
        for scalar in self.strings(node, where):
            try:
                variants.append(self.template(scalar, where, scope))
            except _Skip:
                continue
        if not variants:
            raise _Skip()
        return Text(tuple(variants))

    @staticmethod
    def _offset(node: yn.Scalar, offset: int) -> tuple[int, int]:
        # Exact for text written on one line; for folded text the scalar's start is as near
        # as we can point without re-reading the file.
        if "\n" in node.value[:offset]:
            return node.line, node.column
        return node.line, node.column + offset + (0 if node.plain else 1)

    # -- rituals ----------------------------------------------------------------------

    def ritual(self, root: yn.Node) -> Ritual:
        if isinstance(root, yn.Scalar) and root.is_null:
            raise self.invalid(root, "the file", "a ritual: a mapping with id, title, steps …")
        node = self.mapping(root, "a ritual", RITUAL_KEYS, RITUAL_REQUIRED)
        values = {key.value: value for key, value in node.pairs}
        ritual_id = self.attempt(lambda: self.ident(values["id"], "id"), "id" in values)
        title = self.attempt(lambda: self.string(values["title"], "title", limit=120),
                             "title" in values)
        description = self.attempt(
            lambda: self.string(values["description"], "description"), "description" in values
        )
        practice = self.attempt(
            lambda: Practice(self.choice(values["practice"], "practice", PRACTICES)),
            "practice" in values,
        )
        language = self.attempt(lambda: self.language(values["language"]), "language" in values)
        duration = self.attempt(
            lambda: self.duration(values["duration"], "duration"), "duration" in values
        )
        participants = self.attempt(
            lambda: self.participants(values["participants"]), "participants" in values
        )
        triggers = self.attempt(lambda: self.triggers(values["triggers"]), "triggers" in values)
        inline = self.attempt(lambda: self.inline_decks(values["decks"]), "decks" in values)
        available = {**self.decks, **(inline or {})}
        steps = self.attempt(
            lambda: self.block(values["steps"], "steps", _Scope(), available), "steps" in values
        )
        if self.problems:
            raise _Skip()
        used = sorted(_decks_used(steps or ()))
        return Ritual(
            id=ritual_id or "",
            title=title or "",
            description=description or "",
            practice=practice or Practice.QUALITY_TIME,
            triggers=triggers or (),
            steps=steps or (),
            decks=tuple((name, available[name]) for name in used),
            language=language or "en",
            duration=duration,
            participants=participants or (2, 8),
            source=self.source,
        )

    @staticmethod
    def attempt(read: Callable[[], _T], present: bool) -> _T | None:
        if not present:
            return None
        try:
            return read()
        except _Skip:
            return None

    def ident(self, node: yn.Node, where: str) -> str:
        value = self.string(node, where, limit=64)
        if not ID_PATTERN.match(value):
            raise self.invalid(
                node, where,
                f"lower-case letters, digits and dashes, like 'hug-timer', not {value!r}",
            )
        return value

    def language(self, node: yn.Node) -> str:
        value = self.string(node, "language", limit=35)
        if not _LANGUAGE.match(value):
            raise self.invalid(node, "language", f"a language tag like 'en' or 'de', not {value!r}")
        return value

    def participants(self, node: yn.Node) -> tuple[int, int]:
        expected = f"a number of people like 2, 2-6 or 2+ (at most {MAX_PARTICIPANTS})"
        if not isinstance(node, yn.Scalar):
            raise self.invalid(node, "participants", expected)
        match = _PARTICIPANTS.match(node.value.replace(" ", ""))
        if match is None:
            raise self.invalid(node, "participants", expected)
        low = int(match.group(1))
        high = MAX_PARTICIPANTS if match.group(2) == "+" else int(match.group(3) or low)
        if low > high:
            raise self.invalid(
                node, "participants", f"the smaller number first, like {high}-{low}"
            )
        if not 1 <= low <= high <= MAX_PARTICIPANTS:
            raise self.invalid(node, "participants", expected)
        return low, high

    def triggers(self, node: yn.Node) -> tuple[str, ...]:
        phrases: list[str] = []
        for scalar in self.strings(node, "triggers"):
            try:
                phrase = self.string(scalar, "a trigger phrase", limit=MAX_TRIGGER_LENGTH)
            except _Skip:
                continue
            normal = " ".join(phrase.lower().split())
            if not TRIGGER_PATTERN.match(normal):
                self.invalid(
                    scalar, "a trigger phrase", f"plain words someone would say, not {phrase!r}"
                )
                continue
            if normal in phrases:
                self.invalid(scalar, "a trigger phrase", f"a phrase not listed twice ({phrase!r})")
                continue
            phrases.append(normal)
        return tuple(phrases)

    def inline_decks(self, node: yn.Node) -> dict[str, Deck]:
        if not isinstance(node, yn.Mapping):
            raise self.invalid(node, "decks", "a mapping of deck names to lists of prompts")
        decks: dict[str, Deck] = {}
        for key, value in node.pairs:
            try:
                name = self.ident(key, "a deck name")
                decks[name] = Deck(name, self.prompts(value, f"deck {name!r}"))
            except _Skip:
                continue
        return decks

    def prompts(self, node: yn.Node, where: str) -> tuple[str, ...]:
        if not isinstance(node, yn.Sequence) or not node.items:
            raise self.invalid(node, where, "a non-empty list of prompts")
        if len(node.items) > MAX_PROMPTS:
            raise self.invalid(node, where, f"at most {MAX_PROMPTS} prompts")
        prompts: list[str] = []
        for item in node.items:
            try:
                prompt = self.string(item, f"a prompt of {where}")
                parse_template(prompt.replace("{", "{{").replace("}", "}}"))
            except _Skip:
                continue
            if prompt in prompts:
                self.invalid(item, f"a prompt of {where}", "a prompt not listed twice")
                continue
            prompts.append(prompt)
        if not prompts:
            raise _Skip()
        return tuple(prompts)

    # -- steps ------------------------------------------------------------------------

    def block(
        self, node: yn.Node, where: str, scope: _Scope, decks: Mapping[str, Deck]
    ) -> tuple[Step, ...]:
        if not isinstance(node, yn.Sequence) or not node.items:
            raise self.invalid(node, where, "a list of steps (each line starting with '- ')")
        steps: list[Step] = []
        for item in node.items:
            try:
                steps.append(self.step(item, scope, decks))
            except _Skip:
                continue
        if not steps:
            raise _Skip()
        return tuple(steps)

    def step(self, node: yn.Node, scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        kinds = tuple(STEP_OPTIONS)
        if isinstance(node, yn.Scalar):
            word = node.value.strip()
            if word == "chime":
                return Chime(line=node.line)
            if word == "end":
                return End(line=node.line)
            suggestion = did_you_mean(word, kinds)
            hint = f"did you mean {suggestion!r}? " if suggestion else ""
            raise self.invalid(
                node,
                "a step",
                f"a mapping such as 'say: …', or one of the bare steps chime, end; "
                f"{hint}found {word!r}",
            )
        if not isinstance(node, yn.Mapping):
            raise self.invalid(node, "a step", "a mapping such as 'say: …'")
        present = [k for k in node.keys() if k in STEP_OPTIONS]  # noqa: SIM118
        if "turns" in present and "rounds" in present:
            present.remove("rounds")
        if not present:
            key = node.pairs[0][0] if node.pairs else None
            if key is None:
                raise self.invalid(node, "a step", f"one of the step kinds {', '.join(kinds)}")
            raise self.fail(
                UnknownKeyError(self.source, key.line, key.column, key.value, kinds, "a step")
            )
        if len(present) > 1:
            raise self.invalid(
                node, "a step", f"exactly one step kind, found {' and '.join(present)}"
            )
        kind = present[0]
        article = "an" if kind[0] in "aeiou" else "a"
        self.mapping(node, f"{article} '{kind}' step", (kind, *STEP_OPTIONS[kind]))
        value = node.get(kind)
        options = {k.value: v for k, v in node.pairs}
        if value is None:
            raise _Skip()
        reader = {
            "say": self.say,
            "ask": self.ask,
            "talk": self.talk,
            "silence": self.silence,
            "chime": self.chime,
            "turns": self.turns,
            "rounds": self.rounds,
            "end": self.end,
        }[kind]
        return reader(node, value, options, scope, decks)

    def say(self, node: yn.Mapping, value: yn.Node, options: Mapping[str, yn.Node],
            scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        deck = None
        if "deck" in options:
            deck = self.deck_name(options["deck"], decks)
            self.drawn = True
        return Say(self.text(value, "say", scope), deck, node.line)

    def deck_name(self, node: yn.Node, decks: Mapping[str, Deck]) -> str:
        name = self.string(node, "deck", limit=64)
        if name not in decks:
            suggestion = did_you_mean(name, decks)
            hint = f"did you mean {suggestion!r}? " if suggestion else ""
            known = ", ".join(sorted(decks)) or "none"
            raise self.invalid(
                node, "deck",
                f"the name of a deck; there is no deck {name!r} ({hint}decks: {known})",
            )
        return name

    def ask(self, node: yn.Mapping, value: yn.Node, options: Mapping[str, yn.Node],
            scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        question = self.attempt(lambda: self.text(value, "ask", scope), True)
        reask = self.attempt(lambda: self.text(options["reask"], "reask", scope),
                             "reask" in options)
        if "answers" not in options:
            raise self.invalid(node, "an 'ask' step", "'answers:' with the expected answers")
        answers_node = options["answers"]
        if not isinstance(answers_node, yn.Mapping) or not answers_node.pairs:
            raise self.invalid(
                answers_node, "answers", "a mapping of answers (yes, no, a short phrase) to steps"
            )
        answers: list[tuple[str, tuple[Step, ...]]] = []
        for key, steps_node in answers_node.pairs:
            name = " ".join(key.value.lower().split())
            if not ANSWER_PATTERN.match(name):
                self.invalid(key, "an answer", f"a short phrase of plain words, not {key.value!r}")
                continue
            if name in (known for known, _ in answers):
                self.invalid(key, "an answer", f"an answer not listed twice ({key.value!r})")
                continue
            if isinstance(steps_node, yn.Scalar) and steps_node.is_null:
                answers.append((name, ()))
                continue
            try:
                answers.append((name, self.block(steps_node, f"the answer {name!r}", scope, decks)))
            except _Skip:
                answers.append((name, ()))
        if not answers:
            raise _Skip()
        no_answer: tuple[Step, ...] | str = ()
        if "no_answer" in options:
            target = options["no_answer"]
            if isinstance(target, yn.Scalar):
                choices = [name for name, _ in answers]
                no_answer = " ".join(self.string(target, "no_answer").lower().split())
                if no_answer not in choices:
                    raise self.invalid(
                        target, "no_answer",
                        f"one of the answers ({', '.join(choices)}) or a list of steps, "
                        f"not {target.value!r}",
                    )
            else:
                no_answer = self.block(target, "no_answer", scope, decks)
        if question is None:
            raise _Skip()
        return Ask(question, tuple(answers), no_answer, reask, node.line)

    def talk(self, node: yn.Mapping, value: yn.Node, options: Mapping[str, yn.Node],
             scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        seconds = self.duration(value, "talk")
        warn = None
        if "warn" in options:
            warn = self.duration(options["warn"], "warn")
            if warn >= seconds:
                raise self.invalid(options["warn"], "warn", "a time shorter than the talk itself")
        warning = None
        if "warning" in options:
            if warn is None:
                raise self.invalid(options["warning"], "warning", "'warn: 30s' beside it")
            warning = self.text(options["warning"], "warning", scope)
        default_who = Who.SPEAKER if scope.in_turns else Who.EVERYONE
        who = default_who
        if "who" in options:
            who = Who(self.choice(options["who"], "who", [w.value for w in Who]))
            if who is not Who.EVERYONE and not scope.in_turns:
                raise self.invalid(options["who"], "who", "'everyone' outside of turns")
        return Talk(seconds, warn, warning, who, node.line)

    def silence(self, node: yn.Mapping, value: yn.Node, options: Mapping[str, yn.Node],
                scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        return Silence(self.duration(value, "silence"), node.line)

    def chime(self, node: yn.Mapping, value: yn.Node, options: Mapping[str, yn.Node],
              scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        if isinstance(value, yn.Scalar) and value.is_null:
            return Chime(line=node.line)
        return Chime(self.choice(value, "chime", CHIMES), node.line)

    def turns(self, node: yn.Mapping, value: yn.Node, options: Mapping[str, yn.Node],
              scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        rounds = 1
        if "rounds" in options:
            rounds = self.integer(options["rounds"], "rounds", 1, MAX_ROUNDS)
        if scope.in_turns:
            raise self.invalid(node, "turns", "no turns inside turns")
        inner = _Scope(in_turns=True, in_rounds=scope.in_rounds)
        return Turns(self.block(value, "turns", inner, decks), rounds, node.line)

    def rounds(self, node: yn.Mapping, value: yn.Node, options: Mapping[str, yn.Node],
               scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        count = self.integer(value, "rounds", 1, MAX_ROUNDS)
        if "steps" not in options:
            raise self.invalid(node, "a 'rounds' step", "'steps:' with the steps to repeat")
        inner = _Scope(in_turns=scope.in_turns, in_rounds=True)
        return Rounds(count, self.block(options["steps"], "steps", inner, decks), node.line)

    def end(self, node: yn.Mapping, value: yn.Node, options: Mapping[str, yn.Node],
            scope: _Scope, decks: Mapping[str, Deck]) -> Step:
        if not (isinstance(value, yn.Scalar) and value.is_null):
            raise self.invalid(value, "end", "nothing after it: write '- end'")
        return End(node.line)

    # -- decks ------------------------------------------------------------------------

    def deck_file(self, root: yn.Node, name: str) -> Deck:
        node = self.mapping(root, "a deck", DECK_KEYS, ("prompts",))
        values = {key.value: value for key, value in node.pairs}
        title = self.attempt(lambda: self.string(values["title"], "title", limit=120),
                             "title" in values)
        language = self.attempt(lambda: self.language(values["language"]), "language" in values)
        prompts = self.attempt(lambda: self.prompts(values["prompts"], "prompts"),
                               "prompts" in values)
        if self.problems or not prompts:
            raise _Skip()
        return Deck(name, prompts, title or name, language or "en")


def _placeholder_reason(name: str) -> str:
    return {
        "speaker": "(only inside turns)",
        "partner": "(only inside turns)",
        "round": "(only inside turns or rounds)",
        "prompt": "(only after a 'say' that draws from a deck)",
    }.get(name, "")


def _decks_used(steps: Iterable[Step]) -> set[str]:
    used: set[str] = set()
    for step in steps:
        match step:
            case Say(deck=str(deck)):
                used.add(deck)
            case Turns(steps=inner) | Rounds(steps=inner):
                used |= _decks_used(inner)
            case Ask(answers=answers, no_answer=no_answer):
                for _, inner in answers:
                    used |= _decks_used(inner)
                if not isinstance(no_answer, str):
                    used |= _decks_used(no_answer)
    return used


# -- public layers ------------------------------------------------------------------------


def ritual_from_node(node: yn.Node, source: str, decks: Mapping[str, Deck]) -> Ritual:
    reader = _Reader(source, decks)
    try:
        return reader.ritual(node)
    except _Skip:
        raise RitualFileError(source, _ordered(reader.problems)) from None


def ritual_from_yaml(text: str, source: str = "<text>",
                     decks: Mapping[str, Deck] | None = None) -> Ritual:
    """One ritual from YAML text; raises :class:`RitualFileError` with every problem."""
    return ritual_from_node(_parse(text, source), source, decks or {})


def deck_from_yaml(text: str, name: str, source: str = "<text>") -> Deck:
    reader = _Reader(source, {})
    try:
        return reader.deck_file(_parse(text, source), name)
    except _Skip:
        raise RitualFileError(source, _ordered(reader.problems)) from None


def _parse(text: str, source: str) -> yn.Node:
    try:
        return yn.parse(text, source)
    except RitualError as error:
        raise RitualFileError(source, [error]) from None


def _read(path: Path) -> str:
    try:
        return yn.read_text(path)
    except RitualError as error:
        raise RitualFileError(str(path), [error]) from None
    except OSError as error:
        problem = YamlSyntaxError(str(path), 1, 1, f"cannot read the file: {error.strerror}")
        raise RitualFileError(str(path), [problem]) from None


def load_ritual_file(path: Path, decks: Mapping[str, Deck] | None = None) -> Ritual:
    """One ritual file; its decks come from ``decks`` or else the ``decks/`` beside it."""
    if decks is None:
        library = load_decks(path.parent / "decks")
        decks = library.decks
    return ritual_from_yaml(_read(path), str(path), decks)


def load_deck_file(path: Path) -> Deck:
    return deck_from_yaml(_read(path), path.stem, str(path))


def _ordered(problems: Iterable[RitualError]) -> list[RitualError]:
    return sorted(problems, key=lambda p: (p.line, p.column))


@dataclass(frozen=True)
class Library:
    """Everything loaded from some folders: the good rituals and decks, and every problem."""

    rituals: Mapping[str, Ritual] = field(default_factory=dict)
    decks: Mapping[str, Deck] = field(default_factory=dict)
    problems: tuple[RitualFileError, ...] = ()

    def get(self, ritual_id: str) -> Ritual:
        try:
            return self.rituals[ritual_id]
        except KeyError:
            raise UnknownRitualError(ritual_id, list(self.rituals)) from None

    @property
    def files_with_problems(self) -> int:
        return len(self.problems)


def _duplicate_id(path: Path, ritual_id: str, first: str) -> RitualFileError:
    # Rare enough that reading the file again to point at its id beats carrying marks around.
    root = yn.parse(_read(path), str(path))
    node = root.get("id") if isinstance(root, yn.Mapping) else None
    line, column = (node.line, node.column) if node is not None else (1, 1)
    problem = InvalidValueError(
        str(path), line, column, "id", f"an id of its own; {ritual_id!r} is taken by {first}"
    )
    return RitualFileError(str(path), [problem])


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml") and p.is_file()
    )


def load_decks(*folders: Path) -> Library:
    decks: dict[str, Deck] = {}
    problems: list[RitualFileError] = []
    for folder in folders:
        for path in _yaml_files(folder) if folder.is_dir() else []:
            try:
                deck = load_deck_file(path)
            except RitualFileError as error:
                problems.append(error)
                continue
            decks[deck.id] = deck
    return Library({}, decks, tuple(problems))


def load_library(*paths: Path) -> Library:
    """Rituals from folders (with their ``decks/``) and single files, every problem kept.

    >>> library = load_library(Path("rituals"))
    >>> library.get("hug-timer").title
    'Hug timer'
    """
    folders = [p for p in paths if p.is_dir()]
    files = [p for p in paths if not p.is_dir()]
    deck_library = load_decks(*(folder / "decks" for folder in folders),
                              *{f.parent / "decks" for f in files})
    problems = list(deck_library.problems)
    rituals: dict[str, Ritual] = {}
    for path in [f for folder in folders for f in _yaml_files(folder)] + files:
        if not path.exists():
            problem = YamlSyntaxError(str(path), 1, 1, "no such file or folder")
            problems.append(RitualFileError(str(path), [problem]))
            continue
        try:
            ritual = load_ritual_file(path, deck_library.decks)
        except RitualFileError as error:
            problems.append(error)
            continue
        if ritual.id in rituals:
            problems.append(_duplicate_id(path, ritual.id, rituals[ritual.id].source))
            continue
        rituals[ritual.id] = ritual
    return Library(rituals, deck_library.decks, tuple(problems))
