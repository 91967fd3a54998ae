"""The author's tools: ``hearth validate``, ``show`` and ``try``, as a hobbyist runs them."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from pathlib import Path

import pytest
from harness import HEADER

from skill.cli import main
from skill.loader import load_library
from skill.paths import shipped_rituals
from skill.simulator import try_ritual

ROOT = Path(__file__).resolve().parent.parent


def hearth(*args: str, stdin: str | None = None,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skill", *args],
        input=stdin if stdin is not None else "",
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False,
    )


def test_validate_the_shipped_rituals() -> None:
    result = hearth("validate", "rituals/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "9 rituals and 5 decks valid"


def test_validate_lists_every_problem_and_fails(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEADER.replace("test-ritual", "a") + "steps:\n  - sya: x\n")
    (tmp_path / "b.yaml").write_text("id: b\n  title: [\n")
    good = HEADER.replace("test-ritual", "c") + "steps:\n  - say: Fine.\n"
    (tmp_path / "c.yaml").write_text(good)
    result = hearth("validate", str(tmp_path))
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert errors[0].startswith(f"{tmp_path / 'a.yaml'}:7:5: unknown key 'sya'")
    assert "did you mean 'say'?" in errors[0]
    assert errors[1].startswith(f"{tmp_path / 'b.yaml'}:2:")
    assert result.stdout.strip() == "1 rituals and 0 decks valid; 2 files with problems"


def test_validate_a_single_file(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(HEADER + "steps:\n  - talk: 2\n")
    assert main(["validate", str(path)]) == 1
    path.write_text(HEADER + "steps:\n  - talk: 2m\n")
    assert main(["validate", str(path)]) == 0


def test_show_prints_the_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "hug-timer"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Hug timer (hug-timer) — physical-affection, 2 people")
    assert "silence" in out and "20s" in out and "estimated total for 2 people:" in out


def test_show_an_unknown_ritual_suggests_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "hug-timr"]) == 2
    assert "no ritual 'hug-timr'. Did you mean 'hug-timer'?" in capsys.readouterr().err


def test_try_runs_a_whole_ritual_with_stdin_closed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "skill", "try", "appreciation-round", "--speed", "1000",
         "--names", "Alex,Sam"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Appreciation round — with Alex, Sam (time ×1000)"
    assert lines[-1].endswith("— the ritual is complete —")
    assert any("Hearth asks: Would you like another round?" in line for line in lines)
    assert any(line.startswith("[") and "Alex" in line for line in lines)


def test_try_obeys_typed_commands() -> None:
    library = load_library(shipped_rituals())
    out = io.StringIO()
    typed = io.StringIO("pause\nresume\ntime left\nstop\n")

    async def scenario() -> bool:
        return await try_ritual(library.get("hug-timer"), ["Alex", "Sam"], speed=1.0,
                                source=typed, out=out, seed=1)

    completed = asyncio.run(asyncio.wait_for(scenario(), timeout=20))
    text = out.getvalue()
    assert completed is False
    assert "Hearth: Paused. Say resume when you're ready." in text
    assert "Hearth: Let's carry on." in text
    assert "left in the ritual." in text
    assert text.rstrip().endswith("— the ritual was stopped —")


def test_try_a_ritual_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(HEADER.replace("test-ritual", "mine") + "steps:\n  - say: Mine.\n")
    result = hearth("try", str(path), "--speed", "1000")
    assert result.returncode == 0, result.stderr
    assert "Hearth: Mine." in result.stdout


def test_try_with_the_wrong_number_of_people() -> None:
    result = hearth("try", "hug-timer", "--names", "A,B,C", "--speed", "1000")
    assert result.returncode == 2
    assert "is for 2 people, not 3" in result.stderr


HEAVY = ("amqtt", "rhasspynlu", "networkx", "numpy", "rhasspydialogue_hermes")
"""What the demo and the recogniser bring along: tens of MB a speaker's `hearth run` spares."""


def test_hearth_run_loads_neither_the_demo_nor_the_recogniser() -> None:
    script = ("import sys\nfrom skill import cli, service\n"
              f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"
    # ... while the demo's own command does load them (the check above can see them).
    script = script.replace("from skill import cli, service", "from skill import demo")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == str(sorted(HEAVY))
