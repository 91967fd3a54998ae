"""Hermes messages in and out, as ``rhasspy-hermes`` classes behind small typed helpers.

Outgoing messages are built from the library's classes, so topics and payload shapes are
exactly Rhasspy's, and serialised by a walk over their fields that gives the very bytes
their own ``payload()`` gives, several times faster. Incoming messages are checked field
by field and built into the same classes without going through ``dataclasses-json``
(which costs 0.4 to 0.9 ms a message): a malformed message raises
:class:`MalformedMessage`, which the adapter logs and drops.

Privacy: the text of an utterance (``input``, ``rawInput``, ``asrTokens``) is never copied
into the objects built here, so it cannot reach a log or a file by accident.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from dataclasses_json import cfg as dataclasses_json_cfg
from rhasspyhermes.audioserver import AudioPlayBytes, AudioPlayFinished
from rhasspyhermes.dialogue import (
    DialogueAction,
    DialogueContinueSession,
    DialogueEndSession,
    DialogueIntentNotRecognized,
    DialogueNotification,
    DialogueSessionEnded,
    DialogueSessionStarted,
    DialogueSessionTermination,
    DialogueSessionTerminationReason,
    DialogueStartSession,
)
from rhasspyhermes.intent import Intent as HermesIntent
from rhasspyhermes.intent import Slot
from rhasspyhermes.nlu import NluIntent
from rhasspyhermes.tts import TtsSayFinished

from skill.errors import HearthError
from skill.intents import Intent

MAX_PAYLOAD = 64 * 1024
"""Hermes JSON messages are small; anything larger is refused before it is parsed."""
SITE_ID = re.compile(r"^[\w.:-]{1,64}\Z")
"""Site ids become parts of topics we publish to, so no '/', '+', '#' or spaces."""
CUSTOM_DATA_PREFIX = "hearth:"

INTENT_TOPIC = re.compile(r"^hermes/intent/([^/]+)\Z")
PLAY_FINISHED_TOPIC = re.compile(r"^hermes/audioServer/([^/]+)/playFinished\Z")



class MalformedMessage(HearthError):
    """An incoming message that is not what its topic promises. Logged and dropped."""

    def __init__(self, topic: str, reason: str) -> None:
        self.topic = topic
        self.reason = reason
        super().__init__(f"malformed message on {topic[:120]!r}: {reason}")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish."""

    topic: str
    payload: bytes


# -- serialising ----------------------------------------------------------------------------
#
# ``Message.payload()`` is dataclasses-json's ``to_json``: it deep-copies every value and
# looks up each field's configuration on every call (some 25 to 55 µs a message). The same
# JSON comes from walking the dataclass fields once we know each field's key: its
# ``letter_case`` from the class and field configuration, exactly as dataclasses-json reads
# them. A class whose configuration does anything more (an encoder, an exclusion, undefined
# parameters), or a value of a type not walked here, goes through ``payload()`` as before.
# tests/test_hermes_fast.py checks the two agree byte for byte.


class _NotPlain(Exception):
    """This message needs dataclasses-json itself."""


_KEYS: dict[type, tuple[tuple[str, str], ...] | None] = {}
_SCALARS = (str, int, float, bool, type(None))
_JSON = json.JSONEncoder(ensure_ascii=False)
"""``json.dumps(..., ensure_ascii=False)``, as ``payload()`` calls it, without a new encoder
each time."""


def _keys(cls: type) -> tuple[tuple[str, str], ...] | None:
    """(attribute, JSON key) for each field of ``cls``, or None if it needs the library."""
    try:
        return _KEYS[cls]
    except KeyError:
        pass
    class_config: Mapping[str, Any] = getattr(cls, "dataclass_json_config", None) or {}
    keys: list[tuple[str, str]] | None = []
    if class_config.get("undefined") is not None:
        keys = None
    for item in dataclasses.fields(cls):
        config = {**class_config, **item.metadata.get("dataclasses_json", {})}
        if keys is None or config.get("encoder") is not None \
                or config.get("exclude") is not None:
            keys = None
            break
        letter_case = config.get("letter_case")
        keys.append((item.name, letter_case(item.name) if letter_case else item.name))
    _KEYS[cls] = result = None if keys is None else tuple(keys)
    return result


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data, as dataclasses-json's ``to_dict`` would give it."""
    if isinstance(value, _SCALARS):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return _plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        keys = _keys(type(value))
        if keys is None:
            raise _NotPlain
        return {key: _plain(getattr(value, name)) for name, key in keys}
    if isinstance(value, Mapping):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    raise _NotPlain


def _encode(message: Any) -> bytes:
    if not dataclasses_json_cfg.global_config.encoders:
        try:
            return _JSON.encode(_plain(message)).encode("utf-8")
        except _NotPlain:
            pass
    payload = message.payload()
    return payload if isinstance(payload, bytes) else payload.encode("utf-8")


# -- outgoing -------------------------------------------------------------------------------


def notification(site_id: str, text: str) -> Outgoing:
    """Speak ``text``: a notification session; its ``sessionEnded`` means it was spoken."""
    message = DialogueStartSession(init=DialogueNotification(text=text), site_id=site_id)
    return Outgoing(DialogueStartSession.topic(), _encode(message))


def question(site_id: str, text: str, intent_filter: Sequence[str], custom_data: str) -> Outgoing:
    """Ask and listen: an action session limited to ``intent_filter``."""
    action = DialogueAction(
        can_be_enqueued=True,
        text=text,
        intent_filter=list(intent_filter),
        send_intent_not_recognized=True,
    )
    message = DialogueStartSession(init=action, site_id=site_id, custom_data=custom_data)
    return Outgoing(DialogueStartSession.topic(), _encode(message))


def ask_again(session_id: str, text: str, intent_filter: Sequence[str],
              custom_data: str) -> Outgoing:
    """Ask once more in a session that is still open (after "not recognised")."""
    message = DialogueContinueSession(
        session_id=session_id,
        text=text,
        intent_filter=list(intent_filter),
        send_intent_not_recognized=True,
        custom_data=custom_data,
    )
    return Outgoing(DialogueContinueSession.topic(), _encode(message))


def end_session(session_id: str, text: str | None = None) -> Outgoing:
    message = DialogueEndSession(session_id=session_id, text=text)
    return Outgoing(DialogueEndSession.topic(), _encode(message))


def play_bytes(site_id: str, request_id: str, wav: bytes) -> Outgoing:
    # AudioPlayBytes' payload is the WAV itself; its class gives the topic.
    return Outgoing(AudioPlayBytes.topic(site_id=site_id, request_id=request_id), wav)


def subscriptions() -> list[str]:
    """Every topic the skill listens on."""
    return [
        *(NluIntent.topic(intent_name=intent.value) for intent in Intent),
        DialogueSessionStarted.topic(),
        DialogueSessionEnded.topic(),
        DialogueIntentNotRecognized.topic(),
        AudioPlayFinished.topic(site_id="+"),
        TtsSayFinished.topic(),
    ]


# -- incoming -------------------------------------------------------------------------------


def _load(topic: str, payload: bytes) -> Mapping[str, Any]:
    if len(payload) > MAX_PAYLOAD:
        raise MalformedMessage(topic, f"payload of {len(payload)} bytes is too large")
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        raise MalformedMessage(topic, "payload is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedMessage(topic, "payload is not a JSON object")
    return data


def _text(topic: str, data: Mapping[str, Any], key: str, *, required: bool = False,
          default: str | None = None) -> str | None:
    value = data.get(key, default)
    if value is None:
        if required:
            raise MalformedMessage(topic, f"{key!r} is missing")
        return None
    if not isinstance(value, str):
        raise MalformedMessage(topic, f"{key!r} is not a string")
    try:
        value.encode("utf-8")  # a lone surrogate would fail later, when echoed back
    except UnicodeEncodeError:
        raise MalformedMessage(topic, f"{key!r} is not valid text") from None
    return value


def _site(topic: str, data: Mapping[str, Any]) -> str:
    site_id = _text(topic, data, "siteId", default="default") or "default"
    if not SITE_ID.match(site_id):
        raise MalformedMessage(topic, "'siteId' is not a plain site name")
    return site_id


def parse_intent(topic: str, payload: bytes) -> NluIntent:
    """``hermes/intent/<name>`` → an :class:`NluIntent` without the spoken text."""
    data = _load(topic, payload)
    intent = data.get("intent")
    if not isinstance(intent, dict):
        raise MalformedMessage(topic, "'intent' is not an object")
    name = _text(topic, intent, "intentName", required=True)
    topic_match = INTENT_TOPIC.match(topic)
    if topic_match is None or name != topic_match.group(1):
        raise MalformedMessage(topic, "the intent name does not match the topic")
    confidence = intent.get("confidenceScore", 1.0)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise MalformedMessage(topic, "'confidenceScore' is not a number")
    try:
        confidence = float(confidence)
    except OverflowError:
        raise MalformedMessage(topic, "'confidenceScore' is out of range") from None
    raw_slots = data.get("slots") or []
    if not isinstance(raw_slots, list):
        raise MalformedMessage(topic, "'slots' is not a list")
    slots = []
    for raw in raw_slots[:32]:
        if not isinstance(raw, dict):
            raise MalformedMessage(topic, "a slot is not an object")
        slot_name = _text(topic, raw, "slotName", required=True)
        value = raw.get("value")
        if not isinstance(value, dict) or "value" not in value:
            raise MalformedMessage(topic, "a slot has no value object")
        slots.append(Slot(entity=_text(topic, raw, "entity") or slot_name or "",
                          value={"value": value["value"]}, slot_name=slot_name or ""))
    return NluIntent(
        input="",
        intent=HermesIntent(intent_name=name or "", confidence_score=float(confidence)),
        site_id=_site(topic, data),
        session_id=_text(topic, data, "sessionId"),
        custom_data=_text(topic, data, "customData"),
        slots=slots,
    )


def slot_text(intent: NluIntent, name: str) -> str | None:
    """A slot's value as text, if the intent has it and it is a plain value."""
    for slot in intent.slots or ():
        if slot.slot_name == name:
            value = slot.value.get("value")
            if isinstance(value, str):
                return value.strip()
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            return None
    return None


def parse_session_started(topic: str, payload: bytes) -> DialogueSessionStarted:
    data = _load(topic, payload)
    return DialogueSessionStarted(
        session_id=_text(topic, data, "sessionId", required=True) or "",
        site_id=_site(topic, data),
        custom_data=_text(topic, data, "customData"),
    )


_REASONS = {reason.value: reason for reason in DialogueSessionTerminationReason}


def parse_session_ended(topic: str, payload: bytes) -> DialogueSessionEnded:
    data = _load(topic, payload)
    termination = data.get("termination")
    if not isinstance(termination, dict):
        raise MalformedMessage(topic, "'termination' is not an object")
    word = termination.get("reason")
    reason = _REASONS.get(word) if isinstance(word, str) else None
    if reason is None:
        raise MalformedMessage(topic, "'termination.reason' is not a known reason")
    return DialogueSessionEnded(
        termination=DialogueSessionTermination(reason=reason),
        session_id=_text(topic, data, "sessionId", required=True) or "",
        site_id=_site(topic, data),
        custom_data=_text(topic, data, "customData"),
    )


def parse_not_recognized(topic: str, payload: bytes) -> DialogueIntentNotRecognized:
    data = _load(topic, payload)
    return DialogueIntentNotRecognized(
        session_id=_text(topic, data, "sessionId", required=True) or "",
        site_id=_site(topic, data),
        custom_data=_text(topic, data, "customData"),
    )


def parse_play_finished(topic: str, payload: bytes) -> tuple[str, AudioPlayFinished]:
    """The site (from the topic) and the message."""
    match = PLAY_FINISHED_TOPIC.match(topic)
    if match is None or not SITE_ID.match(match.group(1)):
        raise MalformedMessage(topic, "not a playFinished topic for a plain site name")
    data = _load(topic, payload)
    return match.group(1), AudioPlayFinished(
        id=_text(topic, data, "id"), session_id=_text(topic, data, "sessionId")
    )


Parser = Callable[[str, bytes], object]
FIXED_TOPICS: dict[str, Parser] = {
    DialogueSessionStarted.topic(): parse_session_started,
    DialogueSessionEnded.topic(): parse_session_ended,
    DialogueIntentNotRecognized.topic(): parse_not_recognized,
}


def parse_say_finished(topic: str, payload: bytes) -> TtsSayFinished:
    """``hermes/tts/sayFinished``: a line really was played (its session tells which)."""
    data = _load(topic, payload)
    return TtsSayFinished(
        id=_text(topic, data, "id"),
        session_id=_text(topic, data, "sessionId"),
        site_id=_site(topic, data),
    )
