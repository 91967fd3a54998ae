"""An in-process transport and a scripted dialogue manager for adapter tests.

Payloads are built with rhasspy-hermes's own classes, as a real dialogue manager and NLU
would send them; what the adapter publishes is decoded with the same classes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fakeloop import FakeLoop
from rhasspyhermes.audioserver import AudioPlayFinished
from rhasspyhermes.dialogue import (
    DialogueIntentNotRecognized,
    DialogueSessionEnded,
    DialogueSessionStarted,
    DialogueSessionTermination,
    DialogueSessionTerminationReason,
)
from rhasspyhermes.intent import Intent as HermesIntent
from rhasspyhermes.intent import Slot
from rhasspyhermes.nlu import NluIntent
from rhasspyhermes.tts import TtsSayFinished

from skill.adapter import Adapter
from skill.hermes import Outgoing
from skill.loader import Library, load_library
from skill.paths import shipped_rituals

Reason = DialogueSessionTerminationReason


@dataclass
class Recorder:
    """The transport: keeps what the adapter published."""

    sent: list[Outgoing] = field(default_factory=list)

    def publish(self, message: Outgoing) -> None:
        self.sent.append(message)


def decoded(message: Outgoing) -> dict[str, Any]:
    return dict(json.loads(message.payload))


class World:
    """An adapter over a fake loop, with helpers that speak as the dialogue manager does."""

    def __init__(self, library: Library | None = None, names: Sequence[str] = ("Alex", "Sam"),
                 site_ids: Sequence[str] = (), seed: int = 0, **adapter_options: Any) -> None:
        self.loop = FakeLoop()
        self.transport = Recorder()
        self.adapter = Adapter(
            library or load_library(shipped_rituals()), self.transport,
            loop=self.loop,  # type: ignore[arg-type]
            names=lambda site: names, site_ids=site_ids, rng=random.Random(seed),
            **adapter_options,
        )
        self.sessions = 0
        self.read = 0

    # -- what the adapter sent --------------------------------------------------------------

    def new(self) -> list[Outgoing]:
        """Messages published since the last call."""
        out = self.transport.sent[self.read:]
        self.read = len(self.transport.sent)
        return out

    def spoken(self, messages: Sequence[Outgoing]) -> list[str]:
        texts = []
        for m in messages:
            if m.topic == "hermes/dialogueManager/startSession":
                texts.append(decoded(m)["init"].get("text") or "")
            elif m.topic == "hermes/dialogueManager/continueSession":
                texts.append(decoded(m).get("text") or "")
        return texts

    # -- speaking as the dialogue manager -----------------------------------------------------

    def deliver(self, topic: str, payload: bytes | str) -> None:
        self.adapter.on_message(topic, payload.encode() if isinstance(payload, str) else payload)

    def started(self, site: str = "default", custom_data: str | None = None) -> str:
        self.sessions += 1
        session_id = f"session-{self.sessions}"
        message = DialogueSessionStarted(session_id=session_id, site_id=site,
                                         custom_data=custom_data)
        self.deliver(DialogueSessionStarted.topic(), message.payload())
        return session_id

    def ended(self, session_id: str, site: str = "default", reason: Reason = Reason.NOMINAL,
              custom_data: str | None = None) -> None:
        message = DialogueSessionEnded(
            termination=DialogueSessionTermination(reason=reason), session_id=session_id,
            site_id=site, custom_data=custom_data,
        )
        self.deliver(DialogueSessionEnded.topic(), message.payload())

    def played(self, session_id: str, site: str = "default") -> None:
        """The text-to-speech service reports the line played (``sayFinished``)."""
        message = TtsSayFinished(id="tts-1", session_id=session_id, site_id=site)
        self.deliver(TtsSayFinished.topic(), message.payload())

    def not_recognized(self, session_id: str, site: str = "default") -> None:
        message = DialogueIntentNotRecognized(session_id=session_id, site_id=site, input="mumble")
        self.deliver(DialogueIntentNotRecognized.topic(), message.payload())

    def play_finished(self, request_id: str, site: str = "default") -> None:
        self.deliver(AudioPlayFinished.topic(site_id=site),
                     AudioPlayFinished(id=request_id).payload())

    def intent(self, name: str, site: str = "default", session_id: str | None = None,
               slots: dict[str, str] | None = None, text: str = "secret words") -> None:
        message = NluIntent(
            input=text, raw_input=text,
            intent=HermesIntent(intent_name=name, confidence_score=1.0),
            site_id=site, session_id=session_id,
            slots=[Slot(entity=k, slot_name=k, value={"kind": "Unknown", "value": v},
                        raw_value=v) for k, v in (slots or {}).items()],
        )
        self.deliver(NluIntent.topic(intent_name=name), message.payload())

    def wake(self, name: str, site: str = "default", **kwargs: Any) -> None:
        """Wake word, an utterance, the intent: as a fresh session the skill must end."""
        session_id = self.started(site, custom_data="default")
        self.intent(name, site, session_id=session_id, **kwargs)
        ends = [m for m in self.transport.sent[self.read:]
                if m.topic == "hermes/dialogueManager/endSession"]
        assert any(decoded(m)["sessionId"] == session_id for m in ends), "session not ended"
        self.ended(session_id, site, custom_data="default")

    def finish_output(self, site: str = "default") -> list[Outgoing]:
        """Let whatever was last sent to ``site`` run its course; returns what came next."""
        last = [m for m in self.transport.sent if _site_of(m) == site][-1]
        if "/playBytes/" in last.topic:
            self.play_finished(last.topic.rsplit("/", 1)[1], site)
        elif last.topic == "hermes/dialogueManager/startSession":
            data = decoded(last)
            if data["init"]["type"] == "notification":
                self.ended(self.started(site), site)
            else:
                raise AssertionError("the last output is a question: answer it")
        return self.new()


def _site_of(message: Outgoing) -> str | None:
    if "/audioServer/" in message.topic:
        return message.topic.split("/")[2]
    try:
        value = json.loads(message.payload).get("siteId")
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, str) else None
