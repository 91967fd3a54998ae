"""``hearth demo``, as a newcomer runs it: typed sentences in, spoken lines out."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.broker  # a broker of its own (amqtt), on loopback


def demo(*lines: str, pause: float = 0.0, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the demo, typing ``lines`` (with ``pause`` seconds between them)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "skill", "demo", "--names", "Alex,Sam", "--speed", "20"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT,
    )
    assert process.stdin is not None and process.stdout is not None
    banner = process.stdout.readline()
    assert banner.startswith("Hearth demo: broker on 127.0.0.1:"), banner
    for line in lines:
        process.stdin.write(line + "\n")
        process.stdin.flush()
        time.sleep(pause)
    process.stdin.close()
    assert process.stderr is not None
    out = process.stdout.read()  # the demo logs only warnings: stderr stays small
    err = process.stderr.read()
    process.wait(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, banner + out, err)


def test_the_demo_runs_a_ritual_from_typed_sentences() -> None:
    result = demo("which rituals are there", "start the hug timer")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hearth: I know these rituals: Appreciation round," in out
    assert out.count("♪ (chime)") == 2  # the hug, between two chimes
    assert "Traceback" not in result.stderr


def test_the_demo_obeys_pause_and_resume() -> None:
    result = demo("start the hug timer", "pause", "resume", pause=0.4)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hearth: Paused. Say resume when you're ready." in out
    assert "Hearth: Let's carry on." in out
    assert out.count("♪ (chime)") == 2


def test_the_demo_with_nothing_typed_starts_and_stops_cleanly() -> None:
    result = demo()
    assert result.returncode == 0, result.stderr
    assert "Ctrl-D quits." in result.stdout
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr
