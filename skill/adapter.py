"""The Hermes adapter: MQTT messages ↔ engine events and effects, one ritual run per site.

Only this module knows the dialogue manager's habits (Rhasspy 2.5's, checked against its
source):

* A line is spoken in a *notification* session; its ``sessionEnded`` means it was said.
  The dialogue manager does not queue notifications, and a notification that arrives while
  another session is open on the site is spoken *inside* that session and ends it. So each
  site sends one output at a time, waits for it to finish, and holds back while someone
  else's session (a wake word) is open.
* It waits at most max(10 s, characters / 33) for ``sayFinished``, then ends the session
  anyway: long lines are cut into short ones that always fit, and if no ``sessionEnded``
  comes at all, the line counts as spoken after that same time (with a warning).
* A question is an *action* session with an ``intentFilter`` and ``customData`` naming its
  engine token; "not recognised" comes back to us (``sendIntentNotRecognized``), a timeout
  is "no answer", and an intent inside the session must be answered by ending it.
* Control intents usually arrive in a fresh wake-word session; the skill acts and ends that
  session silently, so nothing keeps listening while the couple talk to each other.

The adapter never touches the network itself: it is handed a :class:`Transport`, so the
tests drive it with an in-process fake and ``hearth run`` with paho-mqtt.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from rhasspyhermes.dialogue import (
    DialogueIntentNotRecognized,
    DialogueSessionEnded,
    DialogueSessionStarted,
)
from rhasspyhermes.dialogue import DialogueSessionTerminationReason as Reason
from rhasspyhermes.nlu import NluIntent
from rhasspyhermes.tts import TtsSayFinished

from skill import hermes
from skill.chimes import chime_seconds, chime_wav
from skill.decks import DeckHistory, MemoryDeckHistory
from skill.driver import Driver
from skill.engine import ParticipantsError, Phase, Position, PositionError
from skill.events import Answer, Command, Control, Event, NoAnswer, NotUnderstood, OutputDone, Start
from skill.household import Due, Household, Interrupted, NoHousehold
from skill.intents import (
    ANSWER_INTENTS,
    ANSWER_SLOT,
    CONTROL_INTENTS,
    DAY_SLOT,
    DAYS_SLOT,
    HOUR_SLOT,
    MINUTE_SLOT,
    MINUTES_SLOT,
    PERIOD_SLOT,
    RITUAL_SLOT,
    UNTIL_SLOT,
    Intent,
)
from skill.invitation import DEFAULT_RETRY, RESUME_LINES, Invitation, Outcome
from skill.loader import Library
from skill.phrases import join_names
from skill.ritual import Ritual

log = logging.getLogger("hearth.adapter")
_R = TypeVar("_R")

MAX_CHUNK = 120
"""Characters per notification: at a slow 12 characters a second that is 10 s of speech,
inside the dialogue manager's shortest wait for ``sayFinished``."""
SAY_SLACK = 2.0
ASK_FALLBACK = 45.0
"""Seconds after which a question that never came back counts as unanswered (the dialogue
manager's own session timeout is 30 s)."""
FOREIGN_WAIT = 35.0
"""How long output waits for someone else's session on the site to close."""
MAX_SITES = 500
MAX_FOREIGN = 16
"""Other sessions tracked per site; a room has one or two at a time."""
MAX_QUEUED = 30
"""Outputs waiting per site before further replies are dropped."""
ABORT_HOLD = 1.5
"""Seconds to hold output after our session was aborted (the new one opens just after)."""


class Transport(Protocol):
    def publish(self, message: hermes.Outgoing) -> None: ...


@dataclass(frozen=True, slots=True)
class Lines:
    """What the adapter itself says (outside the engine's own phrases)."""

    no_ritual: str = (
        "There's no ritual running right now. You can say, start the appreciation round."
    )
    no_question: str = "There's no question open right now."
    unknown_ritual: str = "I don't know that ritual. Ask me which rituals there are."
    busy: str = "We're in the middle of {title}. Say stop first if you'd like to change."
    rituals: str = "I know these rituals: {titles}."
    no_rituals: str = "I don't have any rituals yet."
    wrong_count: str = "{title} is for {span} people, and I know {count} names here."
    when: str = "When should it be? For example: every Sunday at eight in the evening."
    nothing_to_snooze: str = "There's nothing to put off right now."
    snooze_range: str = "I can put it off by a minute up to a day, so let's say ten minutes."


def split_for_speech(text: str, limit: int = MAX_CHUNK) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at sentence ends if possible.

    >>> split_for_speech("One. Two.", limit=5)
    ['One.', 'Two.']
    """
    if len(text) <= limit:
        return [text]
    return _pack(re.split(r"(?<=[.!?;:,])\s+", text), limit)


def _pack(units: Sequence[str], limit: int) -> list[str]:
    """Join units greedily into pieces of at most ``limit``; cut units that are too long."""
    pieces: list[str] = []
    current = ""
    for unit in units:
        parts = [unit] if len(unit) <= limit else _pack(_hard_words(unit, limit), limit)
        for part in parts:
            joined = f"{current} {part}".strip()
            if len(joined) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return [piece for piece in pieces if piece]


def _hard_words(unit: str, limit: int) -> list[str]:
    return [word[i : i + limit] for word in unit.split() for i in range(0, len(word), limit)]


@dataclass
class _Output:
    """One thing to say, ask or play, waiting its turn or in flight."""

    kind: str  # "say" | "ask" | "chime"
    text: str
    token: int | None
    """The engine token to report when done; None for asides and all but a line's last piece."""
    answers: tuple[str, ...] = ()
    custom: str | None = None
    """The ``customData`` a question was sent with: how its session is recognised, even after
    a newer question superseded it."""
    session: str | None = None
    request: str | None = None
    reask: bool = False
    """Ask again once this question's session is over (a command interrupted it)."""
    played: bool = False
    """The text-to-speech service said it played this line (``sayFinished``)."""


@dataclass
class Site:
    """One room: its ritual run, its output queue and the sessions open there."""

    site_id: str
    adapter: Adapter
    driver: Driver | None = None
    outbox: deque[_Output] = field(default_factory=deque)
    current: _Output | None = None
    fallback: asyncio.TimerHandle | None = None
    foreign: dict[str, None] = field(default_factory=dict)
    """Other sessions open here (wake words), oldest first."""
    foreign_since: float | None = None
    reask_after_foreign: bool = False
    retry: asyncio.TimerHandle | None = None
    unheard: int = 0
    """Lines in a row that the dialogue manager gave up on, with no ``sayFinished``."""
    reports_played: bool = False
    """This site's speech reports ``sayFinished`` with a session; only then can silence
    from it mean the satellite is gone."""
    hold_until: float = 0.0
    """After Rhasspy aborts our session it opens the new one a moment later; wait for it."""
    invitation: Invitation | None = None
    waiting: deque[tuple[Due, float]] = field(default_factory=deque)
    """Scheduled rituals that came due while this site was busy, with when they did."""
    run_id: int | None = None
    saved_position: str = ""

    # -- the engine's outlet ------------------------------------------------------------

    def speak(self, token: int, text: str, awaited: bool) -> None:
        log.info("site %s says: %s", self.site_id, text)
        pieces = split_for_speech(text)
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            self.outbox.append(_Output("say", piece, token if awaited and last else None))
        self.pump()

    def ask(self, token: int, text: str, answers: tuple[str, ...]) -> None:
        log.info("site %s asks: %s", self.site_id, text)
        current = self.current
        if current is not None and current.kind == "ask" and current.token is not None:
            if current.session is not None:
                # Asking again in the session that is still open (after "not recognised").
                current.token, current.answers, current.text = token, answers, text
                current.custom = _custom(token)
                self.adapter.publish(hermes.ask_again(
                    current.session, text, self._filter(answers), current.custom
                ))
                self._arm(ASK_FALLBACK, current)
                return
            # Sent, but the dialogue manager has not opened it yet (a wake word got there
            # first). It can't be taken back: when it opens it is ended, and this one follows.
            current.token = None
        # Only the newest question is worth asking; older ones still queued are dropped.
        self.outbox = deque(out for out in self.outbox if out.kind != "ask")
        self.outbox.append(_Output("ask", text, token, answers))
        self.pump()

    def chime(self, token: int, sound: str) -> None:
        self.outbox.append(_Output("chime", sound, token))
        self.pump()

    def close_microphone(self) -> None:
        self._end_our_question()

    def finished(self, completed: bool) -> None:
        if self.driver is not None:
            state = "finished" if completed else "was stopped"
            log.info("site %s: ritual %s %s", self.site_id, self.driver.run.ritual.id, state)
        self.driver = None
        if self.run_id is not None:
            self.adapter.record(self.adapter.household.run_ended, self.run_id, completed)
            self.run_id = None
        # What the run had queued is moot now; asides (its goodbye) are still said.
        self.outbox = deque(out for out in self.outbox if out.token is None)
        self._end_our_question()
        self.adapter.loop.call_soon(self.adapter.offer_waiting, self)

    # -- feeding the engine -------------------------------------------------------------

    def feed(self, event: Event) -> None:
        if self.invitation is not None:
            self.invitation.feed(event)
        elif self.driver is not None:
            self.driver.feed(event)
            self._save_position()
        self._end_our_question_if_answered()

    def _save_position(self) -> None:
        """Keep where the run stands, so a crash can be followed by "shall we go on?"."""
        if self.driver is None or self.run_id is None:
            return
        position = self.driver.run.position().to_json()
        if position != self.saved_position:
            self.saved_position = position
            self.adapter.record(self.adapter.household.save_position, self.run_id, position,
                                self.driver.run.names)

    @property
    def paused(self) -> bool:
        return self.driver is not None and self.driver.run.paused

    @property
    def busy(self) -> bool:
        return self.driver is not None or self.invitation is not None

    @property
    def asking(self) -> bool:
        if self.invitation is not None:
            return self.invitation.asking
        return self.driver is not None and self.driver.run.phase is Phase.ASKING

    def aside(self, text: str) -> None:
        if len(self.outbox) >= MAX_QUEUED:
            # Replies nobody is waiting for (a flood of commands) are not queued for ever.
            log.warning("site %s: too many replies waiting; this one is dropped", self.site_id)
            return
        self.speak(0, text, awaited=False)

    # -- the output queue ---------------------------------------------------------------

    def pump(self) -> None:
        if self.current is not None or not self.outbox or not self.adapter.connected:
            return
        loop = self.adapter.loop
        if loop.time() < self.hold_until:
            if self.retry is None:
                self.retry = loop.call_later(self.hold_until - loop.time(), self._retry)
            return
        if self.foreign:
            # Someone's wake-word session is open: a notification now would end it.
            now = loop.time()
            self.foreign_since = self.foreign_since or now
            if now - self.foreign_since < FOREIGN_WAIT:
                if self.retry is None:
                    self.retry = loop.call_later(1.0, self._retry)
                return
            log.warning("site %s: %d sessions stayed open; speaking anyway",
                        self.site_id, len(self.foreign))
            self.foreign.clear()
        self.foreign_since = None
        self.current = self.outbox.popleft()
        self._send(self.current)

    def _retry(self) -> None:
        self.retry = None
        self.pump()

    def _send(self, out: _Output) -> None:
        out.session = None
        if out.kind == "say":
            self.adapter.publish(hermes.notification(self.site_id, out.text))
            self._arm(max(10.0, len(out.text) / 33.0) + SAY_SLACK, out)
        elif out.kind == "chime":
            out.request = f"hearth-{uuid.uuid4().hex}"
            self.adapter.publish(hermes.play_bytes(self.site_id, out.request, chime_wav(out.text)))
            self._arm(chime_seconds(out.text) + SAY_SLACK, out)
        else:
            out.custom = _custom(out.token)
            self.adapter.publish(hermes.question(
                self.site_id, out.text, self._filter(out.answers), out.custom,
            ))
            self._arm(ASK_FALLBACK, out)

    def _filter(self, answers: tuple[str, ...]) -> list[str]:
        return self.adapter.intent_filter(answers, invitation=self.invitation is not None)

    def _arm(self, seconds: float, out: _Output) -> None:
        if self.fallback is not None:
            self.fallback.cancel()
        self.fallback = self.adapter.loop.call_later(seconds, self._gave_up, out)

    def _gave_up(self, out: _Output) -> None:
        self.fallback = None
        if self.current is not out:
            return
        if out.kind == "ask":
            if out.token is None:  # superseded or ended by us: nobody waits for its answer
                self._complete(out)
                self._ask_again_if_wanted(out)
                return
            log.warning("site %s: the question got no reply from the dialogue manager; "
                        "counting it as unanswered", self.site_id)
            self._complete(out)
            if self.satellite_gone:
                self._pause_for_absence()
            else:
                self.feed(NoAnswer(out.token))
            return
        self.unheard += 1
        log.warning("site %s: no end of %s from the dialogue manager; carrying on",
                    self.site_id, "the line" if out.kind == "say" else "the chime")
        self._complete(out, done=True)

    def _complete(self, out: _Output, *, done: bool = False) -> None:
        if self.current is not out:
            return
        if self.fallback is not None:
            self.fallback.cancel()
            self.fallback = None
        self.current = None
        if done and out.token is not None:
            self.feed(OutputDone(out.token))
        self.pump()

    def _end_our_question(self, *, reask: bool = False) -> None:
        out = self.current
        if out is None or out.kind != "ask":
            return
        if out.session is not None:
            self.adapter.publish(hermes.end_session(out.session))
        # Not open yet (waiting in the dialogue manager's queue): it is ended when it opens.
        out.token = None  # whatever comes back now is not an answer
        out.reask = reask

    def after_intent_in_question(self, token: int | None) -> None:
        """An intent came in our question's session. Rhasspy now waits for us to continue
        or end it. An answer ends it; a command that left the question open (time left,
        say) ends it too, so the reply can be spoken, and the question is asked again."""
        out = self.current
        if out is None or out.kind != "ask" or out.token is None:
            return
        if out.token == token and self.asking and not self.paused:
            self._end_our_question(reask=True)
        else:
            self._end_our_question_if_answered()

    def _end_our_question_if_answered(self) -> None:
        out = self.current
        if out is None or out.kind != "ask" or out.token is None:
            return
        if not self.asking or self.paused:
            self._end_our_question()

    # -- what the dialogue manager tells us ---------------------------------------------

    def session_started(self, session_id: str, custom_data: str | None) -> None:
        out = self.current
        if out is not None and out.session is None:
            if out.kind == "say" and custom_data is None:
                out.session = session_id
                return
            if out.kind == "ask" and custom_data == out.custom:
                out.session = session_id
                if out.token is None:
                    # Superseded while it waited in the dialogue manager's queue.
                    self.adapter.publish(hermes.end_session(session_id))
                self._arm(ASK_FALLBACK, out)  # counted from now: it may have waited long
                return
        if custom_data is None or not custom_data.startswith(hermes.CUSTOM_DATA_PREFIX):
            if len(self.foreign) >= MAX_FOREIGN:
                # Sessions that never end (a broken or hostile client) are forgotten rather
                # than kept: the oldest goes.
                self.foreign.pop(next(iter(self.foreign)))
            self.foreign[session_id] = None
            self.hold_until = 0.0  # the session we were waiting for is here
        else:
            # A question of ours that was queued and is no longer wanted.
            self.adapter.publish(hermes.end_session(session_id))

    def session_ended(self, session_id: str, reason: Reason) -> None:
        out = self.current
        if session_id in self.foreign:
            self.foreign.pop(session_id, None)
            if out is not None and out.kind == "say" and out.session is None:
                # The dialogue manager spoke our line inside that session, then ended it
                # (it does so with a notification that finds a session already open).
                self._complete(out, done=True)
            elif self.reask_after_foreign and not self.foreign:
                self.reask_after_foreign = False
                if self.asking and not self.paused:
                    self._ask_again()
            self.pump()
            return
        if out is None or out.session != session_id:
            return
        if reason is Reason.ABORTED_BY_USER:
            self.hold_until = self.adapter.loop.time() + ABORT_HOLD
        if out.kind == "say":
            self.unheard = 0 if out.played else self.unheard + 1
            self._complete(out, done=True)
            return
        token = out.token
        self._complete(out)
        if reason is Reason.NOMINAL:
            self._ask_again_if_wanted(out)
            return
        if token is None:
            return
        if reason is Reason.ABORTED_BY_USER:
            # A wake word cut the question short; ask again once that session is over,
            # unless what was said there answers or moves the ritual on.
            self.reask_after_foreign = True
        elif reason is Reason.TIMEOUT and self.satellite_gone:
            self._pause_for_absence()
        elif reason is Reason.INTENT_NOT_RECOGNIZED:
            self.feed(NotUnderstood(token))
        else:
            self.feed(NoAnswer(token))

    def _ask_again_if_wanted(self, out: _Output) -> None:
        """A question we ended so that a reply could be spoken is asked again."""
        if out.reask and self.asking and not self.paused:
            self._ask_again()

    def _ask_again(self) -> None:
        if self.invitation is not None:
            self.invitation.repeat()
        else:
            self.feed(Control(Command.REPEAT))

    @property
    def satellite_gone(self) -> bool:
        """Lines went unplayed and then a question unanswered: nobody is there to hear."""
        return self.reports_played and self.unheard > 0 and self.invitation is None

    def _pause_for_absence(self) -> None:
        log.warning("site %s: its speaker seems to be gone (lines not played, the question "
                    "not answered); the ritual is paused", self.site_id)
        self.feed(Control(Command.PAUSE))

    def say_finished(self, session_id: str | None) -> None:
        out = self.current
        if session_id is None or out is None or out.kind != "say" or out.session != session_id:
            return
        out.played = True
        self.reports_played = True

    def not_recognized(self, session_id: str) -> None:
        out = self.current
        if out is not None and out.kind == "ask" and out.session == session_id \
                and out.token is not None:
            self.feed(NotUnderstood(out.token))

    def play_finished(self, request_id: str | None) -> None:
        out = self.current
        if out is not None and out.kind == "chime" and out.request == request_id:
            self.unheard = 0
            self._complete(out, done=True)

    def in_our_session(self, session_id: str | None) -> bool:
        out = self.current
        return session_id is not None and out is not None and out.kind == "ask" \
            and out.session == session_id

    def reconnected(self) -> None:
        """The broker came back: what was in flight is sent again, from the start."""
        self.foreign.clear()
        current = self.current
        if current is not None and current.kind == "ask" and current.token is None:
            self._complete(current)  # a question nobody waits for any more is not sent again
            self._ask_again_if_wanted(current)
        elif current is not None:
            self._send(current)
        else:
            self.pump()

    def disconnected(self) -> None:
        # While the broker is away nothing can be spoken; don't count time against it.
        if self.fallback is not None:
            self.fallback.cancel()
            self.fallback = None

    @property
    def idle(self) -> bool:
        return not self.busy and self.current is None and not self.outbox and not self.waiting

    def close(self) -> None:
        for handle in (self.fallback, self.retry):
            if handle is not None:
                handle.cancel()
        if self.driver is not None:
            self.driver.close()
        if self.invitation is not None:
            self.invitation.close()


def _custom(token: int | None) -> str:
    # Tokens start again with each run: the nonce keeps an old question's session, opening
    # late, from being taken for a new question with the same token.
    return f"{hermes.CUSTOM_DATA_PREFIX}{token}-{uuid.uuid4().hex[:8]}"


IntentHandler = Callable[["Adapter", Site, NluIntent, Intent], None]


class Adapter:
    """All sites, the library of rituals, and the dispatch of incoming messages."""

    def __init__(
        self,
        library: Library,
        transport: Transport,
        *,
        loop: asyncio.AbstractEventLoop,
        names: Callable[[str], Sequence[str]],
        site_ids: Sequence[str] = (),
        rng: random.Random | None = None,
        history: DeckHistory | None = None,
        lines: Lines = Lines(),
        speed: float = 1.0,
        household: Household | None = None,
        invitation_retry: float = DEFAULT_RETRY,
        grace: float = 15 * 60.0,
    ) -> None:
        self.library = library
        self.transport = transport
        self.loop = loop
        self.names = names
        self.site_ids = frozenset(site_ids)
        self.rng = rng or random.Random()
        self.deck_history = history or MemoryDeckHistory()
        self.lines = lines
        self.speed = speed
        """Ritual time runs this many times faster (``hearth demo --speed``, tests)."""
        self.household: Household = household or NoHousehold()
        self.invitation_retry = invitation_retry
        self.grace = grace
        self.sites: dict[str, Site] = {}
        self.connected = True
        self.dropped = 0
        self._fixed = {topic: self._handler(parse) for topic, parse in hermes.FIXED_TOPICS.items()}
        self._fixed[TtsSayFinished.topic()] = self._handler(hermes.parse_say_finished)

    # -- plumbing -----------------------------------------------------------------------

    def publish(self, message: hermes.Outgoing) -> None:
        self.transport.publish(message)

    def record(self, action: Callable[..., _R], *args: object) -> _R | None:
        """Keep a record (history, snooze); a failing data file never stops a ritual."""
        try:
            return action(*args)
        except Exception:
            log.exception("could not update the household's records")
            return None

    def intent_filter(self, answers: Sequence[str], *, invitation: bool = False) -> list[str]:
        """The intents a question listens for: its answers and the control commands."""
        wanted: list[str] = [Intent.SNOOZE.value, Intent.SKIP_TONIGHT.value] if invitation else []
        if "yes" in answers:
            wanted.append(Intent.YES.value)
        if "no" in answers:
            wanted.append(Intent.NO.value)
        if any(a not in ("yes", "no") for a in answers):
            wanted.append(Intent.ANSWER.value)
        return wanted + [intent.value for intent in CONTROL_INTENTS]

    def site(self, site_id: str) -> Site | None:
        """The site, created on first use; None for sites this skill does not serve."""
        if self.site_ids and site_id not in self.site_ids:
            return None
        site = self.sites.get(site_id)
        if site is None:
            if len(self.sites) >= MAX_SITES:
                idle = [key for key, value in self.sites.items() if value.idle]
                if not idle:
                    log.warning("too many sites at once; ignoring site %s", site_id[:64])
                    return None
                self.sites.pop(idle[0]).close()
            site = self.sites[site_id] = Site(site_id, self)
        return site

    def set_connected(self, connected: bool) -> None:
        if connected == self.connected:
            return
        self.connected = connected
        for site in self.sites.values():
            if connected:
                site.reconnected()
            else:
                site.disconnected()

    def replace_library(self, library: Library) -> None:
        """New rituals for new runs; runs in progress keep the ritual they started with."""
        self.library = library

    def close(self) -> None:
        for site in self.sites.values():
            site.close()

    # -- incoming messages --------------------------------------------------------------

    def on_message(self, topic: str, payload: bytes) -> None:
        """Handle one MQTT message. Never raises: a bad message is logged and dropped."""
        try:
            handler = self._fixed.get(topic)
            if handler is not None:
                handler(topic, payload)
            elif topic.startswith("hermes/intent/"):
                self._on_intent(topic, payload)
            elif hermes.PLAY_FINISHED_TOPIC.match(topic):
                site_id, finished = hermes.parse_play_finished(topic, payload)
                site = self.sites.get(site_id)
                if site is not None:
                    site.play_finished(finished.id)
        except hermes.MalformedMessage as error:
            self.dropped += 1
            log.warning("dropped %s", error)
        except Exception:  # one bad message must never take a site down
            self.dropped += 1
            log.exception("error handling a message on %s; dropped", topic[:120])

    def _handler(self, parse: hermes.Parser) -> Callable[[str, bytes], None]:
        def handle(topic: str, payload: bytes) -> None:
            message = parse(topic, payload)
            site_id: str = message.site_id  # type: ignore[attr-defined]
            # A session that starts is worth knowing about even before the site's first
            # intent: it is usually the wake word that brings that intent.
            site = self.site(site_id) if isinstance(message, DialogueSessionStarted) \
                else self.sites.get(site_id)
            if site is None:
                return
            match message:
                case DialogueSessionStarted(session_id=sid, custom_data=data):
                    log.debug("site %s: session %s started (%s)", site_id, sid, data)
                    site.session_started(sid, data)
                case DialogueSessionEnded(session_id=sid, termination=termination):
                    log.debug("site %s: session %s ended (%s)", site_id, sid,
                              termination.reason.value)
                    site.session_ended(sid, termination.reason)
                case DialogueIntentNotRecognized(session_id=sid):
                    # Its input is what someone said: never logged.
                    log.debug("site %s: not recognised in session %s", site_id, sid)
                    site.not_recognized(sid)
                case TtsSayFinished(session_id=sid):
                    site.say_finished(sid)
        return handle

    def _on_intent(self, topic: str, payload: bytes) -> None:
        message = hermes.parse_intent(topic, payload)
        try:
            intent = Intent(message.intent.intent_name)
        except ValueError:
            raise hermes.MalformedMessage(topic, "not one of Hearth's intents") from None
        site = self.site(message.site_id)
        if site is None:
            return
        ours = site.in_our_session(message.session_id)
        token = site.current.token if ours and site.current is not None else None
        log.debug("site %s: intent %s in session %s%s", site.site_id, intent.value,
                  message.session_id, " (our question)" if ours else "")
        if not ours and message.session_id:
            # A wake-word session: act on it, then end it without a word.
            self.publish(hermes.end_session(message.session_id))
        HANDLERS[intent](self, site, message, intent)
        if ours:
            site.after_intent_in_question(token)

    # -- intent handlers ----------------------------------------------------------------

    def start_ritual(self, site: Site, message: NluIntent, intent: Intent) -> None:
        ritual_id = hermes.slot_text(message, RITUAL_SLOT) or ""
        ritual = self.library.rituals.get(ritual_id)
        if ritual is None:
            log.info("site %s: asked for a ritual that is not loaded", site.site_id)
            site.aside(self.lines.unknown_ritual)
            return
        if site.driver is not None:
            site.aside(self.lines.busy.format(title=site.driver.run.ritual.title))
            return
        if site.invitation is not None:
            # "Start the check-in" while an invitation waits: they chose; the invitation goes.
            log.info("site %s: invitation to %s set aside for %s", site.site_id,
                     site.invitation.ritual.id, ritual.id)
            site.invitation.close()
            site.invitation = None
            site._end_our_question()
        self.begin(site, ritual)

    # -- scheduled rituals -------------------------------------------------------------

    def offer(self, due: Due) -> None:
        """A scheduled ritual is due: invite, or wait while the site is busy."""
        site = self.site(due.site)
        if site is None:
            log.warning("schedule for %s: that site is not served here", due.site[:64])
            return
        if due.ritual not in self.library.rituals:
            log.error("schedule for %s at %s: no such ritual is loaded", due.ritual, due.site)
            return
        if site.busy:
            log.info("site %s: %s is due, but the site is busy; it waits", site.site_id,
                     due.ritual)
            site.waiting.append((due, self.loop.time()))
            return
        self._invite(site, due, after_busy=False)

    def offer_waiting(self, site: Site) -> None:
        while site.waiting and not site.busy:
            due, since = site.waiting.popleft()
            if self.loop.time() - since > self.grace:
                log.info("site %s: %s let go: the site was busy for longer than the grace "
                         "period", site.site_id, due.ritual)
                continue
            self._invite(site, due, after_busy=True)

    def _invite(self, site: Site, due: Due, *, after_busy: bool) -> None:
        ritual = self.library.rituals[due.ritual]
        log.info("site %s: inviting to %s", site.site_id, ritual.id)

        def done(outcome: Outcome, seconds: float) -> None:
            site.invitation = None
            log.info("site %s: invitation to %s: %s", site.site_id, ritual.id, outcome.value)
            if outcome is Outcome.ACCEPTED:
                self.begin(site, ritual, due.names or None)
            elif outcome is Outcome.SNOOZED:
                self.record(self.household.snooze, due, seconds)
            if not site.busy:
                self.loop.call_soon(self.offer_waiting, site)

        site.invitation = Invitation(ritual, site, done, loop=self.loop,
                                     retry_after=self.invitation_retry, after_busy=after_busy)
        site.invitation.start()

    def offer_resume(self, interrupted: Interrupted) -> None:
        """After a crash: "we were in the middle of …; shall we go on where we stopped?"."""
        site = self.site(interrupted.site)
        ritual = self.library.rituals.get(interrupted.ritual)
        if site is None or ritual is None or site.busy:
            self.record(self.household.run_ended, interrupted.run_id, False)
            return
        log.info("site %s: %s was interrupted; offering to go on", site.site_id, ritual.id)

        def done(outcome: Outcome, seconds: float) -> None:
            site.invitation = None
            if outcome is Outcome.ACCEPTED:
                self.begin(site, ritual, interrupted.names, at=interrupted)
            else:
                self.record(self.household.run_ended, interrupted.run_id, False)
            if not site.busy:
                self.loop.call_soon(self.offer_waiting, site)

        site.invitation = Invitation(ritual, site, done, loop=self.loop,
                                     retry_after=self.invitation_retry, lines=RESUME_LINES)
        site.invitation.start()

    def begin(self, site: Site, ritual: Ritual, names: Sequence[str] | None = None,
              at: Interrupted | None = None) -> None:
        if site.busy:
            log.warning("site %s: %s not started, the site is busy", site.site_id, ritual.id)
            return
        names = list(names or self.names(site.site_id))
        try:
            site.driver = Driver(ritual, names, site, loop=self.loop, rng=self.rng,
                                 history=self.deck_history, speed=self.speed)
        except ParticipantsError as error:
            low, high = error.allowed
            span = str(low) if low == high else f"{low} to {high}"
            site.aside(self.lines.wrong_count.format(title=ritual.title, span=span,
                                                     count=len(names)))
            return
        if at is not None:
            site.run_id = at.run_id
            try:
                site.feed(Start(at=Position.from_json(at.position)))
                log.info("site %s: going on with %s", site.site_id, ritual.id)
                return
            except PositionError:
                # The ritual file changed since; its old place no longer exists.
                log.warning("site %s: %s changed since it was interrupted; starting afresh",
                            site.site_id, ritual.id)
        else:
            site.run_id = None
        log.info("site %s: starting ritual %s for %d people", site.site_id, ritual.id,
                 len(names))
        site.feed(Start())
        if site.run_id is None:
            site.run_id = self.record(self.household.run_started, ritual.id, site.site_id)
            site._save_position()

    def list_rituals(self, site: Site, message: NluIntent, intent: Intent) -> None:
        titles = sorted(r.title for r in self.library.rituals.values())
        site.aside(self.lines.rituals.format(titles=join_names(titles)) if titles
                   else self.lines.no_rituals)

    def control(self, site: Site, message: NluIntent, intent: Intent) -> None:
        if site.driver is None:
            site.aside(self.lines.no_ritual)
            return
        site.feed(Control(CONTROL_INTENTS[intent]))

    def answer(self, site: Site, message: NluIntent, intent: Intent) -> None:
        value = ANSWER_INTENTS[intent] or hermes.slot_text(message, ANSWER_SLOT)
        if not site.busy:
            site.aside(self.lines.no_question)
            return
        if value is None or not site.asking:
            return  # "yes" in the middle of a talk: nothing to answer
        token = site.current.token if site.in_our_session(message.session_id) and \
            site.current is not None else None
        site.reask_after_foreign = False
        site.feed(Answer(value, token))

    # -- schedules by voice -------------------------------------------------------------

    def schedule_ritual(self, site: Site, message: NluIntent, intent: Intent) -> None:
        ritual_id = hermes.slot_text(message, RITUAL_SLOT) or ""
        if ritual_id not in self.library.rituals:
            site.aside(self.lines.unknown_ritual)
            return
        days = hermes.slot_text(message, DAYS_SLOT)
        hour = hermes.slot_text(message, HOUR_SLOT)
        if not days or not hour:
            site.aside(self.lines.when)
            return
        minute = hermes.slot_text(message, MINUTE_SLOT)
        period = hermes.slot_text(message, PERIOD_SLOT)
        when = f"{days} at {hour}"
        if minute and minute.isascii() and minute.isdigit():
            when += f":{int(minute):02d}"
        if period:
            when += f" {period}"
        site.aside(self.household.schedule(ritual_id, site.site_id, when))

    def list_schedules(self, site: Site, message: NluIntent, intent: Intent) -> None:
        site.aside(self.household.scheduled(site.site_id))

    def cancel_schedule(self, site: Site, message: NluIntent, intent: Intent) -> None:
        site.aside(self.household.cancel(site.site_id, hermes.slot_text(message, RITUAL_SLOT),
                                         hermes.slot_text(message, DAY_SLOT)))

    def skip_tonight(self, site: Site, message: NluIntent, intent: Intent) -> None:
        if site.invitation is not None:
            site.invitation.decline()
            return
        site.aside(self.household.skip_tonight(site.site_id))

    def pause_schedules(self, site: Site, message: NluIntent, intent: Intent) -> None:
        site.aside(self.household.pause_until(hermes.slot_text(message, UNTIL_SLOT) or ""))

    def resume_schedules(self, site: Site, message: NluIntent, intent: Intent) -> None:
        site.aside(self.household.resume())

    def snooze(self, site: Site, message: NluIntent, intent: Intent) -> None:
        text = hermes.slot_text(message, MINUTES_SLOT) or "10"
        valid = text.isascii() and text.isdigit() and len(text) <= 4 and 0 < int(text) <= 24 * 60
        if site.invitation is None:
            site.aside(self.lines.nothing_to_snooze)
            return
        if not valid:  # "in zero minutes", "in two thousand minutes", a hostile value
            site.aside(self.lines.snooze_range)
        site.invitation.snooze(int(text) * 60.0 if valid else 600.0)

    def history(self, site: Site, message: NluIntent, intent: Intent) -> None:
        site.aside(self.household.this_week())


HANDLERS: Mapping[Intent, IntentHandler] = {
    Intent.START_RITUAL: Adapter.start_ritual,
    Intent.LIST_RITUALS: Adapter.list_rituals,
    Intent.SCHEDULE: Adapter.schedule_ritual,
    Intent.LIST_SCHEDULES: Adapter.list_schedules,
    Intent.CANCEL_SCHEDULE: Adapter.cancel_schedule,
    Intent.SKIP_TONIGHT: Adapter.skip_tonight,
    Intent.PAUSE_SCHEDULES: Adapter.pause_schedules,
    Intent.RESUME_SCHEDULES: Adapter.resume_schedules,
    Intent.SNOOZE: Adapter.snooze,
    Intent.HISTORY: Adapter.history,
    **{intent: Adapter.control for intent in CONTROL_INTENTS},
    **{intent: Adapter.answer for intent in ANSWER_INTENTS},
}
