"""The ritual engine: a deterministic interpreter with no I/O.

A :class:`Run` is one ritual being done by some people at one place. Feed it events with
:meth:`Run.handle`; it returns the effects to carry out. It reads time only from the clock
it was handed and randomness only from the ``random.Random`` it was handed, so the same
events on the same clock always give the same effects::

    >>> from skill.loader import ritual_from_yaml
    >>> from skill.events import Start, OutputDone
    >>> ritual = ritual_from_yaml('''
    ... id: tiny
    ... title: Tiny
    ... description: A line and a hug.
    ... practice: physical-affection
    ... triggers: [tiny hug]
    ... steps:
    ...   - say: Hug now, {names}.
    ...   - silence: 20s
    ... ''')
    >>> run = Run(ritual, ["Alex", "Sam"], clock=lambda: 0.0)
    >>> run.handle(Start())
    [Speak(token=1, text='Hug now, Alex and Sam.', awaited=True)]
    >>> run.handle(OutputDone(1))
    [CloseMicrophone(), StartTimer(name='step-1', seconds=20.0)]

The shell starts the timer, and when it fires hands back ``TimerFired('step-1')``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from skill.decks import DeckHistory, MemoryDeckHistory, draw
from skill.durations import spoken_duration
from skill.effects import (
    AskQuestion,
    CancelTimer,
    CloseMicrophone,
    Effect,
    Finished,
    PlayChime,
    Speak,
    StartTimer,
)
from skill.errors import HearthError
from skill.events import (
    Answer,
    Command,
    Control,
    Event,
    NoAnswer,
    NotUnderstood,
    OutputDone,
    Start,
    TimerFired,
)
from skill.phrases import ENGLISH, Phrases, join_names
from skill.ritual import Ask, Chime, End, Ritual, Rounds, Say, Silence, Step, Talk, Text, Turns
from skill.timeline import ANSWER_SECONDS, block_seconds, step_seconds

Clock = Callable[[], float]
"""Seconds on a monotonic scale; only differences matter."""


class ParticipantsError(HearthError):
    """The number of people does not suit the ritual."""

    def __init__(self, ritual_id: str, count: int, allowed: tuple[int, int]) -> None:
        self.ritual_id = ritual_id
        self.count = count
        self.allowed = allowed
        low, high = allowed
        span = str(low) if low == high else f"{low} to {high}"
        super().__init__(f"ritual {ritual_id!r} is for {span} people, not {count}")


class Phase(StrEnum):
    READY = "ready"
    SPEAKING = "speaking"
    ASKING = "asking"
    TIMING = "timing"
    FINISHED = "finished"


class _Group(StrEnum):
    BLOCK = "block"
    TURNS = "turns"
    ROUNDS = "rounds"


@dataclass
class Frame:
    """A block of steps being worked through; ``index`` is the step now running."""

    steps: tuple[Step, ...]
    group: _Group = _Group.BLOCK
    index: int = 0
    iteration: int = 0
    iterations: int = 1
    branch: str | None = None
    """For the steps of a question's answer: which answer ("" for the no-answer steps)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a run stands, as plain data: enough to go on after a restart, and no words.

    ``frames`` holds (index, iteration, branch) from the outermost block inwards; the
    step at the innermost index is started again from its beginning.
    """

    first: int
    frames: tuple[tuple[int, int, str | None], ...]

    def to_json(self) -> str:
        return json.dumps({"first": self.first, "frames": [list(f) for f in self.frames]})

    @classmethod
    def from_json(cls, text: str) -> Position:
        try:
            data = json.loads(text)
            frames = tuple((int(i), int(k), None if b is None else str(b))
                           for i, k, b in data["frames"])
            return cls(int(data["first"]), frames)
        except (ValueError, TypeError, KeyError) as error:
            raise PositionError(f"not a saved position: {error}") from None


class PositionError(HearthError):
    """A saved position that does not fit the ritual (it was edited since, say)."""


@dataclass
class _Timer:
    name: str
    deadline: float
    remaining: float = 0.0
    """Set while paused: what was left when the pause began."""


class Run:
    """One ritual run at one site. Not thread-safe; a shell drives it from one loop."""

    def __init__(
        self,
        ritual: Ritual,
        names: Sequence[str],
        *,
        clock: Clock,
        rng: random.Random | None = None,
        history: DeckHistory | None = None,
        phrases: Phrases = ENGLISH,
    ) -> None:
        low, high = ritual.participants
        if not low <= len(names) <= high:
            raise ParticipantsError(ritual.id, len(names), ritual.participants)
        self.ritual = ritual
        self.names = tuple(names)
        self._clock = clock
        self._rng = rng or random.Random()
        self._history = history or MemoryDeckHistory()
        self._phrases = phrases
        self._first = self._rng.randrange(len(self.names))
        self._frames: list[Frame] = [Frame(ritual.steps)]
        self.phase = Phase.READY
        self.paused = False
        self._token = 0
        self._awaiting: int | None = None
        self._done_while_paused = False
        self._reasked = False
        self._generation = 0
        self._timers: dict[str, _Timer] = {}
        self._step_timer: str | None = None
        self._prompt = ""
        self._last_line: str | None = None
        self.completed: bool | None = None

    # -- reading the state -----------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.phase is Phase.FINISHED

    @property
    def current(self) -> Step | None:
        if self.finished or not self._frames:
            return None
        frame = self._frames[-1]
        return frame.steps[frame.index] if frame.index < len(frame.steps) else None

    def time_left(self) -> tuple[float | None, float]:
        """Seconds left of the timed step now running (if one is) and of the whole ritual."""
        people = len(self.names)
        turn: float | None = None
        step = self.current
        if self._step_timer is not None:
            turn = self._remaining(self._timers[self._step_timer])
            here = turn
        elif isinstance(step, Ask):
            here = ANSWER_SECONDS
        elif step is not None:
            here = step_seconds(step, people)
        else:
            here = 0.0
        rest = 0.0
        for frame in self._frames:
            rest += block_seconds(frame.steps[frame.index + 1 :], people)
            rest += (frame.iterations - frame.iteration - 1) * block_seconds(frame.steps, people)
        return turn, here + rest

    def _remaining(self, timer: _Timer) -> float:
        return timer.remaining if self.paused else max(0.0, timer.deadline - self._clock())

    def placeholders(self) -> dict[str, str]:
        """What ``{names}``, ``{speaker}``, ``{partner}``, ``{round}``, ``{prompt}`` say now."""
        values = {"names": join_names(self.names), "prompt": self._prompt}
        for frame in reversed(self._frames):
            if frame.group is _Group.TURNS and "speaker" not in values:
                count = len(self.names)
                who = (self._first + frame.iteration) % count
                values["speaker"] = self.names[who]
                values["partner"] = self.names[(who + 1) % count]
                values.setdefault("round", str(frame.iteration // count + 1))
            elif frame.group is _Group.ROUNDS:
                values.setdefault("round", str(frame.iteration + 1))
        return values

    # -- events ----------------------------------------------------------------------

    def handle(self, event: Event) -> list[Effect]:
        """Apply one event; return what to do, in order."""
        effects: list[Effect] = []
        if self.finished:
            return effects
        match event:
            case Start(at=at):
                if self.phase is Phase.READY:
                    if at is not None:
                        self._restore(at)
                    self._enter(effects)
            case OutputDone(token=token):
                self._on_output_done(token, effects)
            case Answer(value=value, token=token):
                if self._asking(token) and not self.paused:
                    self._on_answer(value.strip().lower(), effects)
            case NotUnderstood(token=token):
                if self._asking(token) and not self.paused:
                    self._on_not_understood(effects)
            case NoAnswer(token=token):
                if self._asking(token) and not self.paused:
                    self._on_no_answer(effects)
            case TimerFired(name=name):
                self._on_timer(name, effects)
            case Control(command=command):
                self._COMMANDS[command](self, effects)
        return effects

    def _asking(self, token: int | None) -> bool:
        return self.phase is Phase.ASKING and (token is None or token == self._awaiting)

    def _on_output_done(self, token: int, effects: list[Effect]) -> None:
        if self.phase is not Phase.SPEAKING or token != self._awaiting:
            return
        if self.paused:
            self._done_while_paused = True
            return
        self._advance(effects)

    def _on_answer(self, value: str, effects: list[Effect]) -> None:
        step = self.current
        if not isinstance(step, Ask):
            return
        if value not in step.answer_names:
            self._on_not_understood(effects)
            return
        self._branch(step.steps_for(value), value, effects)

    def _on_not_understood(self, effects: list[Effect]) -> None:
        step = self.current
        if not isinstance(step, Ask):
            return
        if self._reasked:
            self._on_no_answer(effects)
            return
        self._reasked = True
        if step.reask is not None:
            text = self._render(step.reask)
        else:
            question = self._last_line or self._render(step.question)
            text = self._phrases.reask.format(question=question)
        self._ask(text, step, effects)

    def _on_no_answer(self, effects: list[Effect]) -> None:
        step = self.current
        if not isinstance(step, Ask):
            return
        if isinstance(step.no_answer, str):
            self._branch(step.steps_for(step.no_answer), step.no_answer, effects)
        else:
            self._branch(step.no_answer, "", effects)

    def _branch(self, steps: tuple[Step, ...], branch: str, effects: list[Effect]) -> None:
        self._awaiting = None
        if steps:
            self._frames.append(Frame(steps, branch=branch))
            self._enter(effects)
        else:
            self._advance(effects)

    def _on_timer(self, name: str, effects: list[Effect]) -> None:
        if name not in self._timers or self.paused:
            return
        del self._timers[name]
        if name == self._step_timer:
            self._step_timer = None
            self._advance(effects)
            return
        step = self.current
        if isinstance(step, Talk) and step.warn is not None:
            if step.warning is not None:
                text = self._render(step.warning)
            else:
                text = self._phrases.warning.format(time=spoken_duration(step.warn))
                text = text[0].upper() + text[1:]
            effects.append(Speak(self._next_token(), text, awaited=False))

    # -- commands --------------------------------------------------------------------

    def _pause(self, effects: list[Effect]) -> None:
        if self.phase is Phase.READY:
            return
        if self.paused:
            self._aside(self._phrases.already_paused, effects)
            return
        self.paused = True
        now = self._clock()
        for timer in self._timers.values():
            timer.remaining = max(0.0, timer.deadline - now)
            effects.append(CancelTimer(timer.name))
        self._aside(self._phrases.paused, effects)

    def _resume(self, effects: list[Effect]) -> None:
        if not self.paused:
            self._aside(self._phrases.not_paused, effects)
            return
        self._aside(self._phrases.resumed, effects)
        self._unpause(effects)

    def _unpause(self, effects: list[Effect]) -> None:
        """Carry on from where the pause left off: timers, a finished line, a question."""
        self.paused = False
        now = self._clock()
        # New names, so that a firing of an old timer that raced the pause is ignored.
        self._generation += 1
        renamed: dict[str, _Timer] = {}
        for timer in self._timers.values():
            kind = timer.name.split("-", 1)[0]
            name = f"{kind}-{self._generation}"
            renamed[name] = _Timer(name, now + timer.remaining)
            if timer.name == self._step_timer:
                self._step_timer = name
            effects.append(StartTimer(name, timer.remaining))
        self._timers = renamed
        if self.phase is Phase.SPEAKING and self._done_while_paused:
            self._advance(effects)
        elif self.phase is Phase.ASKING:
            step = self.current
            if isinstance(step, Ask):
                self._ask(self._render(step.question), step, effects)

    def _next(self, effects: list[Effect]) -> None:
        self._move_on(effects, answer_nothing=False)

    def _skip(self, effects: list[Effect]) -> None:
        self._move_on(effects, answer_nothing=True)

    def _move_on(self, effects: list[Effect], *, answer_nothing: bool) -> None:
        if self.phase is Phase.READY:
            return
        if self.paused:
            self._cancel_timers(effects)
            self.paused = False
        if self.phase is Phase.ASKING and not answer_nothing:
            self._on_no_answer(effects)
            return
        self._cancel_timers(effects)
        self._advance(effects)

    def _repeat(self, effects: list[Effect]) -> None:
        if self._last_line is None:
            self._aside(self._phrases.nothing_to_repeat, effects)
            return
        step = self.current
        if self.paused or self.phase is Phase.TIMING:
            self._aside(self._last_line, effects)
        elif self.phase is Phase.ASKING and isinstance(step, Ask):
            self._ask(self._last_line, step, effects)
        elif self.phase is Phase.SPEAKING and isinstance(step, Say):
            self._speak(self._last_line, effects)
        else:
            self._aside(self._last_line, effects)

    def _time_left(self, effects: list[Effect]) -> None:
        turn, ritual = self.time_left()
        if turn is not None:
            text = self._phrases.time_left_turn.format(
                turn=spoken_duration(turn), ritual=spoken_duration(ritual)
            )
        else:
            text = self._phrases.time_left_ritual.format(ritual=spoken_duration(ritual))
        self._aside(text, effects)

    def _stop(self, effects: list[Effect]) -> None:
        self._cancel_timers(effects)
        self._aside(self._phrases.stopped, effects)
        self._finish(False, effects)

    _COMMANDS: ClassVar[dict[Command, Callable[[Run, list[Effect]], None]]] = {
        Command.PAUSE: _pause,
        Command.RESUME: _resume,
        Command.NEXT: _next,
        Command.SKIP: _skip,
        Command.REPEAT: _repeat,
        Command.TIME_LEFT: _time_left,
        Command.STOP: _stop,
    }

    # -- where it stands -------------------------------------------------------------

    def position(self) -> Position:
        return Position(self._first, tuple((f.index, f.iteration, f.branch)
                                           for f in self._frames))

    def _restore(self, position: Position) -> None:
        """Stand where ``position`` says; raises :class:`PositionError` if it cannot be."""
        if not 0 <= position.first < len(self.names) or not position.frames:
            raise PositionError("the saved position does not fit these people")
        frames: list[Frame] = []
        for index, iteration, branch in position.frames:
            frame = (self._child(frames[-1].steps[frames[-1].index], branch) if frames
                     else Frame(self.ritual.steps))
            if not (0 <= index < len(frame.steps) and 0 <= iteration < frame.iterations):
                raise PositionError("the saved position does not fit the ritual")
            frame.index, frame.iteration = index, iteration
            frames.append(frame)
        self._first = position.first
        self._frames = frames

    def _child(self, step: Step, branch: str | None) -> Frame:
        match step:
            case Turns(steps=steps, rounds=rounds):
                return Frame(steps, _Group.TURNS, iterations=rounds * len(self.names))
            case Rounds(count=count, steps=steps):
                return Frame(steps, _Group.ROUNDS, iterations=count)
            case Ask(no_answer=no_answer) if branch == "" and not isinstance(no_answer, str):
                if no_answer:
                    return Frame(no_answer, branch="")
            case Ask(answers=answers) if branch:
                for name, steps in answers:
                    if name == branch and steps:
                        return Frame(steps, branch=branch)
        raise PositionError("the saved position does not fit the ritual")

    # -- moving through the steps ----------------------------------------------------

    def _advance(self, effects: list[Effect]) -> None:
        """The current step is over: go to the one after it."""
        self._awaiting = None
        self._done_while_paused = False
        self._frames[-1].index += 1
        self._enter(effects)

    def _enter(self, effects: list[Effect]) -> None:
        """Start the step at the cursor, unfolding groups and closing finished blocks."""
        while True:
            if not self._frames:
                self._finish(True, effects)
                return
            frame = self._frames[-1]
            if frame.index >= len(frame.steps):
                if frame.iteration + 1 < frame.iterations:
                    frame.iteration += 1
                    frame.index = 0
                    continue
                self._frames.pop()
                if self._frames:
                    self._frames[-1].index += 1
                continue
            step = frame.steps[frame.index]
            match step:
                case Turns(steps=steps, rounds=rounds):
                    self._frames.append(
                        Frame(steps, _Group.TURNS, iterations=rounds * len(self.names))
                    )
                    continue
                case Rounds(count=count, steps=steps):
                    self._frames.append(Frame(steps, _Group.ROUNDS, iterations=count))
                    continue
                case End():
                    self._finish(True, effects)
                case Say(text=text, deck=deck):
                    if deck is not None:
                        self._prompt = draw(self.ritual.deck(deck), self._history, self._rng)
                    self._last_line = self._render(text)
                    self._speak(self._last_line, effects)
                case Chime(sound=sound):
                    self.phase = Phase.SPEAKING
                    self._awaiting = self._next_token()
                    effects.append(PlayChime(self._awaiting, sound))
                case Ask(question=question):
                    self._reasked = False
                    self._ask(self._render(question), step, effects)
                case Talk(seconds=seconds, warn=warn):
                    self._start_timed(seconds, warn, effects)
                case Silence(seconds=seconds):
                    self._start_timed(seconds, None, effects)
            return

    def _start_timed(self, seconds: float, warn: float | None, effects: list[Effect]) -> None:
        self.phase = Phase.TIMING
        self._generation += 1
        effects.append(CloseMicrophone())
        now = self._clock()
        name = f"step-{self._generation}"
        self._timers[name] = _Timer(name, now + seconds)
        self._step_timer = name
        effects.append(StartTimer(name, seconds))
        if warn is not None:
            warn_name = f"warn-{self._generation}"
            self._timers[warn_name] = _Timer(warn_name, now + seconds - warn)
            effects.append(StartTimer(warn_name, seconds - warn))

    def _cancel_timers(self, effects: list[Effect]) -> None:
        if not self.paused:
            effects.extend(CancelTimer(name) for name in self._timers)
        self._timers.clear()
        self._step_timer = None

    def _finish(self, completed: bool, effects: list[Effect]) -> None:
        self.phase = Phase.FINISHED
        self.completed = completed
        self._awaiting = None
        effects.append(Finished(completed))

    # -- output ----------------------------------------------------------------------

    def _next_token(self) -> int:
        self._token += 1
        return self._token

    def _render(self, text: Text) -> str:
        variant = text.variants[0] if len(text.variants) == 1 else self._rng.choice(text.variants)
        return " ".join(variant.render(self.placeholders()).split())

    def _speak(self, text: str, effects: list[Effect]) -> None:
        self.phase = Phase.SPEAKING
        self._awaiting = self._next_token()
        effects.append(Speak(self._awaiting, text))

    def _ask(self, text: str, step: Ask, effects: list[Effect]) -> None:
        self.phase = Phase.ASKING
        self._last_line = text if not self._reasked else self._last_line
        self._awaiting = self._next_token()
        effects.append(AskQuestion(self._awaiting, text, step.answer_names))

    def _aside(self, text: str, effects: list[Effect]) -> None:
        effects.append(Speak(self._next_token(), text, awaited=False))
