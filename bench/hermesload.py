"""Intents in, replies out: the request/response loops of the latency and throughput tests.

Three things answer the same request, an ``hermes/intent/HearthTimeLeft`` message shaped as
rhasspy-nlu-hermes sends it (built with rhasspy-hermes's ``NluIntent``):

* the echo republishes it unchanged (the physical limit: broker + paho + loopback, twice);
* the peer (rhasspy-hermes-app) ends the intent's session with a line: one reply;
* Hearth, with no ritual on the site, ends the wake-word session silently and says "there's
  no ritual running" in a notification session: two replies. This side plays the dialogue
  manager for that notification (``sessionStarted`` then ``sessionEnded``, as Rhasspy's
  does once it has been spoken), so every site's output queue keeps moving.

Latency is to the *first* reply; an exchange is *done* when every reply has come back (and,
for Hearth, the dialogue manager's answers to its notification have been sent).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from rhasspyhermes.intent import Intent as HermesIntent
from rhasspyhermes.nlu import NluIntent

from bench.echo import IN_TOPIC, OUT_TOPIC
from bench.mqttlite import Client, publish_frame

INTENT = "HearthTimeLeft"
INTENT_TOPIC = f"hermes/intent/{INTENT}"
END_SESSION = "hermes/dialogueManager/endSession"
START_SESSION = "hermes/dialogueManager/startSession"
SESSION_STARTED = "hermes/dialogueManager/sessionStarted"
SESSION_ENDED = "hermes/dialogueManager/sessionEnded"
PLAY_BYTES = "hermes/audioServer/+/playBytes/#"

_SITE, _SESSION = "@@SITE@@", "@@SESSION@@"
_TEMPLATE = NluIntent(
    input="how much time is left",
    intent=HermesIntent(intent_name=INTENT, confidence_score=1.0),
    site_id=_SITE, session_id=_SESSION, slots=[],
    asr_tokens=[], raw_input="how much time is left",
).payload()


def intent_payload(site: str, session: str) -> bytes:
    return _TEMPLATE.replace(_SITE, site).replace(_SESSION, session).encode("utf-8")


def session_started(site: str, session: str) -> bytes:
    return publish_frame(SESSION_STARTED, json.dumps(
        {"sessionId": session, "siteId": site, "customData": None, "lang": None}).encode())


def session_ended(site: str, session: str) -> bytes:
    return publish_frame(SESSION_ENDED, json.dumps(
        {"termination": {"reason": "nominal"}, "sessionId": session, "siteId": site,
         "customData": None}).encode())


def site_of(key: str) -> str:
    """Session ids are ``<site>.<n>``."""
    return key.rsplit(".", 1)[0]


class Scenario:
    """What to send, and what the replies mean: events (kind, key) where kind is "answer"
    (the reply to the intent itself) or "spoken" (Hearth's notification for it)."""

    name = ""
    replies: tuple[str, ...] = ()
    speaks = False
    """Whether an exchange also includes a notification to wait for."""

    def request(self, site: str, key: str) -> bytes:
        return publish_frame(INTENT_TOPIC, intent_payload(site, key))

    def handle(self, topic: str, payload: bytes) -> tuple[list[tuple[str, str]], bytes]:
        raise NotImplementedError


class Echo(Scenario):
    name = "echo"
    replies = (OUT_TOPIC,)

    def request(self, site: str, key: str) -> bytes:
        return publish_frame(IN_TOPIC, intent_payload(site, key))

    def handle(self, topic: str, payload: bytes) -> tuple[list[tuple[str, str]], bytes]:
        return [("answer", json.loads(payload)["sessionId"])], b""


class Peer(Scenario):
    name = "peer"
    replies = (END_SESSION,)

    def handle(self, topic: str, payload: bytes) -> tuple[list[tuple[str, str]], bytes]:
        if topic != END_SESSION:
            return [], b""
        return [("answer", json.loads(payload)["sessionId"])], b""


@dataclass
class Hearth(Scenario):
    name = "hearth"
    replies = (END_SESSION, START_SESSION)
    speaks = True
    awaiting_line: dict[str, deque[str]] = field(default_factory=dict)
    """Per site, the requests whose notification has not come yet (in order)."""
    sessions: int = 0
    unexpected: int = 0

    def request(self, site: str, key: str) -> bytes:
        self.awaiting_line.setdefault(site, deque()).append(key)
        return super().request(site, key)

    def handle(self, topic: str, payload: bytes) -> tuple[list[tuple[str, str]], bytes]:
        data = json.loads(payload)
        if topic == END_SESSION:
            return [("answer", data["sessionId"])], b""
        if topic == START_SESSION and data["init"]["type"] == "notification":
            # Play the dialogue manager: the line is "spoken" at once.
            site = data["siteId"]
            waiting = self.awaiting_line.get(site)
            self.sessions += 1
            session = f"dm-{self.sessions}"
            answer = session_started(site, session) + session_ended(site, session)
            if not waiting:
                self.unexpected += 1
                return [], answer
            return [("spoken", waiting.popleft())], answer
        self.unexpected += 1
        return [], b""


class NoReply(RuntimeError):
    pass


def warm_up(client: Client, scenario: Scenario, site: str, tries: int = 40) -> None:
    """Until the other side answers at all (its subscriptions may still be on their way),
    then until it is quiet."""
    for attempt in range(tries):
        key = f"{site}.warm{attempt}"
        client.send(scenario.request(site, key))
        deadline = time.perf_counter() + 0.5
        answered = False
        while time.perf_counter() < deadline and not answered:
            for topic, payload in client.read(deadline - time.perf_counter()):
                events, out = scenario.handle(topic, payload)
                if out:
                    client.send(out)
                answered = answered or ("answer", key) in events
        if answered:
            settle(client, scenario)
            return
    raise NoReply(f"{scenario.name} never answered")


def settle(client: Client, scenario: Scenario, quiet: float = 0.2) -> None:
    """Answer what still comes (notifications) until nothing has come for ``quiet`` s."""
    while True:
        messages = client.read(quiet)
        if not messages:
            return
        for topic, payload in messages:
            _, out = scenario.handle(topic, payload)
            if out:
                client.send(out)


@dataclass
class Sequential:
    answer: list[float]
    """Seconds from sending the intent to its first reply."""
    spoken: list[float]
    """For Hearth: to its notification (the second reply); empty otherwise."""
    stray: int


def sequential(client: Client, scenario: Scenario, count: int, warmup: int,
               gap: float = 0.002, site: str = "livingroom", timeout: float = 15.0) -> Sequential:
    """One request in flight: send, wait for every reply (and answer Hearth's notification
    as the dialogue manager would), pause ``gap``, again."""
    warm_up(client, scenario, site)
    answers: list[float] = []
    spoken: list[float] = []
    stray = 0
    perf = time.perf_counter
    for i in range(warmup + count):
        key = f"{site}.{i}"
        frame = scenario.request(site, key)
        start = perf()
        client.send(frame)
        got: dict[str, float] = {}
        wanted = 2 if scenario.speaks else 1
        deadline = start + timeout
        while len(got) < wanted:
            messages = client.read(deadline - perf())
            now = perf()
            if not messages and now > deadline:
                raise NoReply(f"{scenario.name}: no reply to request {i} in {timeout} s")
            for topic, payload in messages:
                events, out = scenario.handle(topic, payload)
                if out:
                    client.send(out)
                for kind, k in events:
                    if k != key:
                        stray += 1
                    else:
                        got.setdefault(kind, now)
        if i >= warmup:
            answers.append(min(got.values()) - start)
            if "spoken" in got:
                spoken.append(got["spoken"] - start)
        if gap:
            time.sleep(gap)
    return Sequential(answers, spoken, stray)


@dataclass
class Throughput:
    answered: int
    spoken: int
    seconds: float
    in_flight: int
    latencies: list[float]
    unfinished: int

    @property
    def per_second(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    @property
    def spoken_per_second(self) -> float:
        return self.spoken / self.seconds if self.seconds > 0 else 0.0


def throughput(client: Client, scenario: Scenario, sites: Sequence[str], per_site: int,
               seconds: float, warmup: float, *, whole: bool = False,
               drain: float = 10.0) -> Throughput:
    """``per_site`` intents in flight on each site; each one answered is replaced by a new
    one on its site. Counts the answers (and Hearth's notifications, which this side plays
    the dialogue manager for) in ``seconds`` after ``warmup`` seconds. With ``whole``, an
    intent counts (and is replaced) only once its notification has come too."""
    warm_up(client, scenario, sites[0])
    perf = time.perf_counter
    sent: dict[str, float] = {}
    seen: dict[str, int] = {}
    needed = 2 if whole and scenario.speaks else 1
    serial = 0

    def frame_for(site: str) -> bytes:
        nonlocal serial
        serial += 1
        key = f"{site}.{serial}"
        sent[key] = perf()
        return scenario.request(site, key)

    begin = perf()
    client.send(b"".join(frame_for(site) for site in sites for _ in range(per_site)))
    measure_from = begin + warmup
    measure_to = measure_from + seconds
    answered = spoken = 0
    latencies: list[float] = []
    stop_at = measure_to + drain
    while sent and perf() < stop_at:
        messages = client.read(0.5)
        now = perf()
        if not messages:
            continue
        outgoing: list[bytes] = []
        for topic, payload in messages:
            events, out = scenario.handle(topic, payload)
            if out:
                outgoing.append(out)
            for kind, key in events:
                if kind == "spoken":
                    spoken += measure_from <= now < measure_to
                    if needed == 1:
                        continue
                if key not in sent:
                    continue
                seen[key] = seen.get(key, 0) + 1
                if seen[key] < needed:
                    continue
                del seen[key]
                started = sent.pop(key)
                if measure_from <= now < measure_to:
                    answered += 1
                    latencies.append(now - started)
                if now < measure_to:
                    outgoing.append(frame_for(site_of(key)))
        if outgoing:
            client.send(b"".join(outgoing))
    return Throughput(answered, spoken, seconds, per_site * len(sites), latencies, len(sent))
