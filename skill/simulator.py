"""``hearth try``: the real engine in a terminal, with time sped up.

Spoken lines are printed with the ritual's clock; typed lines act as the voice commands.
When standard input closes, the ritual carries on by its timers alone (questions go
unanswered), so ``hearth try ID --speed 1000 < /dev/null`` prints a whole ritual.
"""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from typing import TextIO

from skill.driver import Driver
from skill.durations import spoken_duration
from skill.engine import Phase
from skill.events import Answer, Command, Control, NoAnswer, NotUnderstood, OutputDone, Start
from skill.ritual import Ritual, Talk, Who
from skill.timeline import CHIME_SECONDS, speech_seconds

ASK_TIMEOUT = 15.0
"""Seconds a question waits for an answer, in ritual time."""

TYPED_COMMANDS: dict[str, Command] = {
    "pause": Command.PAUSE, "hold on": Command.PAUSE, "wait": Command.PAUSE,
    "resume": Command.RESUME, "continue": Command.RESUME, "go on": Command.RESUME,
    "next": Command.NEXT, "done": Command.NEXT, "i'm done": Command.NEXT,
    "im done": Command.NEXT, "pass": Command.NEXT, "your turn": Command.NEXT,
    "repeat": Command.REPEAT, "again": Command.REPEAT,
    "time left": Command.TIME_LEFT, "time": Command.TIME_LEFT,
    "how much time is left": Command.TIME_LEFT,
    "skip": Command.SKIP,
    "stop": Command.STOP, "quit": Command.STOP,
}


def default_names(ritual: Ritual) -> list[str]:
    pool = ["Alex", "Sam", "Kim", "Noor", "Jo", "Lee", "Max", "Ria", "Tom", "Uma", "Val", "Wil"]
    return pool[: max(2, ritual.participants[0])]


class TerminalOutlet:
    """Prints what the speaker would say and plays the dialogue manager's part."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.driver: Driver | None = None
        self.done = asyncio.Event()
        self.asking: tuple[int, tuple[str, ...]] | None = None

    def _driver(self) -> Driver:
        if self.driver is None:
            raise RuntimeError("TerminalOutlet used before it was attached to a driver")
        return self.driver

    def _print(self, text: str) -> None:
        seconds = int(self._driver().clock())
        print(f"[{seconds // 60:02d}:{seconds % 60:02d}] {text}", file=self.out, flush=True)

    def _later(self, seconds: float, event: OutputDone | NoAnswer) -> None:
        driver = self._driver()
        driver.loop.call_later(driver.clock.real_delay(seconds), driver.feed, event)

    def speak(self, token: int, text: str, awaited: bool) -> None:
        self._print(f"Hearth: {text}")
        if awaited:
            self._later(speech_seconds(text), OutputDone(token))

    def ask(self, token: int, text: str, answers: tuple[str, ...]) -> None:
        self._print(f"Hearth asks: {text}  ({' / '.join(answers)})")
        self.asking = (token, answers)
        self._later(speech_seconds(text) + ASK_TIMEOUT, NoAnswer(token))

    def chime(self, token: int, sound: str) -> None:
        self._print(f"♪ {sound} chime")
        self._later(CHIME_SECONDS, OutputDone(token))

    def close_microphone(self) -> None:
        run = self._driver().run
        step = run.current
        turn, _ = run.time_left()
        length = spoken_duration(turn or 0)
        if isinstance(step, Talk):
            who = {Who.SPEAKER: run.placeholders().get("speaker", "you") + " talks",
                   Who.PARTNER: run.placeholders().get("partner", "you") + " talks",
                   Who.EVERYONE: "you talk"}[step.who]
            self._print(f"({who} for {length}; Hearth is not listening. "
                        "Type 'done' to finish early.)")
        else:
            self._print(f"(quiet for {length})")

    def finished(self, completed: bool) -> None:
        self._print("— the ritual is complete —" if completed else "— the ritual was stopped —")
        self.done.set()

    def typed(self, line: str) -> None:
        """One typed line: a command, an answer, or a hint when it is neither."""
        text = " ".join(line.strip().lower().replace("’", "'").split()).rstrip(".!?")
        if not text:
            return
        driver = self._driver()
        command = TYPED_COMMANDS.get(text)
        asking = self.asking if driver.run.phase is Phase.ASKING else None
        if asking is not None and text in asking[1]:
            driver.feed(Answer(text, asking[0]))
        elif command is not None:
            driver.feed(Control(command))
        elif asking is not None:
            driver.feed(NotUnderstood(asking[0]))
        else:
            print("  (commands: next, pause, resume, repeat, time left, skip, stop)",
                  file=self.out, flush=True)


def _read_lines(loop: asyncio.AbstractEventLoop, source: TextIO,
                outlet: TerminalOutlet) -> None:
    # A daemon thread, because a blocking readline() would otherwise hold up the exit.
    for line in source:
        loop.call_soon_threadsafe(outlet.typed, line)


async def try_ritual(
    ritual: Ritual,
    names: list[str],
    *,
    speed: float = 1.0,
    source: TextIO | None = None,
    out: TextIO | None = None,
    seed: int | None = None,
) -> bool:
    """Run ``ritual`` in the terminal; True when it ran to its end."""
    loop = asyncio.get_running_loop()
    outlet = TerminalOutlet(out or sys.stdout)
    driver = Driver(ritual, names, outlet, loop=loop, speed=speed, rng=random.Random(seed))
    outlet.driver = driver
    print(f"{ritual.title} — with {', '.join(names)} (time ×{speed:g})", file=outlet.out)
    reader = threading.Thread(
        target=_read_lines, args=(loop, source or sys.stdin, outlet), daemon=True
    )
    reader.start()
    driver.feed(Start())
    await outlet.done.wait()
    driver.close()
    return bool(driver.run.completed)
