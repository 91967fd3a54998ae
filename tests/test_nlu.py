"""The training sentences, and the recogniser rhasspy-nlu compiles from them.

Every sentence the compiled graph can produce must come back as its own intent (and its
own slots): that is what keeps one phrase out of two intents.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from skill import nlu
from skill.intents import (
    ANSWER_SLOT,
    ANSWERS_SLOT_LIST,
    CONTROL_INTENTS,
    RITUAL_SLOT,
    RITUALS_SLOT_LIST,
    Intent,
)
from skill.loader import Library, load_library, ritual_from_yaml
from skill.paths import shipped_intents, shipped_rituals
from skill.ritual import Ritual

nlu.apply_numpy_compat()  # (done by importing skill.nlu) before rhasspy-nlu is imported

from rhasspynlu.fsticuffs import sample_by_intent  # noqa: E402
from rhasspynlu.ini_jsgf import parse_ini  # noqa: E402
from rhasspynlu.jsgf_graph import gzip_pickle_to_graph, intents_to_graph  # noqa: E402
from rhasspynlu.slots import get_slot_replacements  # noqa: E402

QUESTIONS = """\
id: questions
title: Questions, questions
description: A ritual written by a test, whose questions expect their own answers.
practice: quality-time
triggers: [start the questions]
steps:
  - ask: Another one, or one more round?
    answers:
      another one:
      one more round:
        - ask: Slow down or carry on?
          answers:
            slow-down:
            yes:
  - turns:
      - ask: Ready?
        answers:
          we’re ready now:
          no:
"""


@pytest.fixture(scope="module")
def library() -> Library:
    library = load_library(shipped_rituals())
    assert not library.problems
    return library


@pytest.fixture(scope="module")
def files(library: Library) -> nlu.SentenceFiles:
    return nlu.build_sentences(library)


@pytest.fixture(scope="module")
def recognizer(files: nlu.SentenceFiles) -> nlu.Recognizer:
    return nlu.train(files)


@pytest.fixture(scope="module")
def questions() -> Ritual:
    return ritual_from_yaml(QUESTIONS, "questions.yaml")


@pytest.fixture(scope="module")
def with_answers(library: Library, questions: Ritual) -> nlu.SentenceFiles:
    return nlu.build_sentences(Library({**library.rituals, questions.id: questions}))


@pytest.fixture(scope="module")
def answer_recognizer(with_answers: nlu.SentenceFiles) -> nlu.Recognizer:
    return nlu.train(with_answers)


def sentence_lines(text: str) -> list[str]:
    """The lines that are not blank and not comments."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def expanded(recognizer: nlu.Recognizer) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Every sentence the graph holds: intent → [(spoken text, slots)]."""
    return {
        intent: [
            (sample.raw_text, {e.entity: str(e.value) for e in sample.entities})
            for sample in samples
        ]
        for intent, samples in sample_by_intent(recognizer.graph).items()
    }


# -- the sentences ------------------------------------------------------------------------


def test_the_shipped_file_has_a_section_for_every_intent() -> None:
    text = (shipped_intents() / nlu.SENTENCES_FILE).read_text(encoding="utf-8")
    assert set(parse_ini(text)) == {intent.value for intent in Intent}
    for line in sentence_lines(text):
        if not line.startswith("["):
            assert line == line.lower(), line
            assert not any(ch.isdigit() for ch in line), f"write numbers as words: {line}"


def test_every_sentence_is_recognised_as_its_own_intent(
    answer_recognizer: nlu.Recognizer,
) -> None:
    sentences = expanded(answer_recognizer)
    assert set(sentences) == {intent.value for intent in Intent}
    problems = []
    for intent, examples in sentences.items():
        for text, slots in examples:
            found = {(r.intent, tuple(sorted(r.slots.items())))
                     for r in answer_recognizer.candidates(text)}
            if found != {(intent, tuple(sorted(slots.items())))}:
                problems.append(f"{text!r}: expected {intent} {slots}, got {sorted(found)}")
    assert not problems, "\n".join(problems)


def test_control_intents_have_many_phrasings(recognizer: nlu.Recognizer) -> None:
    counts = {intent: len(examples) for intent, examples in expanded(recognizer).items()}
    for intent in [*CONTROL_INTENTS, Intent.YES, Intent.NO, Intent.LIST_RITUALS]:
        assert counts[intent.value] >= 12, (intent, counts[intent.value])


@pytest.mark.parametrize(("text", "intent"), [
    ("next", Intent.NEXT), ("I'm done", Intent.NEXT), ("we're done", Intent.NEXT),
    ("your turn", Intent.NEXT), ("pass", Intent.NEXT), ("that's all from me", Intent.NEXT),
    ("go on to the next one", Intent.NEXT),
    ("pause", Intent.PAUSE), ("hold on", Intent.PAUSE), ("wait a moment", Intent.PAUSE),
    ("resume", Intent.RESUME), ("carry on", Intent.RESUME), ("go on", Intent.RESUME),
    ("say that again", Intent.REPEAT), ("what was the question", Intent.REPEAT),
    ("how much time is left", Intent.TIME_LEFT), ("how much longer", Intent.TIME_LEFT),
    ("skip this one", Intent.SKIP), ("skip", Intent.SKIP),
    ("stop", Intent.STOP), ("that's enough for tonight", Intent.STOP),
    ("we're done for tonight", Intent.STOP), ("let's end here", Intent.STOP),
    ("yes", Intent.YES), ("sure", Intent.YES),
    ("no", Intent.NO), ("not now", Intent.NO), ("nope", Intent.NO),
    ("which rituals are there", Intent.LIST_RITUALS),
    ("what rituals do you know", Intent.LIST_RITUALS),
])
def test_everyday_phrases(recognizer: nlu.Recognizer, text: str, intent: Intent) -> None:
    result = recognizer.recognize(text)
    assert result is not None
    assert (result.intent, dict(result.slots)) == (intent.value, {})


# -- rituals --------------------------------------------------------------------------------


def test_every_trigger_phrase_starts_its_ritual(
    library: Library, recognizer: nlu.Recognizer
) -> None:
    for ritual in library.rituals.values():
        for phrase in ritual.triggers:
            result = recognizer.recognize(phrase)
            assert result is not None, phrase
            assert result.intent == Intent.START_RITUAL, phrase
            assert result.slots == {RITUAL_SLOT: ritual.id}, phrase


def test_rituals_start_by_their_title_and_their_id(
    library: Library, recognizer: nlu.Recognizer
) -> None:
    result = recognizer.recognize("start the appreciation round")
    assert result is not None
    assert result.intent == Intent.START_RITUAL
    assert result.slots == {RITUAL_SLOT: "appreciation-round"}
    for ritual in library.rituals.values():
        spoken_id = ritual.id.replace("-", " ")
        for text in (f"let's do the {ritual.title}", f"start {spoken_id}",
                     f"start the {ritual.title} ritual",
                     f"time for the {ritual.title}"):
            result = recognizer.recognize(text)
            assert result is not None, text
            assert result.slots == {RITUAL_SLOT: ritual.id}, text


def test_the_rituals_slot_list(files: nlu.SentenceFiles) -> None:
    names = files.slots[RITUALS_SLOT_LIST]
    assert "(appreciation round):appreciation-round" in names
    assert "(screen free conversation):screen-free-conversation" in names
    assert "(speaker and listener):speaker-listener" in names
    assert "(speaker listener):speaker-listener" in names
    assert len(names) == len(set(names))


def test_trigger_phrases_are_tagged_with_the_ritual_id(files: nlu.SentenceFiles) -> None:
    lines = sentence_lines(files.sentences)
    line = "(start our evening check in){ritual:empathy-check-in}"
    assert line in lines
    section = max(i for i, text in enumerate(lines[:lines.index(line)]) if text[0] == "[")
    assert lines[section] == f"[{Intent.START_RITUAL}]"


# -- answers ----------------------------------------------------------------------------------


def test_custom_answers_become_a_slot_list(with_answers: nlu.SentenceFiles) -> None:
    assert with_answers.slots[ANSWERS_SLOT_LIST] == (
        "another one", "one more round", "(slow down):(slow-down)",
        "(we're ready now):(we’re ready now)",
    )


@pytest.mark.parametrize(("text", "answer"), [
    ("another one", "another one"),
    ("One more round!", "one more round"),
    ("slow down", "slow-down"),
    ("we're ready now", "we’re ready now"),
])
def test_custom_answers_are_recognised_with_their_slot(
    answer_recognizer: nlu.Recognizer, text: str, answer: str
) -> None:
    result = answer_recognizer.recognize(text)
    assert result is not None
    assert (result.intent, result.slots) == (Intent.ANSWER, {ANSWER_SLOT: answer})


def test_without_custom_answers_the_answer_sentence_is_left_out(
    files: nlu.SentenceFiles, recognizer: nlu.Recognizer
) -> None:
    # An empty slot list makes Rhasspy's training fail ("Missing slot $hearth_answers").
    assert files.slots[ANSWERS_SLOT_LIST] == ()
    assert not [line for line in sentence_lines(files.sentences) if "$hearth_answers" in line]
    assert "[HearthAnswer]" not in sentence_lines(files.sentences)
    assert recognizer.recognize("another one") is None


def test_an_empty_library_still_trains() -> None:
    files = nlu.build_sentences(Library())
    assert not [line for line in sentence_lines(files.sentences) if "$hearth_rituals" in line]
    assert "<ritual_name>" not in files.sentences
    assert "[HearthStartRitual]" not in sentence_lines(files.sentences)
    recognizer = nlu.train(files)
    assert recognizer.recognize("start the appreciation round") is None
    result = recognizer.recognize("pause")
    assert result is not None and result.intent == Intent.PAUSE


def test_rules_that_use_an_empty_slot_go_with_it() -> None:
    base = (
        "# about $hearth_answers\n[A]\nthing = ($hearth_answers){x}\nplay <thing>\nhello\n"
        "[B]\nsee <A.thing>\n\n[C]\n($hearth_answers)\n# $hearth_answers\n"
    )
    files = nlu.build_sentences(Library(), base=base)
    assert files.sentences == "# about $hearth_answers\n[A]\nhello\n"


# -- recognition --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "purple elephant banana", "", "   ", "?!", "the weather in paris tomorrow",
])
def test_nonsense_is_not_recognised(recognizer: nlu.Recognizer, text: str) -> None:
    assert recognizer.recognize(text) is None


@pytest.mark.parametrize(("text", "normal"), [
    ("How much time is LEFT?", "how much time is left"),
    ("I’m done.", "i'm done"),
    ("  Start the Appreciation-Round!  ", "start the appreciation round"),
    ("'pause'", "pause"),
])
def test_text_is_normalised(recognizer: nlu.Recognizer, text: str, normal: str) -> None:
    assert nlu.normalize(text) == normal
    result = recognizer.recognize(text)
    assert result is not None
    assert result.text == normal


def test_a_few_extra_words_are_forgiven(recognizer: nlu.Recognizer) -> None:
    result = recognizer.recognize("start the appreciation round please")
    assert result is not None
    assert result.slots == {RITUAL_SLOT: "appreciation-round"}


def test_an_intent_filter_limits_the_answer(recognizer: nlu.Recognizer) -> None:
    assert recognizer.recognize("yes", intents={Intent.NO}) is None
    result = recognizer.recognize("yes", intents={Intent.YES, Intent.NO})
    assert result is not None and result.intent == Intent.YES


# -- files for Rhasspy ----------------------------------------------------------------------------


def test_written_files_train_as_rhasspy_loads_them(
    with_answers: nlu.SentenceFiles, tmp_path: Path
) -> None:
    written = nlu.write_files(with_answers, tmp_path / "profile")
    assert [p.relative_to(tmp_path / "profile").as_posix() for p in written] == [
        "sentences.ini", "slots/hearth_rituals", "slots/hearth_answers",
    ]
    slot_file = (tmp_path / "profile" / "slots" / "hearth_rituals").read_text()
    assert "(hug timer):hug-timer\n" in slot_file
    # What Rhasspy does at training time: parse the ini, load slots/ as replacements.
    intents = parse_ini((tmp_path / "profile" / "sentences.ini").read_text())
    replacements = get_slot_replacements(intents, slots_dirs=[tmp_path / "profile" / "slots"])
    recognizer = nlu.Recognizer(intents_to_graph(intents, replacements=replacements))
    result = recognizer.recognize("let's do the hug timer")
    assert result is not None and result.slots == {RITUAL_SLOT: "hug-timer"}
    result = recognizer.recognize("slow down")
    assert result is not None and result.slots == {ANSWER_SLOT: "slow-down"}


def test_the_graph_is_written_as_a_gzipped_pickle(
    recognizer: nlu.Recognizer, tmp_path: Path
) -> None:
    path = tmp_path / "intent.pickle.gz"
    recognizer.write_graph(path)
    with gzip.open(path) as raw:
        assert raw.read(1)  # gzip, and not empty
    with path.open("rb") as data:
        loaded = nlu.Recognizer(gzip_pickle_to_graph(data))
    result = loaded.recognize("start our evening check in")
    assert result is not None and result.slots == {RITUAL_SLOT: "empathy-check-in"}
