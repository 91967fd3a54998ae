"""A text satellite: stands in for a Rhasspy satellite's speaker and microphone.

It plays the parts a room's hardware plays around Rhasspy's dialogue manager:

* **text to speech** — ``hermes/tts/say`` is shown as text, then ``sayFinished`` is sent;
* **audio output** — ``playBytes`` is shown as a chime, then ``playFinished`` is sent;
* **wake word and speech recognition** — a typed sentence is a wake word followed by that
  sentence (``hotword/…/detected``, then ``asr/textCaptured`` for the session the dialogue
  manager opens), or just the sentence when a question's session is already listening;
* **NLU**, when given a recogniser — ``nlu/query`` is answered with the intent that
  ``rhasspy-nlu`` finds (or ``intentNotRecognized``), trained from the same sentences the
  real assistant gets.

``hearth demo`` prints what it hears; the tests record it. Every message is built with the
``rhasspy-hermes`` classes, as a real satellite's would be.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from rhasspyhermes.asr import AsrStartListening, AsrStopListening, AsrTextCaptured
from rhasspyhermes.audioserver import AudioPlayBytes, AudioPlayFinished
from rhasspyhermes.dialogue import DialogueSessionEnded
from rhasspyhermes.intent import Intent as HermesIntent
from rhasspyhermes.intent import Slot
from rhasspyhermes.nlu import NluIntent, NluIntentNotRecognized, NluQuery
from rhasspyhermes.tts import TtsSay, TtsSayFinished
from rhasspyhermes.wake import HotwordDetected

from skill.recognizer import Recognizer
from skill.timeline import speech_seconds

WAKEWORD = "default"


def as_transcribed(text: str) -> str:
    """Typed text as a speech recogniser would deliver it: lower case, words only.

    Rhasspy's NLU service does not fold case by default, so "I'm Done!" typed as-is would
    work in the demo and fail on the speaker.
    """
    kept = "".join(c if c.isalnum() or c in "' " else " " for c in text.lower())
    return " ".join(kept.replace("’", "'").split())


@dataclass
class Heard:
    """What the satellite's speaker put out: a line (``kind`` "say") or a "chime"."""

    kind: str
    text: str
    session_id: str | None = None


@dataclass
class Satellite:
    """One room's speaker and microphone, over MQTT."""

    host: str
    port: int
    site_id: str = "default"
    recognizer: Recognizer | None = None
    show: Callable[[Heard], None] = lambda heard: None
    heard: list[Heard] = field(default_factory=list)
    listening: str | None = None
    """The session whose microphone is open, if one is."""
    answer_speech: bool = True
    """Answer ``say`` at once; False holds every line "being spoken" until :meth:`release`."""
    pace: float = 0.0
    """Seconds of "speaking" per second a voice would take (0: lines end at once)."""

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._pending: list[str] = []
        self._waking: str | None = None
        """The session our wake word opens (its id is ours to choose); the typed sentence
        goes into it, and the next one waits until it is over."""
        self._ended: deque[str] = deque(maxlen=64)
        """Sessions over on this site. Rhasspy's dialogue manager may still send
        ``startListening`` for a question a wake word aborted while its line was being
        spoken; a microphone opened for it would catch words meant for the next session."""
        self._held: list[TtsSay] = []
        self.client = mqtt.Client(client_id=f"satellite-{self.site_id}-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._connected = threading.Event()

    # -- connection ---------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Satellite:
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        if not self._connected.wait(timeout):
            raise TimeoutError(f"the satellite could not connect to {self.host}:{self.port}")
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: int) -> None:
        topics = [
            TtsSay.topic(),
            AudioPlayBytes.topic(site_id=self.site_id),
            AsrStartListening.topic(),
            AsrStopListening.topic(),
            DialogueSessionEnded.topic(),
        ]
        if self.recognizer is not None:
            topics.append(NluQuery.topic())
        client.subscribe([(topic, 0) for topic in topics])
        self._connected.set()

    def _publish(self, message: Any, **topic_args: Any) -> None:
        self.client.publish(message.topic(**topic_args), message.payload())

    # -- what comes in ------------------------------------------------------------------

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        if AudioPlayBytes.is_topic(topic):
            if AudioPlayBytes.get_site_id(topic) == self.site_id:
                self._hear(Heard("chime", "chime"))
                self._publish(AudioPlayFinished(id=AudioPlayBytes.get_request_id(topic)),
                              site_id=self.site_id)
            return
        data = json.loads(msg.payload)
        if data.get("siteId", "default") != self.site_id:
            return
        if topic == TtsSay.topic():
            say = TtsSay.from_dict(data)
            self._hear(Heard("say", say.text, say.session_id))
            with self._lock:
                if not self.answer_speech:
                    self._held.append(say)
                    return
            self._said(say)
        elif topic == AsrStartListening.topic():
            session = data.get("sessionId")
            with self._lock:
                if session in self._ended:
                    return
                self.listening = session
                woken = self._pending and session is not None and session == self._waking
                text = self._pending.pop(0) if woken else None
                self._lock.notify_all()
            if text is not None:
                self._capture(text)
        elif topic == DialogueSessionEnded.topic():
            session = data.get("sessionId")
            with self._lock:
                self._ended.append(session)
                if self.listening == session:
                    self.listening = None
                if self._waking is None or session != self._waking:
                    return
                self._waking = None
                more = bool(self._pending)
            if more:
                self._wake()
        elif topic == AsrStopListening.topic():
            with self._lock:
                if self.listening == data.get("sessionId"):
                    self.listening = None
        elif topic == NluQuery.topic():
            self._understand(NluQuery.from_dict(data))

    def _hear(self, heard: Heard) -> None:
        with self._lock:
            self.heard.append(heard)
            self._lock.notify_all()
        self.show(heard)

    def _said(self, say: TtsSay) -> None:
        finished = TtsSayFinished(id=say.id, session_id=say.session_id, site_id=self.site_id)
        if self.pace > 0:
            delay = speech_seconds(say.text) * self.pace
            timer = threading.Timer(delay, self._publish, args=(finished,))
            timer.daemon = True
            timer.start()
        else:
            self._publish(finished)

    def release(self) -> None:
        """Let every held line finish (with ``answer_speech`` False)."""
        with self._lock:
            held, self._held = self._held, []
        for say in held:
            self._said(say)

    def _understand(self, query: NluQuery) -> None:
        assert self.recognizer is not None
        found = self.recognizer.recognize(query.input, query.intent_filter)
        if found is None:
            self._publish(NluIntentNotRecognized(
                input=query.input, site_id=query.site_id, session_id=query.session_id,
                id=query.id,
            ))
            return
        slots = [Slot(entity=name, slot_name=name, value={"kind": "Unknown", "value": value},
                      raw_value=value) for name, value in found.slots.items()]
        self._publish(NluIntent(
            input=found.text, intent=HermesIntent(intent_name=found.intent, confidence_score=1.0),
            site_id=query.site_id, session_id=query.session_id, id=query.id, slots=slots,
            raw_input=query.input,
        ), intent_name=found.intent)

    # -- what goes out ------------------------------------------------------------------

    def utter(self, text: str) -> None:
        """Someone in the room says ``text`` (after the wake word, unless a session listens).

        Sentences are taken one at a time, as a person waits for the assistant to listen.
        """
        with self._lock:
            session = self.listening
            if session is None or self._pending or self._waking is not None:
                self._pending.append(text)
                session = None
            busy = self._waking is not None
        if session is not None:
            self._capture(text)
        elif not busy:
            self._wake()

    def _wake(self) -> None:
        # Named as Rhasspy's dialogue manager would name it, which takes the id it is given.
        session = f"{self.site_id}-{WAKEWORD}-{uuid.uuid4()}"
        with self._lock:
            self._waking = session
        self._publish(HotwordDetected(model_id=WAKEWORD, site_id=self.site_id,
                                      session_id=session), wakeword_id=WAKEWORD)

    def _capture(self, text: str) -> None:
        with self._lock:
            session, self.listening = self.listening, None
        self._publish(AsrTextCaptured(text=as_transcribed(text), likelihood=1.0, seconds=0.5,
                                      site_id=self.site_id, session_id=session))

    def wait_for(self, predicate: Callable[[list[Heard]], bool], timeout: float = 30.0) -> bool:
        """Wait until ``predicate(heard)`` holds; False after ``timeout`` seconds."""
        with self._lock:
            return self._lock.wait_for(lambda: predicate(self.heard), timeout)

    def lines(self) -> list[str]:
        with self._lock:
            return [h.text for h in self.heard if h.kind == "say"]
