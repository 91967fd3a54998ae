"""Hostile Hermes traffic for the fuzz tests, and a judge that says which of it Hearth must drop.

* :func:`messages` makes, from a seed, a stream of messages on every topic Hearth subscribes
  to and on near-miss topics: payloads that are not JSON, not UTF-8, too large or too deep,
  fields missing or of every wrong type, hostile site and session ids, unknown termination
  reasons, slot values of every JSON type. Valid templates are built with rhasspy-hermes's
  own classes, as fakehermes.py does.
* :func:`judge` decides, from the Hermes contract as ``skill/hermes.py`` documents it (not
  from its code), what each message is:

  - ``MALFORMED``: it must be dropped and counted in ``Adapter.dropped``;
  - ``VALID``: well formed (if odd); it must not be counted as dropped;
  - ``IRRELEVANT``: not Hearth's business (a topic it does not subscribe to, an intent it
    does not know); ignoring it and dropping it are both fine;
  - ``LENIENT``: malformed only in ways Hearth deliberately tolerates (a field it never reads
    has the wrong type, ``NaN``, a UTF-16 payload Python's json reads anyway, ``slots: false``
    taken as no slots); either outcome is fine, and the tests count both.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from paho.mqtt.client import topic_matches_sub
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

from skill import hermes
from skill.intents import (
    ANSWER_SLOT,
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

MALFORMED = "malformed"
VALID = "valid"
IRRELEVANT = "irrelevant"
LENIENT = "lenient"

STARTED = DialogueSessionStarted.topic()
ENDED = DialogueSessionEnded.topic()
NOT_RECOGNIZED = DialogueIntentNotRecognized.topic()
SAY_FINISHED = TtsSayFinished.topic()
PLAY_FINISHED = AudioPlayFinished.topic(site_id="+")
REASONS = frozenset(reason.value for reason in DialogueSessionTerminationReason)
PLAIN_SITE = re.compile(r"[\w.:-]{1,64}")
"""A plain site name, as hermes.py documents it: used with ``fullmatch``, so nothing may
trail it (not even a newline)."""
MAX_PAYLOAD = hermes.MAX_PAYLOAD
MAX_SLOTS = 32
"""hermes.py reads the first 32 slots; what is wrong after them is tolerated."""

# -- hostile values -------------------------------------------------------------------------

VALID_SITES = ["default", "kitchen", "living_room", "bedroom-2", "room.1", "a:b", "küche",
               "厨房", "x" * 64, "_", "0"]
HOSTILE_SITES = [
    "", "a/b", "+", "#", "x" * 300, "x" * 65, "default\u0000x", "default\n", "\n", "default\r",
    "de fault", "default ", " default", "\t", "default\x07", "../etc", "default/", "🔥",
    "\u202edefault", "\ufeffdefault", "a+b", "a#b", "\x7f", "default\u0085", "\u00a0",
    "default\u2028", "\ud800", "$SYS", "%s%n", "default\x1b[31m", "'", '"', "\\",
]
SITES = VALID_SITES + HOSTILE_SITES

LONG = "long-" + "x" * 5000
HOSTILE_STRINGS = [
    "", " ", "\u0000", "\n", "\r\n", "x" * 300, LONG, "🔥" * 50, "\ud800", "\udfff\ud800",
    "%s%s%n", "{names}", "{speaker}", "{0.__class__}", "${jndi:ldap://127.0.0.1/x}",
    "'; DROP TABLE schedules; --", "\u202e", "\ufeff", "hearth:", "hearth:1", "hearth:-1",
    "hearth:99999999999999999999", "hearth:abc", "hearth:\u0000", "default", "null",
]
SLOT_STRINGS = [
    *HOSTILE_STRINGS, "nosuchritual", "²", "①", "٣", "10", "0", "-5", "1440", "1441",
    "99999999999999999999", "1e308", "nan", "inf", "every sunday at 25", "every weekday",
    "sundays", "monday", "tomorrow", "next week", "am", "pm", "in the evening", "8", "61",
]
LIKELY: dict[str, list[str]] = {
    DAYS_SLOT: ["every sunday", "every weekday", "sundays", "every day", "every monday and "
                "friday", "every weekend", "every", "every funday", "every sunday " * 50],
    HOUR_SLOT: ["8", "eight", "20", "twenty one", "0", "12", "24", "25", "-1", "²", "٣", "7"],
    MINUTE_SLOT: ["30", "0", "07", "59", "60", "99999", "²", "①", "٣", "-5", " 5"],
    PERIOD_SLOT: ["pm", "am", "in the evening", "at night", "in the morning", "xx"],
    DAY_SLOT: ["sunday", "sundays", "Monday", "funday", "s", ""],
    UNTIL_SLOT: ["monday", "tomorrow", "next week", "sundays", "never", " Tomorrow "],
    MINUTES_SLOT: ["10", "30", "0", "1440", "1441", "²", "①", "٣", "-1", "1e3"],
    ANSWER_SLOT: ["yes", "no", "pass", "", "x" * 1000],
}
"""Slot values near what the NLU gives, for the intents that read them."""
SESSION_IDS = ["session-1", "", "x" * 300, "\u0000", "hearth", "../../x", "🔥", "\ud800", LONG]

NAN, INF = float("nan"), float("inf")


def nested_list(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def nested_dict(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"value": value}
    return value


JSON_ODDITIES: list[Any] = [
    None, True, False, 0, 1, -1, 1.5, -0.0, 1e308, -1e308, 2**63, -(2**63) - 1, 10**400,
    NAN, INF, -INF, "", "x", LONG, [], [None], [1, "a"], {}, {"value": None}, {"a": {"b": []}},
    nested_list(50), nested_dict(50),
]
"""One of each JSON type and then some: wrong for nearly every field. NaN and Infinity are
written by ``json.dumps`` as the non-JSON literals ``NaN`` and ``Infinity``."""


def odd(rng: random.Random) -> Any:
    return rng.choice(JSON_ODDITIES + HOSTILE_STRINGS)


# -- topics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topics:
    """Hearth's subscriptions, sorted into what this module knows how to build."""

    fixed: tuple[str, ...]
    """Exact topics other than intents."""
    intents: tuple[str, ...]
    """The intent names Hearth subscribes to (``hermes/intent/<name>``)."""
    wildcards: tuple[str, ...]

    @classmethod
    def of(cls, subscriptions: Sequence[str]) -> Topics:
        fixed, intents, wildcards = [], [], []
        for topic in subscriptions:
            if "+" in topic or "#" in topic:
                wildcards.append(topic)
            elif topic.startswith("hermes/intent/"):
                intents.append(topic.removeprefix("hermes/intent/"))
            else:
                fixed.append(topic)
        return cls(tuple(fixed), tuple(intents), tuple(wildcards))

    def kind(self, topic: str) -> tuple[str, str | None]:
        """What arrives on ``topic``: ("intent", name), (a fixed topic, None),
        ("playFinished", site), ("wildcard", None) for a wildcard this module does not know,
        ("unknown-intent", name) or ("near-miss", None)."""
        if topic in self.fixed:
            return topic, None
        if topic.startswith("hermes/intent/"):
            name = topic.removeprefix("hermes/intent/")
            if name in self.intents:
                return "intent", name
            if "/" not in name:
                return "unknown-intent", name
        for wildcard in self.wildcards:
            if topic_matches_sub(wildcard, topic):
                if wildcard == PLAY_FINISHED:
                    return "playFinished", topic.split("/")[2]
                return "wildcard", None
        return "near-miss", None

    def expand(self, sites: Sequence[str]) -> list[str]:
        """Every subscribed topic, wildcards filled in with each of ``sites``."""
        out = [*self.fixed, *(f"hermes/intent/{name}" for name in self.intents)]
        for wildcard in self.wildcards:
            out += [wildcard.replace("+", site).replace("#", site) for site in sites]
        return out


NEAR_MISS = [
    "hermes/intent/HearthStop/x", "hermes/intent/", "hermes/intent/hearthstop",
    "hermes/intent/HearthStop ", "hermes/intent/HearthStop\n", "hermes/intent/NotHearth",
    "hermes/intent/#", "hermes/intent/+", "Hermes/intent/HearthStop", "/hermes/intent/HearthStop",
    "hermes/dialogueManager/sessionStarted/x", "hermes/dialogueManager/sessionstarted",
    "hermes/dialogueManager/sessionEnded ", "hermes/dialogueManager/sessionEnded\n",
    "hermes/dialogueManager/startSession", "hermes/dialogueManager/intentNotRecognized/",
    "hermes/audioServer/default/playFinished/x", "hermes/audioServer/default/playfinished",
    "hermes/audioServer/default/playFinished\n", "hermes/audioServer/a/b/playFinished",
    "hermes/audioServer/default/playBytes/x", "hermes/tts/sayFinished/x", "hermes/tts/say",
    "hermes/hotword/default/detected", "", "/", "#", "+", "hermes", "hermes/", "\u0000",
    "hermes/intent/HearthStop\u0000",
]
"""Topics that look like Hearth's and are not."""


def mqtt_topic_ok(topic: str) -> bool:
    """Whether a client may publish on ``topic`` without Mosquitto closing the connection:
    UTF-8, no wildcards, no U+0000, no control characters, no non-characters."""
    if not topic or "+" in topic or "#" in topic:
        return False
    try:
        encoded = topic.encode("utf-8")
    except UnicodeEncodeError:
        return False
    if len(encoded) > 65535:
        return False
    for char in topic:
        code = ord(char)
        if code <= 0x1F or 0x7F <= code <= 0x9F or 0xFDD0 <= code <= 0xFDEF \
                or (code & 0xFFFF) in (0xFFFE, 0xFFFF):
            return False
    return True


# -- valid templates ------------------------------------------------------------------------

INTENT_SLOTS: dict[str, tuple[str, ...]] = {
    Intent.START_RITUAL.value: (RITUAL_SLOT,),
    Intent.ANSWER.value: (ANSWER_SLOT,),
    Intent.SCHEDULE.value: (RITUAL_SLOT, DAYS_SLOT, HOUR_SLOT, MINUTE_SLOT, PERIOD_SLOT),
    Intent.CANCEL_SCHEDULE.value: (RITUAL_SLOT, DAY_SLOT),
    Intent.PAUSE_SCHEDULES.value: (UNTIL_SLOT,),
    Intent.SNOOZE.value: (MINUTES_SLOT,),
}


@dataclass
class Builder:
    """Valid payloads (as dicts) for each kind of topic, with odd but legal contents."""

    rng: random.Random
    rituals: Sequence[str] = ()
    """Ritual ids that are loaded: used in the slots of schedule intents, never to start."""
    likely: float = 0.5
    """How often a slot that has them gets one of the ``LIKELY`` values."""

    def site(self) -> str:
        return self.rng.choice(VALID_SITES)

    def session(self) -> str:
        return self.rng.choice([*SESSION_IDS, f"s-{self.rng.randrange(10**6)}"])

    def text(self) -> str | None:
        return self.rng.choice([None, *HOSTILE_STRINGS])

    def slot_value(self, intent: str, slot: str) -> Any:
        rng = self.rng
        if slot == RITUAL_SLOT:
            if intent != Intent.START_RITUAL.value and self.rituals and rng.random() < 0.5:
                return rng.choice(list(self.rituals))
            value = rng.choice(SLOT_STRINGS)
            return value if value not in self.rituals else "nosuchritual"
        roll = rng.random()
        if roll < self.likely and slot in LIKELY:
            return rng.choice(LIKELY[slot])
        if roll < 0.92:
            return rng.choice(SLOT_STRINGS)
        return odd(rng)

    def template(self, kind: str, name: str | None = None) -> dict[str, Any]:
        """A valid payload for a topic of ``kind`` (see :meth:`Topics.kind`)."""
        rng = self.rng
        message: Any
        if kind in ("intent", "unknown-intent"):
            assert name is not None
            slots = [
                Slot(entity=slot, slot_name=slot,
                     value={"kind": "Unknown", "value": self.slot_value(name, slot)},
                     raw_value="raw")
                for slot in INTENT_SLOTS.get(name, ())
                if rng.random() < 0.9
            ]
            message = NluIntent(
                input="secret words", raw_input="secret words",
                intent=HermesIntent(intent_name=name, confidence_score=rng.random()),
                site_id=self.site(), session_id=rng.choice([None, self.session()]),
                custom_data=self.text(), slots=slots,
            )
            data = json.loads(message.payload())
            # rhasspy-hermes refuses non-string values; the wire allows any JSON.
            for slot, raw in zip(slots, data["slots"], strict=True):
                raw["value"]["value"] = slot.value["value"]
            return dict(data)
        if kind == STARTED:
            message = DialogueSessionStarted(session_id=self.session(), site_id=self.site(),
                                             custom_data=self.text())
        elif kind == ENDED:
            reason = rng.choice(list(DialogueSessionTerminationReason))
            message = DialogueSessionEnded(
                termination=DialogueSessionTermination(reason=reason),
                session_id=self.session(), site_id=self.site(), custom_data=self.text(),
            )
        elif kind == NOT_RECOGNIZED:
            message = DialogueIntentNotRecognized(session_id=self.session(), site_id=self.site(),
                                                  input="mumble", custom_data=self.text())
        elif kind == SAY_FINISHED:
            message = TtsSayFinished(id=self.text(), session_id=self.session(),
                                     site_id=self.site())
        elif kind == "playFinished":
            message = AudioPlayFinished(id=self.text(), session_id=self.session())
        else:  # a topic this module has no template for: the fields most messages have
            return {"sessionId": self.session(), "siteId": self.site(), "id": self.text()}
        return dict(json.loads(message.payload()))


# -- the judge ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    label: str
    why: str


def plain_site(site: str) -> bool:
    return PLAIN_SITE.fullmatch(site) is not None


class _Reader:
    """``json.loads`` as hermes.py calls it, noting what strict JSON would refuse."""

    def __init__(self) -> None:
        self.soft: list[str] = []

    def constant(self, name: str) -> float:
        self.soft.append(f"{name} is not JSON")
        return float(name)

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({key for key, _ in pairs}) != len(pairs):
            self.soft.append("duplicate keys")
        return dict(pairs)


_STR_OR_NULL = (str, type(None))
_IGNORED: dict[str, dict[str, tuple[type, ...]]] = {
    "intent": {"input": (str,), "rawInput": _STR_OR_NULL, "id": _STR_OR_NULL,
               "asrTokens": (list, type(None)), "asrConfidence": (int, float, type(None)),
               "wakewordId": _STR_OR_NULL, "lang": _STR_OR_NULL},
    STARTED: {"lang": _STR_OR_NULL},
    NOT_RECOGNIZED: {"input": _STR_OR_NULL},
    "playFinished": {"siteId": (str,)},
}
"""Fields Hearth never reads: the wrong type there is tolerated (``LENIENT``)."""


def judge(topics: Topics, topic: str, payload: bytes) -> Verdict:
    kind, name = topics.kind(topic)
    if kind in ("near-miss", "unknown-intent"):
        return Verdict(IRRELEVANT, kind)
    soft: list[str] = []
    hard: list[str] = []
    if kind == "playFinished":
        assert name is not None
        if name == "":
            return Verdict(LENIENT, "the topic's site level is empty")
        if not plain_site(name):
            return Verdict(MALFORMED, "the topic's site is not a plain name")
    if len(payload) > MAX_PAYLOAD:
        return Verdict(MALFORMED, "too large")
    reader = _Reader()
    try:
        data = json.loads(payload, parse_constant=reader.constant,
                          object_pairs_hook=reader.pairs)
    except RecursionError:
        return Verdict(MALFORMED, "too deep")
    except ValueError as error:
        if "int_max_str_digits" in str(error) or "Exceeds the limit" in str(error):
            return Verdict(LENIENT, "an integer longer than Python reads")
        return Verdict(MALFORMED, "not JSON")
    soft += reader.soft
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        soft.append("not UTF-8 (json reads UTF-16/32 and surrogates anyway)")
    if payload.startswith(b"\xef\xbb\xbf"):
        soft.append("a byte-order mark")
    if not isinstance(data, dict):
        return Verdict(MALFORMED, "not an object")
    if _lone_surrogate(data):
        soft.append("a lone surrogate, which is not Unicode")
    _check(kind, name, data, hard, soft)
    if hard:
        return Verdict(MALFORMED, hard[0])
    if soft:
        return Verdict(LENIENT, soft[0])
    return Verdict(VALID, "")


def _lone_surrogate(data: Any) -> bool:
    """Whether a string in ``data`` (keys too) holds a lone surrogate: JSON's grammar allows
    ``"\\ud800"``, but it is not text and cannot be written out as UTF-8."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(data: dict[str, Any], key: str, bucket: list[str], *, required: bool = False) -> None:
    value = data.get(key)
    if value is None:
        if required:
            bucket.append(f"{key} is missing")
    elif not isinstance(value, str):
        bucket.append(f"{key} is a {type(value).__name__}")


def _site(data: dict[str, Any], hard: list[str]) -> None:
    value = data.get("siteId")
    if value is None or value == "":
        return  # "default"
    if not isinstance(value, str):
        hard.append("siteId is not a string")
    elif not plain_site(value):
        hard.append("siteId is not a plain name")


def _check(kind: str, name: str | None, data: dict[str, Any], hard: list[str],
           soft: list[str]) -> None:
    for key, types in _IGNORED.get(kind, {}).items():
        if key in data and not isinstance(data[key], types):
            soft.append(f"{key}, which Hearth never reads, is a {type(data[key]).__name__}")
    if kind == "intent":
        _check_intent(name, data, hard, soft)
        _text(data, "sessionId", hard)
        _text(data, "customData", hard)
        _site(data, hard)
    elif kind in (STARTED, ENDED, NOT_RECOGNIZED):
        _text(data, "sessionId", hard, required=True)
        _text(data, "customData", hard)
        _site(data, hard)
        if kind == ENDED:
            termination = data.get("termination")
            if not isinstance(termination, dict):
                hard.append("termination is not an object")
            else:
                reason = termination.get("reason")
                if not isinstance(reason, str) or reason not in REASONS:
                    hard.append("an unknown termination reason")
    elif kind == SAY_FINISHED:
        _text(data, "id", hard)
        _text(data, "sessionId", hard)
        _site(data, hard)
    elif kind == "playFinished":
        _text(data, "id", hard)
        _text(data, "sessionId", hard)
    else:
        soft.append(f"no template for {kind}")


def _check_intent(name: str | None, data: dict[str, Any], hard: list[str],
                  soft: list[str]) -> None:
    intent = data.get("intent")
    if not isinstance(intent, dict):
        hard.append("intent is not an object")
        return
    intent_name = intent.get("intentName")
    if not isinstance(intent_name, str):
        hard.append("intentName is not a string")
    elif intent_name != name:
        hard.append("intentName is not the topic's")
    if "confidenceScore" in intent:
        confidence = intent["confidenceScore"]
        if confidence is None:
            soft.append("confidenceScore is null")
        elif isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
            hard.append("confidenceScore is not a number")
        elif isinstance(confidence, int) and abs(confidence) > sys.float_info.max:
            hard.append("confidenceScore is beyond any float")
        elif not math.isfinite(confidence):
            soft.append("confidenceScore is not finite")
    slots = data.get("slots")
    if slots is None:
        return
    if not isinstance(slots, list):
        (soft if not slots else hard).append(f"slots is a {type(slots).__name__}")
        return
    for index, raw in enumerate(slots):
        bucket = hard if index < MAX_SLOTS else soft
        if not isinstance(raw, dict):
            bucket.append("a slot is not an object")
            continue
        _text(raw, "slotName", bucket, required=True)
        _text(raw, "entity", bucket)
        value = raw.get("value")
        if not isinstance(value, dict) or "value" not in value:
            bucket.append("a slot has no value object")
        for key, types in (("rawValue", _STR_OR_NULL), ("confidence", (int, float, type(None))),
                           ("range", (dict, type(None)))):
            if key in raw and not isinstance(raw[key], types):
                soft.append(f"a slot's {key}, which Hearth never reads, is odd")


# -- the generator --------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    family: str


def dumps(data: Any, rng: random.Random | None = None) -> bytes:
    ascii_only = rng is None or rng.random() < 0.7
    text = json.dumps(data, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a template (objects and the first elements of lists)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data[:3]):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def _padded(data: dict[str, Any], size: int) -> bytes:
    """``data`` with a ``padding`` field that makes its JSON exactly ``size`` bytes."""
    data = {**data, "padding": ""}
    base = len(dumps(data))
    data["padding"] = "p" * max(0, size - base)
    return dumps(data)


Family = Callable[[random.Random, str, str | None, dict[str, Any]], tuple[bytes, str] | None]


def _not_json(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
              ) -> tuple[bytes, str]:
    good = dumps(t)
    return rng.choice([
        b"", b" ", b"{", b"}", b"nul", b"{'sessionId': 'x'}", b'{"sessionId": }',
        good[: rng.randrange(1, len(good))], good + b"x", good + b"}", b"\x00" * 10,
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))), b"<xml/>", b"[",
        b'"unterminated', b'{"a":1,}', b"// comment\n{}", good.replace(b'"', b"'"),
        b"{" + good, b"\n\t", b"nan", b"undefined", b"{}{}", b"0x10",
    ]), "not JSON"


def _not_utf8(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
              ) -> tuple[bytes, str]:
    good = dumps(t)
    choice = rng.randrange(6)
    if choice == 0:
        return b"\xff\xfe\xfd" + good, "invalid UTF-8"
    if choice == 1:  # a broken sequence inside a string
        return good.replace(b'"', b'"\xc3\x28', 1), "invalid UTF-8"
    if choice == 2:
        return good.replace(b":", b":\xc0\xaf", 1), "invalid UTF-8 (overlong)"
    if choice == 3:
        latin = '"küche"'.encode("latin-1")
        return dumps({**t, "siteId": "SITE"}).replace(b'"SITE"', latin), "Latin-1"
    if choice == 4:
        encoding = rng.choice(["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
        return json.dumps(t).encode(encoding), f"encoded as {encoding}"
    return good.replace(b'"', b'"\xed\xa0\x80', 1), "an encoded surrogate"


def _not_object(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
                ) -> tuple[bytes, str]:
    return rng.choice([b"[]", b"[" + dumps(t) + b"]", b'"text"', b"1", b"null", b"true",
                       b"NaN", b"Infinity", b"-Infinity", b"1e999", b"[{}]", b"0"]), \
        "not an object"


def _deep(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
          ) -> tuple[bytes, str]:
    """Nesting past Python's recursion limit (about 1,000), mostly in small payloads; the
    100k-bracket payload is one of the huge ones at the end of :func:`messages`."""
    depth = rng.choices([50, 999, 1_001, 3_000, 30_000], [4, 2, 2, 4, 1])[0]
    choice = rng.randrange(3)
    if choice == 0:
        return b"[" * depth + b"]" * depth, f"{depth} nested brackets"
    if choice == 1:
        return b'{"a":' * depth + b"{}" + b"}" * depth, f"{depth} nested objects"
    key = rng.choice(["sessionId", "siteId", "customData", "slots", "intent", "termination",
                      "id"])
    inner = b"[" * depth + b"]" * depth
    field = b'"' + key.encode() + b'": '
    return dumps({**t, key: None}).replace(field + b"null", field + inner, 1), \
        f"{key} nested {depth} deep"


def _drop_field(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
                ) -> tuple[bytes, str] | None:
    paths = [p for p in _paths(t) if isinstance(p[-1], str)]
    if not paths:
        return None
    path = rng.choice(paths)
    del _parent(t, path)[path[-1]]
    return dumps(t, rng), f"without {'.'.join(map(str, path))}"


def _field_type(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
                ) -> tuple[bytes, str] | None:
    paths = list(_paths(t))
    if not paths:
        return None
    path = rng.choice(paths)
    _parent(t, path)[path[-1]] = odd(rng)
    return dumps(t, rng), f"{'.'.join(map(str, path))} of another type"


def _site_id(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
             ) -> tuple[bytes, str]:
    t["siteId"] = rng.choice(HOSTILE_SITES + VALID_SITES) if rng.random() < 0.85 else odd(rng)
    return dumps(t, rng), "siteId"


def _session_id(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
                ) -> tuple[bytes, str]:
    t["sessionId"] = odd(rng) if rng.random() < 0.6 else rng.choice(SESSION_IDS)
    return dumps(t, rng), "sessionId"


def _custom_data(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
                 ) -> tuple[bytes, str]:
    t["customData"] = odd(rng)
    return dumps(t, rng), "customData"


def _reason(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
            ) -> tuple[bytes, str] | None:
    if kind != ENDED:
        return None
    t["termination"] = rng.choice([
        {"reason": rng.choice(["", "Nominal", "NOMINAL", "aborted", "nominal ", "timeout\n",
                               "unknown", "error\u0000", LONG])},
        {"reason": odd(rng)}, {}, odd(rng), {"reason": "nominal", "error": odd(rng)},
    ])
    return dumps(t, rng), "termination"


def _slots(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
           ) -> tuple[bytes, str] | None:
    if kind != "intent":
        return None
    slot = {"entity": "x", "slotName": "x", "value": {"kind": "Unknown", "value": odd(rng)},
            "rawValue": "x"}
    choice = rng.randrange(8)
    if choice == 0:
        t["slots"] = odd(rng)
    elif choice == 1:
        t["slots"] = [odd(rng)]
    elif choice == 2:
        t["slots"] = [{**slot, "value": odd(rng)}]
    elif choice == 3:
        t["slots"] = [{**slot, "slotName": odd(rng)}]
    elif choice == 4:
        t["slots"] = [{**slot, "entity": odd(rng)}]
    elif choice == 5:  # beyond the 32 slots hermes.py reads, a bad one
        t["slots"] = [slot] * rng.choice([32, 33, 40]) + [odd(rng)]
    elif choice == 6:
        t["slots"] = [{k: v for k, v in slot.items() if k != rng.choice(list(slot))}]
    else:  # a slot value of every JSON type: all valid
        t["slots"] = [{**slot, "slotName": n, "value": {"value": odd(rng)}}
                      for n in INTENT_SLOTS.get(name or "", ("ritual",))]
    return dumps(t, rng), "slots"


def _intent_name(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
                 ) -> tuple[bytes, str] | None:
    if kind != "intent":
        return None
    choice = rng.randrange(4)
    if choice == 0:
        t["intent"] = odd(rng)
    elif choice == 1:
        t["intent"]["intentName"] = rng.choice(
            [odd(rng), f"{name} ", (name or "").lower(), "HearthStop", "", f"{name}\n"])
    elif choice == 2:
        t["intent"]["confidenceScore"] = odd(rng)
    else:
        t["intent"] = {"intentName": name, "confidenceScore": rng.choice(
            [10**400, -(10**400), 10**308, 2**1024, 1e308, -1.0, 2.0, 0])}
    return dumps(t, rng), "intent"


def _valid(rng: random.Random, kind: str, name: str | None, t: dict[str, Any]
           ) -> tuple[bytes, str]:
    if rng.random() < 0.3:
        t["extra"] = odd(rng)
    return dumps(t, rng), "valid but odd"


FAMILIES: dict[str, tuple[Family, int]] = {
    "not-json": (_not_json, 10),
    "not-utf8": (_not_utf8, 6),
    "not-object": (_not_object, 5),
    "deep": (_deep, 2),
    "drop-field": (_drop_field, 8),
    "field-type": (_field_type, 18),
    "site-id": (_site_id, 12),
    "session-id": (_session_id, 6),
    "custom-data": (_custom_data, 5),
    "termination": (_reason, 4),
    "slots": (_slots, 10),
    "intent": (_intent_name, 6),
    "valid": (_valid, 8),
}
"""Each family and its weight in the stream."""


def messages(rng: random.Random, topics: Topics, count: int, *, rituals: Sequence[str] = (),
             huge: Sequence[int] = (MAX_PAYLOAD + 1, 200_000, 1_000_000, 1_000_000),
             mqtt_safe: bool = False, near_miss: bool = True,
             counted: Callable[[Message], bool] = lambda message: True) -> Iterator[Message]:
    """Messages until ``count`` of them are ``counted``, then ``huge`` ones: payloads of
    those sizes, one of exactly ``MAX_PAYLOAD`` bytes and 100k nested brackets. With
    ``mqtt_safe``, only topics a client may publish on."""
    builder = Builder(rng, rituals)
    sites = SITES + [f"site-{n}" for n in range(3)]
    # One group per subscription (a wildcard's group: one topic per site, and thrice the
    # weight), so that the 45 ways to fill in a "+" do not crowd out the other topics.
    groups = [[t for t in Topics.of([s]).expand(sites) if not mqtt_safe or mqtt_topic_ok(t)]
              for s in (*topics.fixed, *(f"hermes/intent/{n}" for n in topics.intents),
                        *topics.wildcards)]
    group_weights = [3 if len(group) > 1 else 1 for group in groups]
    extra = [f"hermes/intent/{n}" for n in ("Unknown", "Hearth", "HearthStopp", "hearth")]
    if near_miss:
        extra += NEAR_MISS
    if mqtt_safe:
        extra = [t for t in extra if mqtt_topic_ok(t)]
    names = list(FAMILIES)
    weights = [FAMILIES[n][1] for n in names]
    made = 0
    while made < count:
        near = extra and rng.random() < 0.05
        group = rng.choices(groups, group_weights)[0]
        topic = rng.choice(extra if near else group)
        kind, name = topics.kind(topic)
        template = builder.template(STARTED if kind == "near-miss" else kind, name)
        family = rng.choices(names, weights)[0]
        made_one = FAMILIES[family][0](rng, kind, name, template)
        if made_one is None:
            continue
        message = Message(topic, made_one[0], f"{family}: {made_one[1]}")
        made += counted(message)
        yield message
    base = builder.template(STARTED, None)
    for size in (*huge, MAX_PAYLOAD):
        yield Message(STARTED, _padded(base, size), f"huge: {size} bytes")
    if huge:
        yield Message(ENDED, b"[" * 100_000 + b"]" * 100_000, "huge: 100k nested brackets")


def printable(text: str | bytes, limit: int = 160) -> str:
    """A short, safe rendering of a topic or payload for a report."""
    shown = repr(text[:limit])
    return shown + (f"… ({len(text)} in all)" if len(text) > limit else "")

