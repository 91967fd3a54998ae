"""The peer's own virtual environment: ``bench/.venv-peer`` (git-ignored by ``.venv*/``).

rhasspy-hermes-app 1.1.2 pins rhasspy-hermes 0.6.1, which pins dataclasses-json 0.4.2, and
that version calls ``json.loads(..., encoding=...)``, an argument Python 3.9 removed: the
peer would fail on its first message. So dataclasses-json 0.5.7 is installed over it, the
same API without that call. pip reports the broken pin; the peer works, and the benchmark
says so next to its figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.common import BENCH

VENV = BENCH / ".venv-peer"
REQUIREMENTS = ("rhasspy-hermes-app==1.1.2",)
FORCED = ("dataclasses-json==0.5.7",)
NOTE = (
    "peer = rhasspy-hermes-app 1.1.2 in bench/.venv-peer with dataclasses-json 0.5.7 forced "
    "over its pinned 0.4.2 (0.4.2 calls json.loads(encoding=...), gone since Python 3.9)"
)
_STAMP = VENV / ".bench-requirements"


def python() -> Path:
    return VENV / "bin" / "python"


def ensure(log: Path) -> Path:
    """The peer's Python, making the environment first if it is missing or stale."""
    wanted = "\n".join((*REQUIREMENTS, "--then--", *FORCED, sys.version.split()[0])) + "\n"
    if _STAMP.exists() and _STAMP.read_text() == wanted and _works():
        return python()
    print(f"bench: making {VENV.relative_to(BENCH.parent)} (rhasspy-hermes-app 1.1.2, "
          "dataclasses-json 0.5.7 forced) ...", file=sys.stderr, flush=True)
    with log.open("w") as out:
        def run(*args: str) -> None:
            subprocess.run(args, check=True, stdout=out, stderr=subprocess.STDOUT, timeout=600)

        run(sys.executable, "-m", "venv", "--clear", str(VENV))
        pip = (str(python()), "-m", "pip", "--disable-pip-version-check", "install", "-q")
        run(*pip, *REQUIREMENTS)
        # Over the pin on purpose: pip prints the conflict, which is expected here.
        run(*pip, *FORCED)
    if not _works():
        raise RuntimeError(f"the peer's environment does not import; see {log}")
    _STAMP.write_text(wanted)
    return python()


def _works() -> bool:
    try:
        done = subprocess.run(
            [str(python()), "-c", "import rhasspyhermes_app, dataclasses_json.api"],
            capture_output=True, timeout=60, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def versions() -> dict[str, str]:
    code = ("import importlib.metadata as m, json; print(json.dumps({n: m.version(n) for n in "
            "('rhasspy-hermes-app', 'rhasspy-hermes', 'dataclasses-json', 'paho-mqtt')}))")
    done = subprocess.run([str(python()), "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode != 0:
        return {}
    result: dict[str, str] = json.loads(done.stdout)
    return result


def skill_script() -> Path:
    return Path(__file__).resolve().parent / "peer_skill.py"
