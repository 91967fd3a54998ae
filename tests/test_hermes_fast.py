"""Outgoing messages: the fast serialiser in skill.hermes gives exactly the bytes that the
rhasspy-hermes classes' own ``payload()`` (dataclasses-json) gives, for every helper."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from dataclasses_json import config
from dataclasses_json.cfg import global_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rhasspyhermes.base import Message
from rhasspyhermes.dialogue import DialogueEndSession
from rhasspyhermes.intent import Intent as HermesIntent
from rhasspyhermes.intent import Slot, SlotRange
from rhasspyhermes.nlu import NluIntent

from skill import hermes

texts = st.text(max_size=300)
short = st.text(max_size=40)
filters = st.lists(short, max_size=12)
EXAMPLES = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every message object the helpers serialise."""
    seen: list[Any] = []
    real = hermes._encode

    def spy(message: Any) -> bytes:
        seen.append(message)
        return real(message)

    monkeypatch.setattr(hermes, "_encode", spy)
    yield seen


def same_as_library(out: hermes.Outgoing, message: Any) -> None:
    reference = message.payload()
    reference = reference if isinstance(reference, bytes) else reference.encode("utf-8")
    assert out.payload == reference
    assert json.loads(out.payload) == json.loads(reference)
    assert out.topic == type(message).topic()


def check(captured: list[Any], make: Callable[[], hermes.Outgoing]) -> None:
    captured.clear()
    out = make()
    assert len(captured) == 1
    same_as_library(out, captured[0])


@EXAMPLES
@given(site=short, text=texts)
def test_notification(captured: list[Any], site: str, text: str) -> None:
    check(captured, lambda: hermes.notification(site, text))


@EXAMPLES
@given(site=short, text=texts, intent_filter=filters, custom=short)
def test_question(captured: list[Any], site: str, text: str, intent_filter: list[str],
                  custom: str) -> None:
    check(captured, lambda: hermes.question(site, text, intent_filter, custom))


@EXAMPLES
@given(session=short, text=texts, intent_filter=filters, custom=short)
def test_ask_again(captured: list[Any], session: str, text: str, intent_filter: list[str],
                   custom: str) -> None:
    check(captured, lambda: hermes.ask_again(session, text, intent_filter, custom))


@EXAMPLES
@given(session=short, text=st.none() | texts)
def test_end_session(captured: list[Any], session: str, text: str | None) -> None:
    check(captured, lambda: hermes.end_session(session, text))


def test_the_shapes_rhasspy_expects() -> None:
    """A few written out, so a change in either serialiser is seen here too."""
    assert hermes.end_session("s1").payload == \
        b'{"sessionId": "s1", "text": null, "customData": null}'
    assert hermes.notification("kitchen", "Héllo").payload == (
        '{"init": {"text": "Héllo", "type": "notification"}, "siteId": "kitchen", '
        '"customData": null, "lang": null}'
    ).encode()
    assert json.loads(hermes.question("k", "Ready?", ["HearthYes"], "hearth:4").payload) == {
        "init": {"canBeEnqueued": True, "type": "action", "text": "Ready?",
                 "intentFilter": ["HearthYes"], "sendIntentNotRecognized": True},
        "siteId": "k", "customData": "hearth:4", "lang": None,
    }


# -- the walk itself, on richer messages than the helpers make --------------------------------

values = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                   st.floats(allow_nan=False), texts)


@EXAMPLES
@given(
    name=short, confidence=st.floats(0, 1), site=short, session=st.none() | short,
    custom=st.none() | short,
    slots=st.lists(st.tuples(short, short, values, st.integers(0, 99)), max_size=5),
)
def test_nested_messages(name: str, confidence: float, site: str, session: str | None,
                         custom: str | None, slots: list[tuple[str, str, Any, int]]) -> None:
    message = NluIntent(
        input="", intent=HermesIntent(intent_name=name, confidence_score=confidence),
        site_id=site, session_id=session, custom_data=custom,
        slots=[Slot(entity=entity, slot_name=slot, value={"value": value},
                    range=SlotRange(start=start, end=start + 3))
               for slot, entity, value, start in slots],
        asr_tokens=[], raw_input=None,
    )
    assert hermes._encode(message) == message.payload().encode("utf-8")


@dataclass
class _Encoded(Message):
    plain_value: int
    with_encoder: int = field(default=0, metadata=config(encoder=lambda v: v * 10))


@dataclass
class _Excluding(Message):
    kept_value: int
    dropped_value: int | None = field(default=None, metadata=config(exclude=lambda v: v is None))


def test_what_the_walk_cannot_do_goes_to_the_library() -> None:
    for message in (_Encoded(1, 2), _Excluding(1), _Excluding(1, 2)):
        assert hermes._encode(message) == message.payload().encode("utf-8")
    assert json.loads(hermes._encode(_Encoded(1, 2))) == {"plainValue": 1, "withEncoder": 20}


def test_a_global_encoder_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(global_config.encoders, str, lambda text: text.upper())
    out = hermes.end_session("abc", "quiet")
    assert out.payload == DialogueEndSession(session_id="abc", text="quiet").payload().encode()
    assert json.loads(out.payload)["sessionId"] == "ABC"
