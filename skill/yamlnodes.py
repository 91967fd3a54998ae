"""Safe YAML for ritual files: text → a small tree of nodes that remember where they stood.

PyYAML's own composer and constructor are not used. Building the tree ourselves from the
parser's events lets us

* keep every scalar a string (``yes``, ``no``, ``on`` and ``off`` stay words) and carry its
  line and column, so every later error can name ``file:line:col``;
* refuse alias bombs and merge-key bombs *before* anything is expanded: each node knows the
  size it would have once expanded, and the tree is refused the moment that passes
  :data:`MAX_NODES` (PyYAML's ``safe_load`` would expand nested ``<<`` merges eagerly);
* refuse deep nesting without recursion, and cap the file size, so a hostile file costs
  bounded time and memory.

The C parser (libyaml) is used when PyYAML has it; it reports the same marks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from skill.errors import LimitExceededError, YamlSyntaxError

MAX_BYTES = 256 * 1024
"""A ritual or deck file is a few kilobytes; anything past this is not one."""
MAX_DEPTH = 32
"""Nesting depth of collections; real rituals stay under ten."""
MAX_NODES = 20_000
"""Nodes in the fully expanded tree (aliases counted each time they are used)."""

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD_TAGS = frozenset(
    {
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:map",
        "tag:yaml.org,2002:seq",
    }
)


@dataclass(frozen=True, slots=True)
class Node:
    """Where a value stood: ``line`` and ``column`` count from 1, as editors do."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Scalar(Node):
    value: str
    plain: bool = True
    """Written without quotes; only a plain ``null``, ``~`` or nothing is a missing value."""

    @property
    def is_null(self) -> bool:
        return self.plain and self.value in ("", "~", "null", "Null", "NULL")


@dataclass(frozen=True, slots=True)
class Sequence(Node):
    items: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Mapping(Node):
    pairs: tuple[tuple[Scalar, Node], ...] = ()

    def keys(self) -> list[str]:
        return [k.value for k, _ in self.pairs]

    def get(self, key: str) -> Node | None:
        for k, v in self.pairs:
            if k.value == key:
                return v
        return None


@dataclass
class _Open:
    """A collection whose end event has not arrived yet."""

    start: yaml.Event
    anchor: str | None
    items: list[Node] = field(default_factory=list)
    weight: int = 1


def read_text(path: Path) -> str:
    """A ritual file's text: bounded in size, UTF-8 (a BOM is fine), no binary."""
    source = str(path)
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise LimitExceededError(source, 1, 1, "file size in bytes", MAX_BYTES)
    return decode(data, source)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode(data: bytes, source: str) -> str:
    if data.startswith(_UTF16_BOMS):
        raise YamlSyntaxError(
            source, 1, 1, "the file is saved as UTF-16; save it as UTF-8 instead"
        )
    if b"\x00" in data:
        line, column = _position(data[: data.index(b"\x00")])
        raise YamlSyntaxError(source, line, column, "this is not a text file (it has NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = _position(data[: error.start])
        raise YamlSyntaxError(
            source,
            line,
            column,
            f"the file is not UTF-8 text (byte 0x{data[error.start]:02x}); save it as UTF-8",
        ) from None


def _position(prefix: bytes) -> tuple[int, int]:
    text = prefix.decode("utf-8", errors="replace")
    line = text.count("\n") + 1
    return line, len(text) - (text.rfind("\n") + 1) + 1


def parse(text: str, source: str) -> Node:
    """Parse one YAML document into nodes, within the limits above."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise LimitExceededError(source, 1, 1, "file size in bytes", MAX_BYTES)
    try:
        return _compose(yaml.parse(text, Loader=_Loader), source)
    except yaml.MarkedYAMLError as error:
        raise _located(error, text, source) from None
    except yaml.reader.ReaderError as error:
        line, column = _char_position(text, error.position)
        char = error.character
        code = char if isinstance(char, int) else ord(char) if char else 0
        raise YamlSyntaxError(
            source, line, column, f"the character U+{code:04X} is not allowed in YAML text"
        ) from None
    except yaml.YAMLError as error:  # libyaml's errors do not always carry a mark
        raise YamlSyntaxError(source, 1, 1, f"YAML syntax: {error}") from None


def _located(error: yaml.MarkedYAMLError, text: str, source: str) -> YamlSyntaxError:
    """A YAML syntax error, pointing where a person would look to fix it."""
    mark = error.problem_mark or error.context_mark
    what = error.problem or "not valid YAML"
    context = f" ({error.context})" if error.context else ""
    if error.context_mark is not None and "quoted scalar" in (error.context or ""):
        # An unclosed quote is reported at the end of the file; point at its start.
        mark = error.context_mark
        what, context = "a quoted text is never closed", ""
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return YamlSyntaxError(
            source, line, column, "a tab character; YAML must be indented with spaces"
        )
    return YamlSyntaxError(source, line, column, f"YAML syntax: {what}{context}")


def _char_position(text: str, index: int) -> tuple[int, int]:
    prefix = text[:index]
    return prefix.count("\n") + 1, index - (prefix.rfind("\n") + 1) + 1


def _mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _compose(events: object, source: str) -> Node:
    """Build the tree without recursion, refusing it as soon as a limit is passed."""
    anchors: dict[str, tuple[Node, int]] = {}
    stack: list[_Open] = []
    root: Node | None = None
    documents = 0

    def finish(node: Node, weight: int, anchor: str | None) -> None:
        nonlocal root
        if anchor is not None:
            anchors[anchor] = (node, weight)
        if stack:
            parent = stack[-1]
            parent.items.append(node)
            parent.weight += weight
            if parent.weight > MAX_NODES:
                line, column = node.line, node.column
                raise LimitExceededError(
                    source, line, column, "size of the document once aliases are expanded",
                    MAX_NODES,
                )
        else:
            root = node

    for event in events:  # type: ignore[attr-defined]
        line, column = _mark(event)
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlSyntaxError(
                    source, line, column, "only one YAML document per file (found a second '---')"
                )
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise YamlSyntaxError(source, line, column, f"unknown alias *{event.anchor}")
            node, weight = anchors[event.anchor]
            finish(node, weight, None)
        elif isinstance(event, yaml.ScalarEvent):
            _check_tag(event, source, line, column)
            plain = bool(event.implicit[0]) and event.style in (None, "")
            finish(Scalar(line, column, event.value, plain), 1, event.anchor)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            _check_tag(event, source, line, column)
            if len(stack) >= MAX_DEPTH:
                raise LimitExceededError(source, line, column, "nesting depth", MAX_DEPTH)
            stack.append(_Open(event, event.anchor))
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            opened = stack.pop()
            oline, ocolumn = _mark(opened.start)
            closed: Node = (
                Sequence(oline, ocolumn, tuple(opened.items))
                if isinstance(event, yaml.SequenceEndEvent)
                else _mapping(opened.items, oline, ocolumn, source)
            )
            finish(closed, opened.weight, opened.anchor)
    if root is None:
        return Scalar(1, 1, "", True)
    return root


def _mapping(items: list[Node], line: int, column: int, source: str) -> Mapping:
    pairs: list[tuple[Scalar, Node]] = []
    seen: dict[str, Scalar] = {}
    for key, value in zip(items[0::2], items[1::2], strict=True):
        if not isinstance(key, Scalar):
            raise YamlSyntaxError(
                source, key.line, key.column, "a key must be a plain word, not a list or mapping"
            )
        if key.value == "<<" and key.plain:
            raise YamlSyntaxError(
                source,
                key.line,
                key.column,
                "merge keys (<<) are not supported in ritual files; write the keys out",
            )
        if key.value in seen:
            first = seen[key.value]
            raise YamlSyntaxError(
                source,
                key.line,
                key.column,
                f"duplicate key {key.value!r} (first at line {first.line}, column {first.column})",
            )
        seen[key.value] = key
        pairs.append((key, value))
    return Mapping(line, column, tuple(pairs))


def _check_tag(event: yaml.Event, source: str, line: int, column: int) -> None:
    tag = getattr(event, "tag", None)
    if tag in (None, "!") or tag in _STANDARD_TAGS:
        return
    written = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:") else tag
    raise YamlSyntaxError(
        source, line, column, f"YAML tags like {written!r} are not allowed in ritual files"
    )
