"""End to end with Rhasspy's own services in front of Hearth.

Between the text satellite (the room's microphone and speaker) and ``hearth run`` stand the
real ``rhasspy-nlu-hermes`` 0.5.1 and ``rhasspy-dialogue-hermes`` 0.6.1 from PyPI, each run
as a process of its own from ``.venv-rhasspy`` (``scripts/rhasspy-venv``), on a Mosquitto
of their own. The satellite has no recogniser here: every intent Hearth gets was found by
Rhasspy's NLU service in the intent graph Hearth compiles from its own sentences
(``Recognizer.write_graph``), the same graph, node for node, that the service's own
rhasspy-nlu 0.3 compiles from the ``sentences.ini`` and slot files of ``write_files``
(:func:`test_hearths_graph_is_the_one_rhasspy_compiles`).

Text goes in as a microphone would deliver it: a wake word, then ``asr/textCaptured`` for
the session the dialogue manager opens, or for the question's session when one listens. It
is typed in lower case, as a speech recogniser trained on Hearth's sentences hands it over:
rhasspy-nlu-hermes with its default ``--casing ignore`` does not fold case, so "I'm done"
would not be recognised where "i'm done" is.

The broker and the two services serve the whole module; each test has its own ``hearth
run`` and its own site id, so nothing a test leaves open reaches the next.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from conftest import HOST, TEST_RITUALS, HearthProcess, Mosquitto, run_hearth
from rhasspyhermes.dialogue import DialogueNotification, DialogueSessionEnded, DialogueStartSession
from rhasspyhermes.nlu import NluIntentNotRecognized, NluQuery

from skill.loader import load_library
from skill.nlu import build_sentences, write_files
from skill.recognizer import train
from skill.satellite import Heard, Satellite

pytestmark = pytest.mark.broker

PAUSED = "Paused. Say resume when you're ready."
RESUMED = "Let's carry on."
REASK = "Sorry, I didn't catch that. Shall we go on?"


# -- Rhasspy's services ---------------------------------------------------------------------


@dataclass
class Service:
    """One Rhasspy service, ``python -m MODULE``, in a process of its own."""

    module: str
    args: list[str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, python: Path) -> Service:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(python), "-m", self.module, *self.args],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self, lines: int = 25) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {self.module} (last {lines} lines) ---\n" + "\n".join(
            text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def probe(port: int, services: list[Service], reply_topic: str,
          ask: Callable[[mqtt.Client], None], answered: Callable[[dict[str, object]], bool],
          timeout: float = 30.0) -> None:
    """Ask the services something until they answer: they are connected and subscribed."""
    got = []

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if answered(json.loads(msg.payload)):
            got.append(True)

    client = mqtt.Client(client_id=f"e2e-probe-{uuid.uuid4().hex[:8]}")
    client.on_message = on_message
    client.connect(HOST, port)
    client.subscribe(reply_topic)
    client.loop_start()
    try:
        deadline = time.monotonic() + timeout
        while not got:
            for service in services:
                assert service.alive(), f"{service.module} exited:\n{service.log()}"
            assert time.monotonic() < deadline, "Rhasspy's services never answered:\n" + (
                "\n".join(service.log() for service in services))
            ask(client)
            time.sleep(0.3)
    finally:
        client.loop_stop()
        client.disconnect()


@dataclass
class Rhasspy:
    """Mosquitto with Rhasspy's NLU and dialogue manager services on it."""

    broker: Mosquitto
    nlu: Service
    dialogue: Service

    def logs(self) -> str:
        return f"{self.nlu.log()}\n{self.dialogue.log()}"


@pytest.fixture(scope="module")
def rhasspy(rhasspy_python: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Rhasspy]:
    folder = tmp_path_factory.mktemp("rhasspy")
    graph = folder / "intent_graph.pickle.gz"
    train(build_sentences(load_library(TEST_RITUALS))).write_graph(graph)
    (folder / "mosquitto").mkdir()
    broker = Mosquitto(folder / "mosquitto").start()
    mqtt_args = ["--host", HOST, "--port", str(broker.port), "--debug"]
    nlu = Service("rhasspynlu_hermes", ["--intent-graph", str(graph), *mqtt_args],
                  folder / "nlu.log")
    dialogue = Service("rhasspydialogue_hermes", mqtt_args, folder / "dialogue.log")
    services = [nlu.start(rhasspy_python), dialogue.start(rhasspy_python)]
    try:
        # The NLU service loads the graph at its first query: this one loads it.
        query_id = uuid.uuid4().hex
        probe(broker.port, services, NluIntentNotRecognized.topic(),
              lambda c: c.publish(NluQuery.topic(), NluQuery(
                  input="readiness probe", id=query_id, site_id="e2e-probe").payload()),
              lambda data: data.get("id") == query_id)
        site = f"e2e-probe-{uuid.uuid4().hex[:8]}"
        probe(broker.port, services, DialogueSessionEnded.topic(),
              lambda c: c.publish(DialogueStartSession.topic(), DialogueStartSession(
                  init=DialogueNotification(text=""), site_id=site).payload()),
              lambda data: data.get("siteId") == site)
        yield Rhasspy(broker, nlu, dialogue)
    finally:
        for service in services:
            service.stop()
        broker.stop()


# -- a room: the satellite, and what was said in it -----------------------------------------


@dataclass
class Room:
    rhasspy: Rhasspy
    hearth: HearthProcess
    satellite: Satellite
    said: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        """Someone says ``text``: into the listening question, or after the wake word."""
        self.said.append(text)
        self.satellite.utter(text)

    def lines(self) -> list[str]:
        return self.satellite.lines()

    def explain(self) -> str:
        return f"heard {self.lines()}\n{self.rhasspy.logs()}"

    def hear(self, text: str, count: int = 1, timeout: float = 30.0) -> None:
        ok = self.satellite.wait_for(lambda h: [x.text for x in h].count(text) >= count,
                                     timeout)
        assert ok, f"never heard {text!r} (x{count}); {self.explain()}"

    def hear_start(self, prefix: str, timeout: float = 30.0) -> str:
        ok = self.satellite.wait_for(
            lambda h: any(x.text.startswith(prefix) for x in h), timeout)
        assert ok, f"never heard a line starting {prefix!r}; {self.explain()}"
        return next(line for line in self.lines() if line.startswith(prefix))

    def listening(self, timeout: float = 15.0) -> str:
        """The session of the question that now listens."""
        deadline = time.monotonic() + timeout
        while (session := self.satellite.listening) is None:
            assert time.monotonic() < deadline, f"no question listens; {self.explain()}"
            time.sleep(0.02)
        return session

    def asked_in(self, text: str) -> str | None:
        """The session a line was last spoken in."""
        sessions = [h.session_id for h in self.satellite.heard if h.text == text]
        return sessions[-1] if sessions else None

    def assert_private(self) -> None:
        """Nothing anyone said, nor the messages carrying it, is in Hearth's log.

        Hearth logs the lines it speaks ("Say resume when you're ready" holds "resume"), so
        those are taken out first; every sentence is then looked for as whole words, in
        any case.
        """
        log = self.hearth.text()
        assert "hearth: serving" in log  # the log is really being read
        for line in sorted(set(self.lines()), key=len, reverse=True):
            log = log.replace(line, "")
        for sentence in self.said:
            found = re.search(rf"(?<!\w){re.escape(sentence)}(?!\w)", log, re.IGNORECASE)
            assert found is None, f"{sentence!r} is in Hearth's log:\n{self.hearth.text()}"
        assert '"input"' not in log and "rawInput" not in log
        # Nor in the data files (the database and anything beside it).
        files = [p for p in Path(self.hearth.env["HEARTH_DATA_DIR"]).rglob("*") if p.is_file()]
        assert files, "no data file to look into"
        for path in files:
            content = path.read_bytes().decode("utf-8", "replace")
            for sentence in self.said:
                if len(sentence.split()) < 2:
                    continue  # a lone "yes" or "no" is a word any file may hold
                found = re.search(rf"(?<!\w){re.escape(sentence)}(?!\w)", content, re.IGNORECASE)
                assert found is None, f"{sentence!r} is in {path}"


@pytest.fixture
def room(rhasspy: Rhasspy, hearth_factory: list[HearthProcess], tmp_path: Path
         ) -> Iterator[Room]:
    for service in (rhasspy.nlu, rhasspy.dialogue):
        assert service.alive(), f"{service.module} has exited:\n{service.log()}"
    hearth = run_hearth(hearth_factory, rhasspy.broker.port, tmp_path / "data")
    site = f"room-{uuid.uuid4().hex[:8]}"  # a site of its own: nothing left open reaches it
    satellite = Satellite(HOST, rhasspy.broker.port, site).start()  # no recogniser
    yield Room(rhasspy, hearth, satellite)
    satellite.stop()


def spoken(heard: list[Heard]) -> list[str]:
    """What the speaker put out, chimes included, in order."""
    return [h.text if h.kind == "say" else "(chime)" for h in heard]


# -- the scenarios ----------------------------------------------------------------------------


def test_a_whole_ritual_with_an_answer_in_the_questions_session(room: Room) -> None:
    room.say("start the quick ritual")
    room.hear("Are you ready?")
    session = room.listening()
    assert session == room.asked_in("Are you ready?"), "the question listens in its session"
    room.say("yes")
    room.hear("Goodbye, Alex and Sam.")
    heard = spoken(room.satellite.heard)
    first = "Alex" if heard.index("Alex, your turn.") < heard.index("Sam, your turn.") else "Sam"
    second = "Sam" if first == "Alex" else "Alex"
    assert heard == [
        "Welcome, Alex and Sam.", "(chime)", "Are you ready?", "Good.",
        f"{first}, your turn.", "Nearly done.", f"{second}, your turn.", "Nearly done.",
        "Goodbye, Alex and Sam.",
    ]
    assert room.hearth.wait_log("ritual quick finished")
    room.assert_private()


def test_pause_resume_and_time_left_then_no(room: Room) -> None:
    room.say("start the calm ritual")
    room.hear("Let's begin.")
    time.sleep(1.0)  # a second into the six-second talk
    room.say("pause")
    room.hear(PAUSED)
    time.sleep(1.0)
    room.say("resume")
    room.hear(RESUMED)
    room.hear("Shall we go on?", timeout=20)
    room.listening()
    room.say("how much time is left")
    left = room.hear_start("About ")
    room.hear("Shall we go on?", count=2)  # asked again after the answer
    session = room.listening()
    assert session == room.asked_in("Shall we go on?")
    room.say("no")
    room.hear("Then we stop here.")
    assert room.hearth.wait_log("ritual calm finished")
    lines = room.lines()
    assert lines == [
        "Let's begin.", PAUSED, RESUMED, "Two seconds.", "Shall we go on?",
        left, "Shall we go on?", "Then we stop here.",
    ]
    assert re.fullmatch(r"About .+ left in the ritual\.", left), left
    room.assert_private()


def test_an_unknown_sentence_to_a_question_is_asked_again(room: Room) -> None:
    room.say("start the calm ritual")
    room.hear("Let's begin.")
    time.sleep(1.0)
    room.say("i'm done")  # on to the question without waiting out the talk
    room.hear("Shall we go on?")
    room.listening()
    room.say("purple elephant")
    room.hear(REASK)
    session = room.listening()
    assert session == room.asked_in(REASK)
    room.say("yes")
    room.hear("On we go.")
    assert room.lines() == ["Let's begin.", "Shall we go on?", REASK, "On we go."]
    room.assert_private()


# -- the graph ---------------------------------------------------------------------------------

COMPILE_WITH_RHASSPY_NLU_03 = """
import json, sys
from pathlib import Path
import rhasspynlu
from rhasspynlu.jsgf import Sentence
profile, graph_path = Path(sys.argv[1]), sys.argv[2]
replacements = {}
for slot in sorted((profile / "slots").iterdir()):
    lines = [line.strip() for line in slot.read_text().splitlines() if line.strip()]
    if lines:
        replacements["$" + slot.name] = [Sentence.parse(line) for line in lines]
intents = rhasspynlu.parse_ini((profile / "sentences.ini").read_text())
ours = rhasspynlu.intents_to_graph(intents, replacements=replacements)
with open(graph_path, "rb") as graph_file:
    hearths = rhasspynlu.gzip_pickle_to_graph(graph_file)
same = (dict(ours.nodes(data=True)) == dict(hearths.nodes(data=True))
        and sorted(map(repr, ours.edges(data=True))) == sorted(map(repr, hearths.edges(data=True)))
        and ours.graph == hearths.graph)
print(json.dumps({"nodes": len(ours), "same": same}))
"""


def test_hearths_graph_is_the_one_rhasspy_compiles(rhasspy_python: Path, tmp_path: Path
                                                    ) -> None:
    """Hearth's graph (rhasspy-nlu 0.4) equals what rhasspy-nlu-hermes's own rhasspy-nlu 0.3
    makes of the sentences and slot files Hearth writes for a Rhasspy profile."""
    files = build_sentences(load_library(TEST_RITUALS))
    write_files(files, tmp_path / "profile")
    graph = tmp_path / "intent_graph.pickle.gz"
    train(files).write_graph(graph)
    done = subprocess.run(
        [str(rhasspy_python), "-c", COMPILE_WITH_RHASSPY_NLU_03, str(tmp_path / "profile"),
         str(graph)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["nodes"] > 100 and result["same"], result
