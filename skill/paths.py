"""Where Hearth finds its shipped rituals and intents."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    # A wheel carries the folders inside the package; a source checkout (or an editable
    # install) has them beside it.
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


def shipped_rituals() -> Path:
    return _shipped("rituals")


def shipped_intents() -> Path:
    return _shipped("intents")
