"""Load: many rooms at once, each running a ritual, with commands arriving at random.

One ``hearth run``, one Mosquitto, Rhasspy's dialogue manager and a hundred text satellites.
Every ritual must finish with every step in order. How late the timers fired is printed — a
figure to report, not an assertion: the benchmarks own timing targets.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import HOST, Figures, HearthProcess, Mosquitto, run_hearth
from test_broker import recognizer

from skill.demo import DialogueManager
from skill.satellite import Satellite

pytestmark = [pytest.mark.broker, pytest.mark.slow]

SITES = int(os.environ.get("HEARTH_LOAD_SITES", "100"))
STEPS = ["Welcome, Alex and Sam.", "Are you ready?", "Good.", "<turn>", "Nearly done.",
         "<turn>", "Nearly done.", "Goodbye, Alex and Sam."]
COMMANDS = ["how much time is left", "say that again", "pause"]
LATE = re.compile(r"timer \S+ late by (-?[0-9.]+) ms")


def in_order(lines: list[str]) -> bool:
    """Every step of the ritual, in order (replies to commands may come in between)."""
    wanted = iter(STEPS)
    want = next(wanted)
    for line in lines:
        kind = "<turn>" if line.endswith(", your turn.") else line
        if kind == want:
            want = next(wanted, None)  # type: ignore[arg-type]
            if want is None:
                return True
    return False


def story(room: Satellite, hearth: HearthProcess) -> str:
    """What a stuck room heard, and the last things Hearth logged about it."""
    mine = [line for line in hearth.text().splitlines() if room.site_id in line]
    return (f"{room.site_id} heard {room.lines()[-6:]}, listening={room.listening}\n  "
            + "\n  ".join(mine[:40]))


@dataclass
class Occupants:
    """What the people in one room do: one random command at a random moment (and
    "resume" a little after a pause), and "yes" each time the question is asked."""

    room: Satellite
    at: float
    command: str
    rng: random.Random
    sent: bool = False
    resume_at: float | None = None
    answered: int = 0

    def act(self, now: float) -> int:
        """Say what is due at ``now`` seconds into the test; how many commands were said."""
        room, said = self.room, 0
        if not self.sent and now >= self.at and room.listening is None:
            self.sent, said = True, said + 1
            room.utter(self.command)
            if self.command == "pause":
                self.resume_at = now + self.rng.uniform(1.0, 3.0)
        if self.resume_at is not None and now >= self.resume_at and room.listening is None:
            self.resume_at, said = None, said + 1
            room.utter("resume")
        asked = room.lines().count("Are you ready?")
        if room.listening is not None and asked > self.answered:
            self.answered = asked
            room.utter("yes")
        return said


def test_many_rooms_at_once(
    broker: Mosquitto, hearth_factory: list[HearthProcess], tmp_path: Path,
    figures: Figures,
) -> None:
    rng = random.Random(100)
    dialogue = DialogueManager(broker.port, session_timeout=15.0).start()
    hearth = run_hearth(hearth_factory, broker.port, tmp_path / "data")
    rooms = [Satellite(HOST, broker.port, f"room-{n:03d}", recognizer()).start()
             for n in range(SITES)]
    started = time.monotonic()
    commands = 0
    try:
        people = [Occupants(room, rng.uniform(0.5, 8.0), rng.choice(COMMANDS), rng)
                  for room in rooms]
        for room in rooms:
            room.utter("start the quick ritual")
        deadline = started + 240
        while not all("Goodbye, Alex and Sam." in room.lines() for room in rooms):
            if time.monotonic() >= deadline:
                stuck = [r for r in rooms if "Goodbye, Alex and Sam." not in r.lines()]
                (tmp_path / "hearth.log").write_text(hearth.text())
                pytest.fail(f"{len(stuck)} rituals did not finish (Hearth's log: "
                            f"{tmp_path / 'hearth.log'}):\n"
                            + "\n".join(story(r, hearth) for r in stuck[:3]))
            now = time.monotonic() - started
            commands += sum(occupants.act(now) for occupants in people)
            time.sleep(0.05)
        finished = time.monotonic() - started
        out_of_order = [room.site_id for room in rooms if not in_order(room.lines())]
        assert out_of_order == []
        assert hearth.process is not None and hearth.process.poll() is None
    finally:
        for room in rooms:
            room.stop()
        dialogue.stop()
    late = sorted(float(ms) for ms in LATE.findall(hearth.text()))
    with figures():
        if late:
            p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
            print(f"\nload: {SITES} sites, {commands} commands, all finished in order in "
                  f"{finished:.0f} s; {len(late)} timers late by p50 "
                  f"{statistics.median(late):.1f} ms, p99 {p99:.1f} ms, max {late[-1]:.1f} ms")
        else:
            print(f"\nload: {SITES} sites, {commands} commands, all finished in order in "
                  f"{finished:.0f} s (no timer lateness in the log)")
