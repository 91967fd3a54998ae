"""Loading: ritual files validated per second, libyaml's parser against PyYAML's own.

1,000 rituals are written into a temporary folder: the shipped rituals, each copied with
a new id and new trigger phrases, plus the shipped decks they draw from. Then the folder is
loaded as ``hearth run`` and ``hearth validate`` load it (``load_library``), once with the
parser skill/yamlnodes.py picks (``CSafeLoader`` when PyYAML has libyaml) and once with the
pure-Python ``SafeLoader`` in its place.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import yaml

from skill import yamlnodes
from skill.loader import load_library
from skill.paths import shipped_rituals

_ID = re.compile(r"^id: (\S+)$", re.MULTILINE)
_TRIGGERS = re.compile(r"^triggers:\n((?:  - .+\n)+)", re.MULTILINE)


def _word(n: int) -> str:
    """A made-up word per number (trigger phrases are words, not digits): 0 → "ka"."""
    syllables = ("ka", "lo", "mi", "nu", "pe", "ro", "si", "tu", "va", "zo")
    return "".join(syllables[int(digit)] for digit in str(n))


def generate(folder: Path, count: int) -> Path:
    """``count`` valid ritual files (and the decks they use) in ``folder``."""
    source = shipped_rituals()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "decks", folder / "decks", dirs_exist_ok=True)
    templates = [path.read_text() for path in sorted(source.glob("*.yaml"))]
    for n in range(count):
        text = templates[n % len(templates)]
        original = _ID.search(text)
        assert original is not None
        new_id = f"{original.group(1)}-{n}"
        text = _ID.sub(f"id: {new_id}", text, count=1)
        text = _TRIGGERS.sub(lambda m, n=n: "triggers:\n" + "".join(
            f"{line} {_word(n)}\n" for line in m.group(1).splitlines()), text, count=1)
        (folder / f"{new_id}.yaml").write_text(text)
    return folder


def timed_load(folder: Path, loader: type) -> tuple[float, int, int]:
    """(seconds, rituals loaded, files with problems) with ``loader`` as the YAML parser."""
    saved = yamlnodes._Loader
    yamlnodes._Loader = loader
    try:
        start = time.perf_counter()
        library = load_library(folder)
        seconds = time.perf_counter() - start
    finally:
        yamlnodes._Loader = saved
    return seconds, len(library.rituals), len(library.problems)


def measure(work: Path, count: int, repeats: int = 3) -> dict[str, object]:
    folder = generate(work / "rituals", count)
    files = len(list(folder.glob("*.yaml")))
    c_loader = getattr(yaml, "CSafeLoader", None)
    results: dict[str, object] = {"files": files, "libyaml": c_loader is not None,
                                  "default_loader": yamlnodes._Loader.__name__}
    for name, loader in (("CSafeLoader", c_loader), ("SafeLoader", yaml.SafeLoader)):
        if loader is None:
            results[name] = None
            continue
        runs = [timed_load(folder, loader) for _ in range(repeats)]
        best = min(seconds for seconds, _, _ in runs)
        results[name] = {
            "seconds": [round(seconds, 4) for seconds, _, _ in runs],
            "best_seconds": best,
            "files_per_second": files / best,
            "rituals_loaded": runs[0][1],
            "files_with_problems": runs[0][2],
        }
    return results
