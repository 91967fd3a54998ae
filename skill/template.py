"""Line templates with ``{placeholders}`` that can only ever be one of a few names.

A template is parsed once, when the ritual loads; rendering joins literal text with the
values of named placeholders. Nothing is ever evaluated: ``{x.__class__}``, ``{x[0]}`` and
``{name!r}`` are load errors, and ``str.format`` never sees ritual text.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDERS = ("names", "speaker", "partner", "prompt", "round")
"""Every placeholder a ritual may use; where each is allowed is the loader's business."""


@dataclass(frozen=True, slots=True)
class Template:
    """Text split into literal parts and placeholder names, in order."""

    parts: tuple[tuple[str, str | None], ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name for _, name in self.parts if name is not None)

    def render(self, values: Mapping[str, str]) -> str:
        return "".join(
            literal + (values.get(name, "") if name is not None else "")
            for literal, name in self.parts
        )

    @property
    def source(self) -> str:
        """The template as it was written (braces escaped again)."""
        return "".join(
            literal.replace("{", "{{").replace("}", "}}") + (f"{{{name}}}" if name else "")
            for literal, name in self.parts
        )

    def __post_init__(self) -> None:
        for _, name in self.parts:
            if name is not None and name not in PLACEHOLDERS:
                raise ValueError(f"placeholder {{{name}}} is not one of {PLACEHOLDERS}")


class TemplateSyntaxError(ValueError):
    """Raised by :func:`parse_template`; the loader turns it into a located error."""

    def __init__(self, offset: int, placeholder: str | None, problem: str) -> None:
        self.offset = offset
        self.placeholder = placeholder
        self.problem = problem
        super().__init__(problem)


def parse_template(text: str) -> Template:
    """Split ``text`` into a :class:`Template`, refusing anything but bare known names.

    >>> parse_template("{speaker}, your turn").render({"speaker": "Alex"})
    'Alex, your turn'
    """
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError as error:
        raise TemplateSyntaxError(
            _unbalanced_offset(text), None,
            f"unbalanced brace ({error}); write {{{{ or }}}} for a literal brace",
        ) from None
    parts: list[tuple[str, str | None]] = []
    for literal, field_name, format_spec, conversion in pieces:
        if field_name is None:
            parts.append((literal, None))
            continue
        written = field_name + (f"!{conversion}" if conversion else "") + (
            f":{format_spec}" if format_spec else ""
        )
        offset = max(text.find("{" + written), 0)
        if conversion or format_spec or not field_name.isidentifier():
            raise TemplateSyntaxError(
                offset,
                written,
                f"placeholder {{{written}}} must be a bare name such as {{speaker}}: "
                "no attributes, indexes, conversions or formats",
            )
        if field_name not in PLACEHOLDERS:
            raise TemplateSyntaxError(offset, field_name, "unknown placeholder")
        parts.append((literal, field_name))
    return Template(tuple(parts))


def _unbalanced_offset(text: str) -> int:
    depth = 0
    for index, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
    return max(text.rfind("{"), 0)
