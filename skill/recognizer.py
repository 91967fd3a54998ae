"""A local intent recogniser compiled from Hearth's sentences with ``rhasspy-nlu``.

:func:`train` compiles :func:`skill.nlu.build_sentences`' output with the library Rhasspy's
own ``fsticuffs`` recogniser uses into a :class:`Recognizer`: for the terminal demo, the
text satellites of the tests, and for writing the graph Rhasspy's ``rhasspy-nlu-hermes``
service loads. Importing this module loads rhasspy-nlu, networkx and NumPy (tens of MB), so
only the commands that understand typed sentences import it.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skill.nlu import SentenceFiles, normalize


def apply_numpy_compat() -> None:
    """Put back the NumPy aliases that networkx 2.4 still uses.

    rhasspy-nlu 0.4 pins networkx 2.4, which refers to ``numpy.float_``, ``numpy.int`` and
    friends at import time; NumPy 2.0 removed them, so ``import rhasspynlu`` fails with
    "np.float_ was removed". The aliases are restored only where they are missing, to the
    types they always meant (``float_`` was ``float64``, ``int`` was the builtin ``int``).
    This must run before anything imports rhasspynlu or networkx.
    """
    try:
        import numpy  # noqa: PLC0415 - optional: without NumPy there is nothing to patch
    except ImportError:  # pragma: no cover - networkx imports NumPy only if present
        return
    aliases: dict[str, object] = {
        "float_": numpy.float64,
        "complex_": numpy.complex128,
        "int": builtins.int,
        "float": builtins.float,
        "complex": builtins.complex,
        "bool": builtins.bool,
        "object": builtins.object,
        "str": builtins.str,
    }
    present = vars(numpy)  # not getattr: NumPy answers removed names with warnings
    for name, value in aliases.items():
        if name not in present:
            setattr(numpy, name, value)


apply_numpy_compat()

from rhasspynlu.fsticuffs import recognize as fst_recognize  # noqa: E402
from rhasspynlu.ini_jsgf import parse_ini  # noqa: E402
from rhasspynlu.jsgf import Sentence  # noqa: E402
from rhasspynlu.jsgf_graph import graph_to_gzip_pickle, intents_to_graph  # noqa: E402


@dataclass(frozen=True)
class Recognition:
    """An intent recognised in some text, with its slots (name → value)."""

    intent: str
    slots: Mapping[str, str]
    text: str
    """The normalised text it was recognised in."""


class Recognizer:
    """Text → intent, over the graph ``rhasspy-nlu`` compiles from the sentences."""

    def __init__(self, graph: Any) -> None:
        self._graph = graph

    @property
    def graph(self) -> Any:
        """The compiled ``networkx`` graph (rhasspy-nlu's intent graph)."""
        return self._graph

    def recognize(self, text: str, intents: Collection[str] | None = None
                  ) -> Recognition | None:
        """The best match for ``text`` (fuzzy, as Rhasspy's recogniser does), or None.

        ``intents`` limits the intents considered, like a dialogue session's filter.
        """
        found = self.candidates(text, intents)
        return found[0] if found else None

    def candidates(self, text: str, intents: Collection[str] | None = None
                   ) -> list[Recognition]:
        """Every equally good match for ``text``; more than one intent means ambiguity."""
        normal = normalize(text)
        if not normal:
            return []
        allowed = None if intents is None else frozenset(intents)
        results = fst_recognize(
            normal,
            self._graph,
            fuzzy=True,
            intent_filter=None if allowed is None else allowed.__contains__,
        )
        found: list[Recognition] = []
        for result in results:
            if result.intent is None or not result.intent.name:
                continue
            slots = {entity.entity: str(entity.value) for entity in result.entities}
            found.append(Recognition(result.intent.name, slots, normal))
        return found

    def write_graph(self, path: Path) -> None:
        """The graph as a gzipped pickle, the form ``rhasspy-nlu-hermes`` loads."""
        with path.open("wb") as out:
            graph_to_gzip_pickle(self._graph, out)


def replacements(files: SentenceFiles) -> dict[str, list[Any]]:
    """The slot lists as rhasspy-nlu wants them: ``$name`` → parsed sentences."""
    return {
        f"${name}": [Sentence.parse(line) for line in lines]
        for name, lines in files.slots.items()
        if lines
    }


def train(files: SentenceFiles) -> Recognizer:
    intents = parse_ini(files.sentences)
    graph = intents_to_graph(intents, replacements=replacements(files))
    return Recognizer(graph)
