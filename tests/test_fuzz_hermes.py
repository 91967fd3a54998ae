"""Fuzzing what Hearth reads from MQTT: thousands of malformed Hermes messages on every topic
it subscribes to (and near misses), in process and over a real broker.

Every test prints one line of counts (visible in a plain ``pytest -q -rA`` run). What each
message *should* do is decided by ``hostile.judge`` from the Hermes contract, not from
Hearth's code; see tests/hostile.py.

The six bugs this suite found in skill/ are fixed; the tests at the end keep them fixed.
``KNOWN_CRASHES`` and ``KNOWN_ACCEPTED`` are empty, so the bulk tests tolerate no crash and
no accepted malformed message; a new bug found goes there, with a test of its own, until fixed.
"""

from __future__ import annotations

import gc
import json
import logging
import random
import time
import traceback
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from conftest import HOST, Figures, HearthProcess, Mosquitto, run_hearth
from fakehermes import World
from hostile import (
    ENDED,
    FAMILIES,
    IRRELEVANT,
    LENIENT,
    MALFORMED,
    NEAR_MISS,
    PLAY_FINISHED,
    SAY_FINISHED,
    SITES,
    STARTED,
    VALID,
    Builder,
    Message,
    Topics,
    dumps,
    judge,
    messages,
    plain_site,
    printable,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_adapter import mini_library, start
from test_broker import House, heard

from skill import hermes
from skill.adapter import FOREIGN_WAIT, MAX_SITES
from skill.demo import DialogueManager
from skill.loader import Library
from skill.scheduler import Keeper, Planner, local_zone
from skill.store import Store

SEED = 20_260_522
BULK = 10_000
TOPICS = Topics.of(hermes.subscriptions())
SKILL_DIR = str(Path(hermes.__file__).resolve().parent)
WELCOME = "Welcome, Alex and Sam."

KNOWN_CRASHES: dict[str, str] = {}
"""Exceptions (type, innermost function in skill/) that reach ``log.exception`` in
``Adapter.on_message`` instead of a clean "dropped" (or a proper reply): bugs, pinned below."""

KNOWN_ACCEPTED: dict[str, str] = {}
"""Malformed messages Hearth accepts: bugs, pinned below."""


# -- watching the adapter ---------------------------------------------------------------------


def malformed(message: Message) -> bool:
    return judge(TOPICS, message.topic, message.payload).label == MALFORMED


def signature(exc_info: tuple[type[BaseException], BaseException, TracebackType | None]
              ) -> str:
    """An exception as "Type in function", the function being the innermost one in skill/."""
    kind, _, tb = exc_info
    where = "?"
    for frame, _ in traceback.walk_tb(tb):
        if frame.f_code.co_filename.startswith(SKILL_DIR):
            where = frame.f_code.co_name
    return f"{kind.__name__} in {where}"


class Probe(logging.Handler):
    """What ``hearth.*`` logs at WARNING and above: drops, internal errors, the longest line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.drops = 0
        self.errors: list[str] = []
        self.too_many_sites = 0
        self.longest = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        self.longest = max(self.longest, len(text))
        if text.startswith("dropped "):
            self.drops += 1
        elif text.startswith("too many sites"):
            self.too_many_sites += 1
        if record.exc_info and record.exc_info[0] is not None:
            self.errors.append(signature(record.exc_info))  # type: ignore[arg-type]


@contextmanager
def watching(name: str = "hearth") -> Iterator[Probe]:
    """The logger's records go to a Probe only, not to pytest's report (10,000 warnings).
    Entered inside the test: pytest attaches its handlers to every logger as the test starts."""
    logger = logging.getLogger(name)
    probe = Probe()
    saved = logger.level, logger.propagate, logger.handlers
    logger.handlers = [probe]
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield probe
    finally:
        logger.handlers = saved[2]
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


@dataclass
class Counting:
    """A transport that counts what the adapter publishes and keeps nothing."""

    messages: int = 0
    bytes: int = 0

    def publish(self, message: hermes.Outgoing) -> None:
        self.messages += 1
        self.bytes += len(message.payload)


def site_of(topic: str, payload: bytes) -> Any:
    kind, name = TOPICS.kind(topic)
    if kind == "playFinished":
        return name
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return data.get("siteId") if isinstance(data, dict) else None


def known_acceptance(topic: str, payload: bytes) -> str | None:
    site = site_of(topic, payload)
    if isinstance(site, str) and site.endswith("\n") and plain_site(site[:-1]):
        return "site-newline"
    return None


@dataclass
class Tally:
    """Counts for one test, and whatever went wrong that is not a known bug."""

    name: str
    messages: int = 0
    bytes: int = 0
    topics: set[str] = field(default_factory=set)
    families: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, bool]] = field(default_factory=Counter)
    known: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    escaped: int = 0
    most_sites: int = 0

    def problem(self, what: str, message: Message) -> None:
        self.problems.append(f"{what}: topic {printable(message.topic)}, payload "
                             f"{printable(message.payload)} ({message.family})")

    def deliver(self, world: World, probe: Probe, message: Message) -> None:
        """One message into the adapter, checked against the judge."""
        verdict = judge(TOPICS, message.topic, message.payload)
        adapter = world.adapter
        before, errors_before = adapter.dropped, len(probe.errors)
        self.messages += 1
        self.bytes += len(message.payload)
        self.topics.add(message.topic)
        self.families[message.family.split(":")[0]] += 1
        try:
            adapter.on_message(message.topic, message.payload)
        except Exception as error:  # the one thing on_message promises never to do
            self.escaped += 1
            self.problem(f"{type(error).__name__} escaped on_message", message)
            return
        dropped = adapter.dropped - before
        self.outcomes[verdict.label, dropped == 1] += 1
        self.most_sites = max(self.most_sites, len(adapter.sites))
        if len(adapter.sites) > MAX_SITES:
            self.problem(f"{len(adapter.sites)} sites kept", message)
        crashes = probe.errors[errors_before:]
        for crash in crashes:
            if crash in KNOWN_CRASHES:
                self.known[crash] += 1
            else:
                self.problem(f"internal error {crash}", message)
        if crashes:
            return  # counted as a drop by on_message's last resort; the crash is the news
        if dropped not in (0, 1):
            self.problem(f"dropped went up by {dropped}", message)
        elif verdict.label == MALFORMED and not dropped:
            bug = known_acceptance(message.topic, message.payload)
            if bug is not None:
                self.known[bug] += 1
            else:
                self.problem(f"accepted, though {verdict.why}", message)
        elif verdict.label == VALID and dropped:
            self.problem("dropped a valid message", message)

    def covered(self) -> list[str]:
        """Subscriptions that got at least one message."""
        return [s for s in hermes.subscriptions()
                if any(mqtt.topic_matches_sub(s, t) for t in self.topics if t)]

    def line(self, extra: str = "") -> str:
        def n(label: str, dropped: bool | None = None) -> int:
            return sum(v for (lab, d), v in self.outcomes.items()
                       if lab == label and (dropped is None or d == dropped))

        known = ", ".join(f"{k}×{v}" for k, v in sorted(self.known.items())) or "none"
        return (
            f"\nfuzz {self.name}: {self.messages:,} messages, {self.bytes / 1e6:.1f} MB, "
            f"{len(self.topics)} topics ({len(self.covered())}/{len(hermes.subscriptions())} "
            f"subscriptions hit), {self.escaped} crashes (exceptions escaping on_message), "
            f"{len(self.problems)} unexpected; malformed={n(MALFORMED)} "
            f"(dropped {n(MALFORMED, True)}), valid={n(VALID)} (kept {n(VALID, False)}), "
            f"irrelevant={n(IRRELEVANT)} (dropped {n(IRRELEVANT, True)}, "
            f"ignored {n(IRRELEVANT, False)}), lenient={n(LENIENT)} "
            f"(dropped {n(LENIENT, True)}, accepted {n(LENIENT, False)}); "
            f"known bugs hit: {known}{extra}"
        )

    def check(self) -> None:
        assert not self.problems, f"{len(self.problems)} unexpected:\n" + "\n".join(
            self.problems[:25])


def drain(world: World, limit: float = 7 * 86_400.0) -> float:
    """Move the fake clock until every site is idle; the fake seconds it took."""
    waited = 0.0
    while not all(site.idle for site in world.adapter.sites.values()):
        busy = [s for s, site in world.adapter.sites.items() if not site.idle]
        assert waited < limit, f"sites still busy after {waited:.0f} s: {busy[:10]}"
        world.loop.advance(60.0)
        waited += 60.0
    return waited


def first_line_after_start(world: World, site: str = "default") -> float:
    """Start the mini ritual on ``site``: the fake seconds until its first line is sent."""
    world.new()
    start(world, site)
    waited = 0.0
    while WELCOME not in world.spoken(world.new()):
        assert waited <= FOREIGN_WAIT + 5, f"{site}: {WELCOME!r} never spoken"
        world.loop.advance(1.0)
        waited += 1.0
    return waited


# -- 1. in process: the bulk, deterministic -----------------------------------------------


def test_ten_thousand_malformed_messages_in_process(figures: Figures) -> None:
    began = time.perf_counter()
    library = mini_library()
    world = World(library)
    counting = Counting()
    world.adapter.transport = counting
    tally = Tally("in-process")
    batch = list(messages(random.Random(SEED), TOPICS, BULK, counted=malformed,
                          rituals=list(library.rituals)))
    generated = time.perf_counter() - began
    tracemalloc.start()  # what the adapter holds on to, not the messages made for it
    try:
        with watching() as probe:
            for message in batch:
                tally.deliver(world, probe, message)
                world.loop.advance(0.01)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dropped = world.adapter.dropped
    world.adapter.transport = world.transport
    with watching():
        drained = drain(world)
        waited = first_line_after_start(world)
    seconds = time.perf_counter() - began
    with figures():
        print(tally.line(
            f"; dropped={dropped} (hearth's log: {probe.drops} 'dropped' + "
            f"{len(probe.errors)} internal errors); hearth replied {counting.messages} times; "
            f"most sites {tally.most_sites}/{MAX_SITES}; tracemalloc peak {peak / 1e6:.0f} MB; "
            f"sites idle after {drained:.0f} fake s; '{WELCOME}' {waited:.0f} fake s after "
            f"the start; longest log message {probe.longest:,} chars; {seconds:.1f} s "
            f"({generated:.1f} s making the messages)"))
    tally.check()
    assert tally.outcomes[MALFORMED, True] + tally.known["site-newline"] >= BULK
    assert set(tally.families) >= set(FAMILIES) | {"huge"}
    assert tally.covered() == hermes.subscriptions(), "every subscription gets fuzzed"
    assert dropped == probe.drops + len(probe.errors), "every drop is logged once"
    assert peak < 100e6


# -- 1b. in process: Hypothesis, JSON of every shape in every place ----------------------------


def _json_values() -> st.SearchStrategy[Any]:
    scalars = (st.none() | st.booleans() | st.integers() | st.floats()
               | st.sampled_from([10**400, -(2**1024), 1e308, float("nan"), float("inf")])
               | st.text(max_size=20) | st.sampled_from(["", "\u0000", "x" * 5000, "²"]))
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["value", "slotName", "entity", "reason", "kind",
                                           "intentName", "confidenceScore"]) | st.text(max_size=6),
                          children, max_size=4),
        max_leaves=12,
    )


ALL_TOPICS = sorted(set(TOPICS.expand(SITES)) | set(NEAR_MISS))


@st.composite
def hermes_messages(draw: st.DrawFn) -> Message:
    topic = draw(st.sampled_from(ALL_TOPICS) | st.text(max_size=30))
    kind, name = TOPICS.kind(topic)
    builder = Builder(random.Random(draw(st.integers(0, 2**32))), ["mini"])
    template = builder.template(kind, name)
    how = draw(st.sampled_from(["bytes", "value", "field", "slots", "intent", "template"]))
    values = _json_values()
    if how == "bytes":
        return Message(topic, draw(st.binary(max_size=300)), how)
    if how == "value":
        return Message(topic, dumps(draw(values)), how)
    if how == "field":
        key = draw(st.sampled_from([*template, "siteId", "sessionId", "customData", "extra"]))
        if draw(st.booleans()):
            template[key] = draw(values)
        else:
            template.pop(key, None)
    elif how == "slots":
        slot = st.fixed_dictionaries(
            {}, optional={"slotName": values | st.sampled_from(["ritual", "minutes", "minute"]),
                          "entity": values, "value": st.fixed_dictionaries({"value": values})
                          | values, "rawValue": values})
        template["slots"] = draw(st.lists(slot, max_size=5) | values)
    elif how == "intent":
        template["intent"] = draw(st.fixed_dictionaries(
            {}, optional={"intentName": st.just(name) | values, "confidenceScore": values})
            | values)
    return Message(topic, dumps(template), how)


def test_hypothesis_json_of_every_shape(figures: Figures) -> None:
    began = time.perf_counter()
    library = mini_library()
    tally = Tally("hypothesis")

    @settings(max_examples=1_000, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(hermes_messages())
    def one(message: Message) -> None:
        world = World(library)
        problems = len(tally.problems)
        tally.deliver(world, probe, message)
        assert len(tally.problems) == problems, tally.problems[-1]

    with watching() as probe:
        one()
    with figures():
        print(tally.line(f"; dropped (hearth's log) {probe.drops}; "
                         f"{time.perf_counter() - began:.1f} s"))
    tally.check()


# -- 1c. in process: 10,000 distinct hostile site ids ---------------------------------------


def hostile_site_ids(count: int, rng: random.Random) -> Iterator[str]:
    shapes = [
        "intruder-{n}", "{n}", "x{n}" + "x" * 50, "küche-{n}", "厨房{n}", "a:{n}", "a.{n}",
        "{n}\n", "{n}/x", "+{n}", "#{n}", "{n} ", "\u0000{n}", "{n}" + "y" * 300, "🔥{n}",
    ]
    for n in range(count):
        yield rng.choice(shapes).format(n=n)


def site_messages(site: str, rng: random.Random) -> Message:
    """One valid-shaped message from ``site``: a session, an intent, a line's end or a chime's."""
    builder = Builder(rng)
    choice = rng.randrange(5)
    if choice == 0:
        data, topic = builder.template(STARTED, None), STARTED
    elif choice == 1:
        name = rng.choice(["HearthPause", "HearthListRituals", "HearthYes", "HearthSnooze"])
        data, topic = builder.template("intent", name), f"hermes/intent/{name}"
    elif choice == 2:
        data, topic = builder.template(ENDED, None), ENDED
    elif choice == 3 and SAY_FINISHED in TOPICS.fixed:
        data, topic = builder.template(SAY_FINISHED, None), SAY_FINISHED
    else:
        data = builder.template("playFinished", None)
        topic = PLAY_FINISHED.replace("+", site)
    data["siteId"] = site
    return Message(topic, dumps(data), "site flood")


def test_ten_thousand_hostile_site_ids_keep_the_site_table_bounded(
        figures: Figures) -> None:
    began = time.perf_counter()
    world = World(mini_library())
    start(world)  # a ritual runs on "default" all through the flood
    assert world.spoken(world.new()) == [WELCOME]
    default = world.adapter.sites["default"]
    tally = Tally("site flood")
    rng = random.Random(SEED)
    ids = list(hostile_site_ids(10_000, rng))
    world.adapter.transport = Counting()
    with watching() as probe:
        for index, site in enumerate(ids):
            tally.deliver(world, probe, site_messages(site, rng))
            if index >= len(ids) // 2:
                world.loop.advance(0.05)  # second half: lines time out, idle sites go
            if index == len(ids) // 2 - 1:
                # first half, no time passing: the ritual on "default" was never evicted
                assert world.adapter.sites.get("default") is default
                assert default.driver is not None
        world.adapter.transport = world.transport
        kept = len(world.adapter.sites)
        drained = drain(world)
        waited = first_line_after_start(world, "kitchen")
    with figures():
        print(tally.line(
            f"; {len(set(ids)):,} distinct site ids ({sum(map(plain_site, ids)):,} plain); "
            f"most sites kept {tally.most_sites}/{MAX_SITES} (at the end {kept}); "
            f"'too many sites' {probe.too_many_sites} times; a new site spoke "
            f"{waited:.0f} fake s after its start, once the flood's lines were done "
            f"({drained:.0f} fake s); {time.perf_counter() - began:.1f} s"))
    tally.check()
    assert tally.most_sites <= MAX_SITES


# -- 1d. in process: household intents with hostile slots, on a real data file -------------


def test_household_intents_with_hostile_slots(tmp_path: Path,
                                              figures: Figures) -> None:
    """Schedules, snoozes, pauses and history by voice with every odd slot value, against the
    real Keeper and SQLite store ``hearth run`` uses."""
    began = time.perf_counter()
    store = Store(tmp_path / "hearth.sqlite")
    planner = Planner(store, local_zone("UTC"), grace=timedelta(minutes=15))
    library = mini_library()
    keeper = Keeper(planner, lambda: {r.id: r.title for r in library.rituals.values()})
    world = World(library, household=keeper)
    world.adapter.transport = Counting()
    tally = Tally("household")
    names = ["HearthScheduleRitual", "HearthCancelSchedule", "HearthListSchedules",
             "HearthSkipTonight", "HearthPauseSchedules", "HearthResumeSchedules",
             "HearthSnooze", "HearthHistory"]
    rng = random.Random(SEED)
    builder = Builder(rng, ["mini"], likely=0.85)
    with watching() as probe:
        for _ in range(1_500):
            name = rng.choice(names)
            data = builder.template("intent", name)
            tally.deliver(world, probe, Message(f"hermes/intent/{name}", dumps(data), name))
            world.loop.advance(0.5)
    schedules = len(store.schedules())
    store.close()
    with figures():
        print(tally.line(f"; {schedules} schedules made by voice; "
                         f"{time.perf_counter() - began:.1f} s"))
    tally.check()


# -- 2. over a real broker: one `hearth run`, Rhasspy's dialogue manager, a satellite --------


@pytest.fixture
def fuzz_house(broker: Mosquitto, hearth_factory: list[HearthProcess], tmp_path: Path
               ) -> Iterator[House]:
    dialogue = DialogueManager(broker.port).start()
    hearth = run_hearth(hearth_factory, broker.port, tmp_path / "data")
    house = House(broker, dialogue, hearth, {})
    house.room("default")
    yield house
    for satellite in house.rooms.values():
        satellite.stop()
    dialogue.stop()


def hearth_drops(process: HearthProcess) -> tuple[int, int]:
    """("dropped" warnings, "error handling a message" errors) in hearth's log so far."""
    lines = list(process.log)
    return (sum(" hearth.adapter: dropped " in line for line in lines),
            sum(" hearth.adapter: error handling a message on " in line for line in lines))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def publish_paced(client: mqtt.Client, batch: Iterable[Message], rate: float,
                  byte_rate: float) -> None:
    """Publish at most ``rate`` messages and ``byte_rate`` bytes a second."""
    began = time.monotonic()
    size = 0
    for sent, message in enumerate(batch, start=1):
        info = client.publish(message.topic, message.payload, qos=0)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, f"publish failed: {info.rc}"
        size += len(message.payload)
        ahead = max(sent / rate, size / byte_rate) - (time.monotonic() - began)
        if ahead > 0:
            time.sleep(ahead)


def replay(batch: Sequence[Message]) -> tuple[Tally, int, int]:
    """The messages in process: the tally, and the drops and internal errors to expect."""
    tally = Tally("replay")
    world = World(mini_library())
    world.adapter.transport = Counting()
    with watching() as probe:
        for message in batch:
            tally.deliver(world, probe, message)
    tally.check()
    return tally, world.adapter.dropped, len(probe.errors)


def flood(port: int, batch: Sequence[Message], hearth: HearthProcess, expected: int
          ) -> tuple[float, list[int]]:
    """Publish ``batch``, then wait until hearth has logged ``expected`` drops (or stalls).
    The seconds publishing took, and the publisher's disconnections."""
    client = mqtt.Client(client_id=f"fuzzer-{uuid.uuid4().hex[:8]}")
    disconnects: list[int] = []
    client.on_disconnect = lambda c, u, rc: rc and disconnects.append(rc)
    client.connect(HOST, port)
    client.loop_start()
    began = time.perf_counter()
    try:
        publish_paced(client, batch, rate=1_000.0, byte_rate=4e6)
        seconds = time.perf_counter() - began
        deadline, last, still = time.monotonic() + 60, (-1, -1), time.monotonic()
        while sum(counts := hearth_drops(hearth)) < expected:
            if counts != last:
                last, still = counts, time.monotonic()
            assert time.monotonic() - still < 10 and time.monotonic() < deadline, (
                f"hearth logged {counts} drops, {expected} expected")
            time.sleep(0.1)
    finally:
        client.disconnect()
        client.loop_stop()
    return seconds, disconnects


def start_quick_ritual(house: House) -> float:
    """A satellite's "start the quick ritual", end to end: seconds until the first line."""
    room = house.room("default")
    asked = time.perf_counter()
    room.utter("start the quick ritual")
    heard(room, WELCOME)
    return time.perf_counter() - asked


@pytest.mark.broker
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the dialogue manager's, on bad input
def test_ten_thousand_malformed_messages_over_the_broker(
        fuzz_house: House, figures: Figures) -> None:
    began = time.perf_counter()
    hearth = fuzz_house.hearth
    assert hearth.process is not None
    rng = random.Random(SEED + 1)
    batch = [m for m in messages(rng, TOPICS, BULK, mqtt_safe=True, near_miss=False,
                                 counted=malformed,
                                 huge=(hermes.MAX_PAYLOAD + 1, 300_000, 1_000_000))
             if malformed(m)]
    assert len(batch) >= BULK + 4, len(batch)
    # The same messages in process first: how many drops and internal errors to expect.
    replayed, expected_drops, expected_errors = replay(batch)
    # Rhasspy's dialogue manager runs in this process and reads some of these topics too
    # (and logs its own tracebacks for them).
    with watching("rhasspydialogue_hermes") as dialogue_manager, watching("asyncio"):
        published, disconnects = flood(fuzz_house.broker.port, batch, hearth, expected_drops)
        alive = hearth.process.poll() is None
        assert alive, "hearth run died:\n" + "".join(hearth.log[-40:])
        rss = peak_rss_mb(hearth.process.pid)
        answered = start_quick_ritual(fuzz_house)
        time.sleep(0.5)  # a late drop would show up now
        gc.collect()  # the dialogue manager's failed tasks say so when collected
    warnings, errors = hearth_drops(hearth)
    tracebacks = hearth.text().count("Traceback (most recent call last)")
    with figures():
        print(
            f"\nfuzz broker: {len(batch):,} messages, "
            f"{sum(len(m.payload) for m in batch) / 1e6:.1f} MB, "
            f"{len({m.topic for m in batch})} topics ({len(replayed.covered())}/"
            f"{len(hermes.subscriptions())} subscriptions hit), published in {published:.1f} s; "
            f"hearth alive: {alive}; dropped={warnings + errors} (from hearth's log: {warnings} "
            f"'dropped' warnings + {errors} internal errors [{tracebacks} tracebacks]; the "
            f"in-process replay expected {expected_drops}; known bugs hit: "
            f"{dict(replayed.known) or 'none'}); publisher disconnected {len(disconnects)} "
            f"times; Rhasspy's dialogue manager logged {len(dialogue_manager.errors)} errors; "
            f"hearth peak RSS {rss:.0f} MB; longest log line "
            f"{max(len(line) for line in hearth.log):,} chars; '{WELCOME}' heard "
            f"{answered:.1f} s after the wake word; {time.perf_counter() - began:.1f} s in all"
        )
    assert not disconnects, "Mosquitto closed the fuzzer's connection: a topic it refuses"
    assert (warnings + errors, errors) == (expected_drops, expected_errors)
    assert tracebacks == errors
    assert replayed.covered() == hermes.subscriptions()


# -- the bugs this suite found (all fixed), kept as regression tests -------------------------


def one_message(topic: str, payload: bytes, library: Library | None = None
                ) -> tuple[World, Probe]:
    world = World(library or mini_library())
    with watching() as found:
        world.adapter.on_message(topic, payload)
    return world, found


@pytest.mark.parametrize("topic, payload", [
    (STARTED, b'{"sessionId": "s1", "siteId": "default\\n"}'),
    ("hermes/intent/HearthListRituals",
     b'{"intent": {"intentName": "HearthListRituals"}, "siteId": "kitchen\\n"}'),
    ("hermes/audioServer/default\n/playFinished", b'{"id": "x"}'),
])
def test_bug_a_site_id_with_a_trailing_newline_is_dropped(topic: str, payload: bytes) -> None:
    world, _ = one_message(topic, payload)
    assert world.adapter.dropped == 1
    assert not any(site.endswith("\n") for site in world.adapter.sites)


def test_bug_b_a_huge_integer_confidence_is_a_clean_drop() -> None:
    payload = b'{"intent": {"intentName": "HearthStop", "confidenceScore": 1' + b"0" * 400 + b"}}"
    _, found = one_message("hermes/intent/HearthStop", payload)
    assert found.errors == [] and found.drops == 1


@pytest.mark.parametrize("minutes", ["²", "①"])
def test_bug_c_snooze_minutes_that_are_digits_but_not_decimal(minutes: str) -> None:
    payload = json.dumps({"intent": {"intentName": "HearthSnooze"}, "siteId": "default",
                          "slots": [{"slotName": "minutes", "value": {"value": minutes}}]})
    world, found = one_message("hermes/intent/HearthSnooze", payload.encode())
    assert found.errors == []
    assert world.spoken(world.new()) == ["There's nothing to put off right now."]


def test_bug_c_schedule_minute_that_is_a_digit_but_not_decimal() -> None:
    slots = {"ritual": "mini", "days": "every sunday", "hour": "8", "minute": "²"}
    payload = json.dumps({
        "intent": {"intentName": "HearthScheduleRitual"}, "siteId": "default",
        "slots": [{"slotName": k, "value": {"value": v}} for k, v in slots.items()],
    })
    world, found = one_message("hermes/intent/HearthScheduleRitual", payload.encode())
    assert found.errors == []
    assert world.spoken(world.new()) != []


def test_bug_d_a_session_id_with_a_lone_surrogate() -> None:
    payload = b'{"intent": {"intentName": "HearthHistory"}, "sessionId": "\\ud800"}'
    _, found = one_message("hermes/intent/HearthHistory", payload)
    assert found.errors == []  # dropped as malformed, or acted on: but no crash


@pytest.mark.parametrize("reason", [b"[]", b"{}", b'["nominal"]'])
def test_bug_e_an_unhashable_termination_reason_is_a_clean_drop(reason: bytes) -> None:
    payload = b'{"termination": {"reason": ' + reason + b'}, "sessionId": "s1"}'
    _, found = one_message(ENDED, payload)
    assert found.errors == [] and found.drops == 1


def test_bug_f_sessions_that_never_end_do_not_grow_memory_without_bound() -> None:
    world = World(mini_library())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(10_000):
            world.deliver(STARTED, json.dumps({"sessionId": f"{n}-" + "x" * 5_000,
                                               "siteId": "default"}))
            world.loop.advance(1.0)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 10e6, f"{grown / 1e6:.0f} MB kept for {10_000} sessions that never ended"

