"""The Hermes adapter over an in-process transport, speaking as Rhasspy's dialogue manager."""

from __future__ import annotations

import logging
import wave
from io import BytesIO

import pytest
from fakehermes import Reason, World, decoded
from harness import HEADER

from skill.adapter import ASK_FALLBACK, MAX_CHUNK, split_for_speech
from skill.events import Command, Control
from skill.loader import Library, ritual_from_yaml

MINI = HEADER.replace("test-ritual", "mini") + """\
steps:
  - say: Welcome, {names}.
  - chime
  - ask: Ready?
    answers:
      yes:
        - say: Good.
      no:
        - say: Another time then.
        - end
  - turns:
      - say: "{speaker}, your turn."
      - talk: 1m
        warn: 10s
  - say: Goodbye.
"""


def mini_library(extra: str = "") -> Library:
    ritual = ritual_from_yaml(MINI + extra, "mini.yaml")
    return Library({ritual.id: ritual})


def start(world: World, site: str = "default", ritual: str = "mini") -> None:
    world.wake("HearthStartRitual", site, slots={"ritual": ritual})


def test_a_whole_ritual_over_hermes() -> None:
    w = World(mini_library())
    start(w)
    sent = w.new()
    assert [m.topic for m in sent] == ["hermes/dialogueManager/endSession",
                                       "hermes/dialogueManager/startSession"]
    assert decoded(sent[0]) == {"sessionId": "session-1", "text": None, "customData": None}
    welcome = decoded(sent[1])
    assert welcome["init"] == {"text": "Welcome, Alex and Sam.", "type": "notification"}
    assert welcome["siteId"] == "default"

    (chime,) = w.finish_output()
    assert chime.topic.startswith("hermes/audioServer/default/playBytes/hearth-")
    with wave.open(BytesIO(chime.payload)) as wav:
        assert wav.getnchannels() == 1 and wav.getnframes() > 0

    (question,) = w.finish_output()
    asked = decoded(question)
    assert asked["init"]["type"] == "action" and asked["init"]["text"] == "Ready?"
    assert asked["init"]["intentFilter"][:2] == ["HearthYes", "HearthNo"]
    assert "HearthPause" in asked["init"]["intentFilter"]
    assert asked["init"]["sendIntentNotRecognized"] is True
    assert asked["customData"].startswith("hearth:")

    session = w.started(custom_data=asked["customData"])
    w.intent("HearthYes", session_id=session)
    assert [decoded(m) for m in w.new()] == [
        {"sessionId": session, "text": None, "customData": None}
    ]
    w.ended(session, custom_data=asked["customData"])
    assert w.spoken(w.new()) == ["Good."]
    first_turn = w.spoken(w.finish_output())
    assert first_turn in (["Alex, your turn."], ["Sam, your turn."])
    assert w.finish_output() == []  # the talk: no session open, nothing listening
    w.loop.advance(49.9)
    assert w.new() == []
    w.loop.advance(0.1)
    assert w.spoken(w.new()) == ["Ten seconds left."]
    w.finish_output()
    w.loop.advance(10)
    second_turn = w.spoken(w.new())
    assert second_turn != first_turn and second_turn[0].endswith(", your turn.")
    w.finish_output()
    w.loop.advance(60)  # the warning is said at 50 s; "Goodbye." waits behind it
    assert w.spoken(w.new()) == ["Ten seconds left."]
    assert w.spoken(w.finish_output()) == ["Goodbye."]
    w.finish_output()
    assert w.adapter.sites["default"].idle


def test_one_output_at_a_time_per_site() -> None:
    w = World(mini_library())
    start(w)
    w.new()
    welcome = w.started()  # the dialogue manager is saying the welcome
    w.wake("HearthTimeLeft")
    w.wake("HearthRepeat")
    assert w.spoken(w.new()) == []  # queued behind the welcome, which is still being said
    w.ended(welcome)
    assert w.spoken(w.new())[0].startswith("About ")
    assert w.spoken(w.finish_output()) == ["Welcome, Alex and Sam."]


def test_a_line_the_dialogue_manager_speaks_inside_a_wake_session() -> None:
    """Sent just before a wake word: Rhasspy says it inside that session, then ends it."""
    w = World(mini_library())
    start(w)
    assert w.spoken(w.new()) == ["Welcome, Alex and Sam."]
    wake = w.started(custom_data="default")  # no session of its own ever starts
    w.ended(wake, custom_data="default")
    assert w.new()[0].topic.startswith("hermes/audioServer/default/playBytes/")


def test_output_waits_while_someone_elses_session_is_open() -> None:
    w = World(mini_library())
    start(w)
    w.finish_output()
    w.finish_output()
    (question,) = w.new() or [w.transport.sent[-1]]
    session = w.started(custom_data=decoded(question)["customData"])
    w.intent("HearthYes", session_id=session)
    w.ended(session)
    w.new()
    w.finish_output()  # "Good."
    w.finish_output()  # "X, your turn."; the talk begins
    other = w.started(custom_data="default")  # a wake word, and then nothing is said
    w.loop.advance(50)
    assert w.new() == []  # the warning waits: it would end their session
    w.ended(other, custom_data="default")
    assert w.spoken(w.new()) == ["Ten seconds left."]


def test_long_lines_are_cut_to_fit_the_dialogue_managers_patience() -> None:
    words = "word " * 100
    w = World(mini_library().__class__(
        {"long": ritual_from_yaml(HEADER.replace("test-ritual", "long")
                                  + f"steps:\n  - say: {words.strip()}.\n  - say: After.\n",
                                  "long.yaml")}))
    start(w, ritual="long")
    pieces = [w.spoken(w.new())[0]]
    while True:
        said = w.spoken(w.finish_output())
        if said == ["After."]:
            break
        pieces += said
    assert all(len(p) <= MAX_CHUNK for p in pieces)
    assert " ".join(pieces) == words.strip() + "."


def test_split_for_speech_prefers_sentence_ends() -> None:
    text = "First sentence here. " * 8 + "x" * 300
    pieces = split_for_speech(text)
    assert all(len(p) <= MAX_CHUNK for p in pieces)
    assert pieces[0].endswith("here.")
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def ask_session(w: World) -> tuple[str, str]:
    """Run the mini ritual up to its question; the question's session id and custom data."""
    start(w)
    w.finish_output()
    (question,) = w.finish_output()
    custom = decoded(question)["customData"]
    return w.started(custom_data=custom), custom


def test_not_recognised_asks_once_more_in_the_same_session_then_moves_on() -> None:
    w = World(mini_library())
    session, custom = ask_session(w)
    w.not_recognized(session)
    (again,) = w.new()
    assert again.topic == "hermes/dialogueManager/continueSession"
    assert decoded(again)["text"] == "Sorry, I didn't catch that. Ready?"
    assert decoded(again)["sessionId"] == session
    w.not_recognized(session)
    (end,) = w.new()
    assert end.topic == "hermes/dialogueManager/endSession"
    w.ended(session, custom_data=custom)
    # No answer and no no_answer steps: the ritual goes on to the turns.
    assert w.spoken(w.new())[0].endswith(", your turn.")


def test_a_session_timeout_is_no_answer() -> None:
    w = World(mini_library())
    session, custom = ask_session(w)
    w.ended(session, reason=Reason.TIMEOUT, custom_data=custom)
    assert w.spoken(w.new())[0].endswith(", your turn.")


def test_no_as_an_answer_takes_its_branch() -> None:
    w = World(mini_library())
    session, custom = ask_session(w)
    w.intent("HearthNo", session_id=session)
    w.ended(session, custom_data=custom)
    assert w.spoken(w.new()) == ["Another time then."]
    w.finish_output()
    assert "default" in w.adapter.sites and w.adapter.sites["default"].driver is None


def test_a_wake_word_during_the_question_then_a_command_then_the_question_again() -> None:
    w = World(mini_library())
    session, custom = ask_session(w)
    w.ended(session, reason=Reason.ABORTED_BY_USER, custom_data=custom)
    w.wake("HearthTimeLeft")
    said = w.spoken(w.new())
    assert said[0].startswith("About ")
    assert w.spoken(w.finish_output()) == ["Ready?"]


def test_a_wake_word_during_the_question_then_the_answer() -> None:
    w = World(mini_library())
    session, custom = ask_session(w)
    w.ended(session, reason=Reason.ABORTED_BY_USER, custom_data=custom)
    w.wake("HearthNo")
    assert w.spoken(w.new()) == ["Another time then."]


def test_a_silent_dialogue_manager_does_not_hang_the_ritual(
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = World(mini_library())
    start(w)
    w.new()
    w.loop.advance(11.9)
    assert w.new() == []
    with caplog.at_level(logging.WARNING):
        w.loop.advance(0.2)
    assert "no end of the line" in caplog.text
    assert w.new()[0].topic.startswith("hermes/audioServer/default/playBytes/")


@pytest.mark.parametrize("intent", ["HearthPause", "HearthResume", "HearthNext", "HearthRepeat",
                                    "HearthTimeLeft", "HearthSkip", "HearthStop"])
def test_commands_without_a_ritual_get_a_kind_answer(intent: str) -> None:
    w = World(mini_library())
    w.wake(intent)
    assert w.spoken(w.new()) == [
        "There's no ritual running right now. You can say, start the appreciation round."
    ]


def test_answers_without_a_ritual_and_the_list_of_rituals() -> None:
    w = World()
    w.wake("HearthYes")
    assert w.spoken(w.new()) == ["There's no question open right now."]
    w.finish_output()
    w.wake("HearthListRituals")
    (line,) = w.spoken(w.new())
    assert line.startswith("I know these rituals: ") and "Hug timer" in line


def test_an_unknown_ritual(caplog: pytest.LogCaptureFixture) -> None:
    w = World(mini_library())
    with caplog.at_level(logging.DEBUG):
        w.wake("HearthStartRitual", slots={"ritual": "private words"})
    assert w.spoken(w.new()) == ["I don't know that ritual. Ask me which rituals there are."]
    assert "private words" not in caplog.text


def test_starting_while_a_ritual_runs() -> None:
    w = World(mini_library())
    start(w)
    w.new()
    start(w)
    assert w.spoken(w.finish_output()) == [
        "We're in the middle of Test ritual. Say stop first if you'd like to change."
    ]


def test_stop_ends_the_ritual_and_frees_the_site() -> None:
    w = World(mini_library())
    start(w)
    w.new()
    w.wake("HearthStop")
    assert w.adapter.sites["default"].driver is None  # stopped at once
    assert w.spoken(w.finish_output()) == [  # said once the welcome is over
        "Alright, we'll stop here. Thank you for the time together."
    ]
    w.finish_output()
    assert w.adapter.sites["default"].idle


def test_pause_and_resume_a_talk_over_hermes() -> None:
    w = World(mini_library())
    session, custom = ask_session(w)
    w.intent("HearthYes", session_id=session)
    w.ended(session, custom_data=custom)
    w.new()
    w.finish_output()
    w.finish_output()  # the talk begins at this moment
    w.loop.advance(20)
    w.wake("HearthPause")
    assert w.spoken(w.new()) == ["Paused. Say resume when you're ready."]
    w.finish_output()
    w.loop.advance(600)
    assert w.new() == []
    w.wake("HearthResume")
    assert w.spoken(w.new()) == ["Let's carry on."]
    w.finish_output()
    w.loop.advance(29.9)
    assert w.new() == []
    w.loop.advance(0.1)
    assert w.spoken(w.new()) == ["Ten seconds left."]


def test_two_sites_run_different_rituals_without_crosstalk() -> None:
    library = mini_library()
    other = ritual_from_yaml(HEADER.replace("test-ritual", "other")
                             + "steps:\n  - say: Other one.\n  - silence: 20s\n  - say: Done.\n",
                             "other.yaml")
    w = World(Library({**library.rituals, "other": other}))
    start(w, "kitchen", "mini")
    start(w, "bedroom", "other")
    sent = w.new()
    lines = {decoded(m)["siteId"]: decoded(m)["init"]["text"] for m in sent
             if m.topic.endswith("startSession")}
    assert lines == {"kitchen": "Welcome, Alex and Sam.", "bedroom": "Other one."}
    w.finish_output("bedroom")
    w.wake("HearthStop", "kitchen")
    assert w.spoken(w.finish_output("kitchen")) == [
        "Alright, we'll stop here. Thank you for the time together."
    ]
    w.finish_output("kitchen")
    w.loop.advance(20)
    assert w.spoken(w.new()) == ["Done."]
    assert w.adapter.sites["kitchen"].driver is None
    assert w.adapter.sites["bedroom"].driver is not None


def test_sites_not_served_are_ignored() -> None:
    w = World(mini_library(), site_ids=["kitchen"])
    w.started("bedroom", custom_data="default")
    w.intent("HearthStartRitual", "bedroom", session_id="session-1", slots={"ritual": "mini"})
    assert w.new() == []
    start(w, "kitchen")
    assert w.spoken(w.new()) == ["Welcome, Alex and Sam."]


@pytest.mark.parametrize("payload", [
    b"not json", b"[]", b"{}", b'{"intent": "HearthYes"}',
    b'{"intent": {"intentName": 5}}', b'{"intent": {"intentName": "HearthNo"}}',
    b'{"intent": {"intentName": "HearthYes"}, "siteId": "a/b"}',
    b'{"intent": {"intentName": "HearthYes"}, "siteId": ["x"]}',
    b'{"intent": {"intentName": "HearthYes"}, "slots": [1]}',
    b'{"intent": {"intentName": "HearthYes", "confidenceScore": "high"}}',
    b"\xff\xfe\x00", b"{" * 100_000, b'{"x": "' + b"a" * 70_000 + b'"}',
])
def test_malformed_intents_are_dropped_and_nothing_breaks(payload: bytes,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    w = World(mini_library())
    with caplog.at_level(logging.WARNING):
        w.deliver("hermes/intent/HearthYes", payload)
    assert w.adapter.dropped == 1
    assert "dropped malformed message" in caplog.text
    assert w.new() == []
    start(w)
    assert w.spoken(w.new()) == ["Welcome, Alex and Sam."]


@pytest.mark.parametrize("topic", ["hermes/dialogueManager/sessionEnded",
                                   "hermes/dialogueManager/sessionStarted",
                                   "hermes/dialogueManager/intentNotRecognized",
                                   "hermes/audioServer/default/playFinished"])
def test_malformed_dialogue_messages_are_dropped(topic: str) -> None:
    w = World(mini_library())
    start(w)
    w.new()
    for payload in (b"", b"null", b'{"sessionId": 3}', b'{"termination": {"reason": "??"}}'):
        w.deliver(topic, payload)
    assert w.adapter.dropped >= 3
    assert w.spoken(w.finish_output()) == [] and w.adapter.sites["default"].current is not None


def test_while_the_broker_is_away_nothing_is_lost() -> None:
    w = World(mini_library())
    start(w)
    w.new()
    w.adapter.set_connected(False)
    w.loop.advance(100)  # no fallback while nothing can be heard
    assert w.new() == []
    w.adapter.set_connected(True)
    assert w.spoken(w.new()) == ["Welcome, Alex and Sam."]  # the line in flight, again
    assert w.finish_output()[0].topic.startswith("hermes/audioServer/")


def test_the_words_people_say_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    w = World(mini_library())
    with caplog.at_level(logging.DEBUG):
        start(w)
        ask_session(World(mini_library()))
        w.wake("HearthTimeLeft", text="a very private sentence")
        w.deliver("hermes/intent/HearthYes", b'{"input": "private input", "intent": 3}')
    assert "private" not in caplog.text
    assert "secret words" not in caplog.text


def test_a_command_inside_the_questions_session_then_the_question_again() -> None:
    w = World(mini_library())
    session, custom = ask_session(w)
    w.intent("HearthTimeLeft", session_id=session)
    (end,) = w.new()
    assert end.topic == "hermes/dialogueManager/endSession"  # Rhasspy waits for us
    w.ended(session, custom_data=custom)
    assert w.spoken(w.new())[0].startswith("About ")
    assert w.spoken(w.finish_output()) == ["Ready?"]


def test_repeat_inside_the_questions_session_asks_again_in_it() -> None:
    w = World(mini_library())
    session, _ = ask_session(w)
    w.intent("HearthRepeat", session_id=session)
    (again,) = w.new()
    assert again.topic == "hermes/dialogueManager/continueSession"
    assert decoded(again)["text"] == "Ready?"


def test_after_rhasspy_aborts_our_line_we_wait_for_the_new_session() -> None:
    w = World(mini_library())
    start(w)
    w.new()
    line = w.started()  # the welcome is being said
    w.ended(line, reason=Reason.ABORTED_BY_USER)  # someone said the wake word
    assert w.new() == []  # the chime waits: the wake word's session opens next
    wake = w.started(custom_data="default")
    w.ended(wake, custom_data="default")
    assert w.new()[0].topic.startswith("hermes/audioServer/default/playBytes/")


def test_after_an_abort_with_no_new_session_output_goes_on_shortly() -> None:
    w = World(mini_library())
    start(w)
    w.new()
    w.ended(w.started(), reason=Reason.ABORTED_BY_USER)
    w.loop.advance(1.6)
    assert w.new()[0].topic.startswith("hermes/audioServer/default/playBytes/")


def test_a_stale_question_session_of_ours_is_ended() -> None:
    w = World(mini_library())
    w.started(custom_data="hearth:999")
    (end,) = w.new()
    assert end.topic == "hermes/dialogueManager/endSession"


def test_a_stopped_ritual_drops_what_it_had_queued() -> None:
    w = World(mini_library())
    start(w)
    w.new()
    welcome = w.started()
    w.wake("HearthTimeLeft")  # its answer waits behind the welcome
    w.ended(welcome)  # the chime is queued behind the answer
    assert w.spoken(w.new())[0].startswith("About ")
    w.wake("HearthStop")
    said = w.spoken(w.finish_output())
    assert said == ["Alright, we'll stop here. Thank you for the time together."]
    assert not any("/playBytes/" in m.topic for m in w.finish_output())


def heard_line(w: World) -> None:
    """The dialogue manager says the line in flight, and the speaker reports it played."""
    session = w.started()
    w.played(session)
    w.ended(session)


def test_the_pause_comes_at_the_unanswered_question() -> None:
    steps = HEADER.replace("test-ritual", "q") + (
        "steps:\n  - say: Hello.\n  - say: Still there?\n"
        "  - ask: Ready?\n    answers: {yes: , no: }\n  - say: After.\n"
    )
    w = World(Library({"q": ritual_from_yaml(steps, "q.yaml")}))
    start(w, ritual="q")
    w.new()
    heard_line(w)  # "Hello." played: this site's speech reports sayFinished
    assert w.spoken(w.new()) == ["Still there?"]
    gone = w.started()  # not played: the satellite is gone; Rhasspy ends it after its wait
    w.ended(gone)
    (question,) = w.new()
    custom = decoded(question)["customData"]
    session = w.started(custom_data=custom)
    w.ended(session, reason=Reason.TIMEOUT, custom_data=custom)
    assert w.spoken(w.new()) == ["Paused. Say resume when you're ready."]
    assert w.adapter.sites["default"].paused
    w.finish_output()
    w.wake("HearthResume")  # the satellite is back, and someone says resume
    assert w.spoken(w.new()) == ["Let's carry on."]
    assert w.spoken(w.finish_output()) == ["Ready?"]


def test_without_sayfinished_reports_an_unanswered_question_is_just_unanswered() -> None:
    steps = HEADER.replace("test-ritual", "q") + (
        "steps:\n  - say: Hello.\n  - ask: Ready?\n    answers: {yes: , no: }\n"
        "  - say: After.\n"
    )
    w = World(Library({"q": ritual_from_yaml(steps, "q.yaml")}))
    start(w, ritual="q")
    w.new()
    (question,) = w.finish_output()  # a stack that never reports sayFinished
    custom = decoded(question)["customData"]
    session = w.started(custom_data=custom)
    w.ended(session, reason=Reason.TIMEOUT, custom_data=custom)
    assert w.spoken(w.new()) == ["After."]


def test_say_that_again_while_the_question_waits_its_turn_asks_only_the_newest() -> None:
    """Found under load: the question is sent, but a wake word reaches the dialogue manager
    first, so the question waits in its queue; "say that again" in that session asks anew.
    The old question, when its session opens, must not take the answer meant for the new one
    (it did: every "yes" went to the stale question and the ritual re-asked for ever)."""
    w = World(mini_library())
    start(w)
    w.finish_output()
    (stale,) = w.finish_output()  # the question is published; Rhasspy queues it
    wake = w.started(custom_data="default")
    w.intent("HearthRepeat", session_id=wake)
    assert [m.topic for m in w.new()] == ["hermes/dialogueManager/endSession"]
    w.ended(wake, custom_data="default")
    assert w.new() == []  # the old question is still due from the dialogue manager
    old = w.started(custom_data=decoded(stale)["customData"])
    (end,) = w.new()
    assert end.topic == "hermes/dialogueManager/endSession"  # not wanted any more
    assert decoded(end)["sessionId"] == old
    w.ended(old, custom_data=decoded(stale)["customData"])
    (newest,) = w.new()
    assert w.spoken([newest]) == ["Ready?"]
    session = w.started(custom_data=decoded(newest)["customData"])
    w.intent("HearthYes", session_id=session)
    (answered,) = w.new()
    assert answered.topic == "hermes/dialogueManager/endSession"
    w.ended(session, custom_data=decoded(newest)["customData"])
    assert w.spoken(w.new()) == ["Good."]


def test_a_question_asked_twice_before_it_is_sent_is_sent_once() -> None:
    w = World(mini_library())
    start(w)
    w.finish_output()
    w.started(custom_data="default")  # a wake word: output waits for its session to end
    w.finish_output()  # the chime is done; the question waits behind the open session
    site = w.adapter.sites["default"]
    site.feed(Control(Command.REPEAT))
    site.feed(Control(Command.REPEAT))
    assert [out.kind for out in site.outbox] == ["ask"]


def test_a_question_ended_for_a_reply_is_asked_again_even_if_its_end_is_lost() -> None:
    """"How much time is left" inside the question ends it so the reply can be spoken; if
    the dialogue manager never says it ended, the question must still come back."""
    w = World(mini_library())
    session, _ = ask_session(w)
    w.intent("HearthTimeLeft", session_id=session)
    (end,) = w.new()
    assert end.topic == "hermes/dialogueManager/endSession"
    w.loop.advance(ASK_FALLBACK + 1)  # no sessionEnded ever comes
    assert w.spoken(w.new())[0].startswith("About ")
    assert w.spoken(w.finish_output()) == ["Ready?"]


def test_a_question_answered_before_it_opens_is_ended_when_it_opens() -> None:
    w = World(mini_library())
    start(w)
    w.finish_output()
    (stale,) = w.finish_output()  # sent; the dialogue manager has not opened it yet
    w.wake("HearthYes")  # answered by wake word
    # Only the wake word's session is ended: "Good." waits for the question's turn.
    assert [m.topic for m in w.new()] == ["hermes/dialogueManager/endSession"]
    custom = decoded(stale)["customData"]
    old = w.started(custom_data=custom)
    (end,) = w.new()
    assert end.topic == "hermes/dialogueManager/endSession" and decoded(end)["sessionId"] == old
    w.ended(old, custom_data=custom)
    assert w.spoken(w.new()) == ["Good."]


def test_each_question_is_sent_with_data_of_its_own() -> None:
    """Engine tokens start again with every run: the first question of two runs must still
    be told apart, or a late-opening old one would pass for the new."""
    _, first = ask_session(World(mini_library()))
    _, second = ask_session(World(mini_library()))
    assert first != second
    assert first.startswith("hearth:") and second.startswith("hearth:")
