"""The training sentences, and the recogniser rhasspy-nlu compiles from them.

Every sentence the compiled graph can produce must come back as its own intent (and its
own slots): that is what keeps one phrase out of two intents. The scheduling intents hold
millions of sentences (every ritual, day and time of day), so an intent with more than
:data:`SAMPLES` of them is checked on that many, drawn uniformly with a fixed seed.
"""

from __future__ import annotations

import gzip
import random
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from skill import nlu
from skill import recognizer as rec
from skill.intents import (
    ANSWER_SLOT,
    ANSWERS_SLOT_LIST,
    CONTROL_INTENTS,
    DAY_SLOT,
    DAYS_SLOT,
    HOUR_SLOT,
    MINUTE_SLOT,
    MINUTES_SLOT,
    PERIOD_SLOT,
    RITUAL_SLOT,
    RITUALS_SLOT_LIST,
    UNTIL_SLOT,
    Intent,
)
from skill.loader import Library, load_library, ritual_from_yaml
from skill.paths import shipped_intents, shipped_rituals
from skill.recurrence import parse_recurrence
from skill.ritual import Ritual

rec.apply_numpy_compat()  # (done by importing skill.recognizer) before rhasspy-nlu

from rhasspynlu.fsticuffs import path_to_recognition  # noqa: E402
from rhasspynlu.ini_jsgf import parse_ini  # noqa: E402
from rhasspynlu.jsgf_graph import (  # noqa: E402
    get_start_end_nodes,
    gzip_pickle_to_graph,
    intents_to_graph,
)
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
def recognizer(files: nlu.SentenceFiles) -> rec.Recognizer:
    return rec.train(files)


@pytest.fixture(scope="module")
def questions() -> Ritual:
    return ritual_from_yaml(QUESTIONS, "questions.yaml")


@pytest.fixture(scope="module")
def with_answers(library: Library, questions: Ritual) -> nlu.SentenceFiles:
    return nlu.build_sentences(Library({**library.rituals, questions.id: questions}))


@pytest.fixture(scope="module")
def answer_recognizer(with_answers: nlu.SentenceFiles) -> rec.Recognizer:
    return rec.train(with_answers)


def sentence_lines(text: str) -> list[str]:
    """The lines that are not blank and not comments."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


SAMPLES = 300
"""Sentences checked per intent at most; the rest of a larger intent is left to chance."""
SEED = 20240601

Example = tuple[str, dict[str, str]]


def sentence_counts(recognizer: rec.Recognizer) -> dict[str, int]:
    """How many sentences the graph holds for each intent."""
    graph = recognizer.graph
    start = _start(graph)
    counts = _path_counter(graph)
    return {_intent(graph, start, branch): counts(branch) for branch in graph[start]}


def expanded(recognizer: rec.Recognizer, limit: int = SAMPLES) -> dict[str, list[Example]]:
    """The graph's sentences: intent → [(spoken text, slots)].

    All of an intent's sentences if it has at most ``limit``; otherwise ``limit`` distinct
    ones, each sentence equally likely, and the same ones every run.
    """
    graph = recognizer.graph
    start = _start(graph)
    counts = _path_counter(graph)
    chance = random.Random(SEED)
    sentences: dict[str, list[Example]] = {}
    for branch in graph[start]:
        intent = _intent(graph, start, branch)
        if counts(branch) <= limit:
            paths = [[start, *path] for path in _all_paths(graph, branch)]
        else:
            chosen: dict[tuple[int, ...], None] = {}
            while len(chosen) < limit:
                chosen[tuple(_random_path(graph, start, branch, counts, chance))] = None
            paths = [list(path) for path in chosen]
        sentences.setdefault(intent, [])
        for path in paths:
            _, sample = path_to_recognition(path, graph)
            assert sample is not None, path
            slots = {e.entity: str(e.value) for e in sample.entities}
            sentences[intent].append((sample.raw_text, slots))
    return sentences


def _start(graph: Any) -> int:
    start, _ = get_start_end_nodes(graph)
    assert start is not None
    return start


def _intent(graph: Any, start: int, branch: int) -> str:
    label = str(graph.edges[start, branch]["olabel"])
    assert label.startswith("__label__"), label
    return label.removeprefix("__label__")


def _path_counter(graph: Any) -> Any:
    """node → how many paths lead from it to the final node (the graph has no cycles)."""
    @cache
    def count(node: int) -> int:
        return sum(count(after) for after in graph[node]) or 1
    return count


def _all_paths(graph: Any, node: int) -> list[list[int]]:
    if not graph[node]:
        return [[node]]
    return [[node, *rest] for after in graph[node] for rest in _all_paths(graph, after)]


def _random_path(graph: Any, start: int, node: int, counts: Any, chance: random.Random
                 ) -> list[int]:
    path = [start, node]
    while graph[node]:
        successors = list(graph[node])
        node = chance.choices(successors, weights=[counts(s) for s in successors])[0]
        path.append(node)
    return path


# -- the sentences ------------------------------------------------------------------------


def test_the_shipped_file_has_a_section_for_every_intent() -> None:
    text = (shipped_intents() / nlu.SENTENCES_FILE).read_text(encoding="utf-8")
    assert set(parse_ini(text)) == {intent.value for intent in Intent}
    for line in sentence_lines(text):
        if not line.startswith("["):
            assert line == line.lower(), line
            spoken = re.sub(r":\d+\b", "", line)  # digits only as values: "eight:8"
            assert not any(ch.isdigit() for ch in spoken), f"write numbers as words: {line}"


def test_every_sentence_is_recognised_as_its_own_intent(
    answer_recognizer: rec.Recognizer,
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


def test_control_intents_have_many_phrasings(recognizer: rec.Recognizer) -> None:
    counts = sentence_counts(recognizer)
    for intent in [*CONTROL_INTENTS, Intent.YES, Intent.NO, Intent.LIST_RITUALS,
                   Intent.LIST_SCHEDULES, Intent.SKIP_TONIGHT, Intent.RESUME_SCHEDULES,
                   Intent.HISTORY]:
        assert counts[intent.value] >= 12, (intent, counts[intent.value])
    for intent in [Intent.SCHEDULE, Intent.CANCEL_SCHEDULE, Intent.PAUSE_SCHEDULES,
                   Intent.SNOOZE]:
        assert counts[intent.value] >= 100, (intent, counts[intent.value])


def test_the_sampler_draws_what_the_graph_holds(recognizer: rec.Recognizer) -> None:
    counts = sentence_counts(recognizer)
    sampled = expanded(recognizer)
    assert set(sampled) == set(counts)
    for intent, examples in sampled.items():
        assert len(examples) == min(counts[intent], SAMPLES), intent
    assert counts[Intent.SCHEDULE.value] > SAMPLES  # so this one is sampled:
    schedules = sampled[Intent.SCHEDULE.value]
    assert len({text for text, _ in schedules}) == SAMPLES
    assert all({RITUAL_SLOT, DAYS_SLOT, HOUR_SLOT} <= set(slots) for _, slots in schedules)
    assert expanded(recognizer) == sampled  # the same sentences every run


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
def test_everyday_phrases(recognizer: rec.Recognizer, text: str, intent: Intent) -> None:
    result = recognizer.recognize(text)
    assert result is not None
    assert (result.intent, dict(result.slots)) == (intent.value, {})


SUNDAY_AT_EIGHT_THIRTY = {RITUAL_SLOT: "appreciation-round", DAYS_SLOT: "every sunday",
                          HOUR_SLOT: "8", MINUTE_SLOT: "30", PERIOD_SLOT: "pm"}


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("schedule the appreciation round every sunday at eight thirty pm", Intent.SCHEDULE,
     SUNDAY_AT_EIGHT_THIRTY),
    ("Schedule the Appreciation Round every Sunday at eight thirty p.m.", Intent.SCHEDULE,
     SUNDAY_AT_EIGHT_THIRTY),
    ("put the hug timer on every weekday at nine in the evening", Intent.SCHEDULE,
     {RITUAL_SLOT: "hug-timer", DAYS_SLOT: "every weekday", HOUR_SLOT: "9",
      PERIOD_SLOT: "in the evening"}),
    ("schedule the hug timer on sunday nights at ten", Intent.SCHEDULE,
     {RITUAL_SLOT: "hug-timer", DAYS_SLOT: "every sunday night", HOUR_SLOT: "10"}),
    ("remind us to do the temperature reading every day at seven", Intent.SCHEDULE,
     {RITUAL_SLOT: "temperature-reading", DAYS_SLOT: "every day", HOUR_SLOT: "7"}),
    ("set up the screen free conversation on weekends at ten am", Intent.SCHEDULE,
     {RITUAL_SLOT: "screen-free-conversation", DAYS_SLOT: "every weekend", HOUR_SLOT: "10",
      PERIOD_SLOT: "am"}),
    ("every monday at eight fifteen let's do the dreams and fears", Intent.SCHEDULE,
     {RITUAL_SLOT: "dreams-and-fears", DAYS_SLOT: "every monday", HOUR_SLOT: "8",
      MINUTE_SLOT: "15"}),
    ("schedule the hug timer on fridays at half past eight in the evening", Intent.SCHEDULE,
     {RITUAL_SLOT: "hug-timer", DAYS_SLOT: "every friday", HOUR_SLOT: "8",
      MINUTE_SLOT: "30", PERIOD_SLOT: "in the evening"}),
    ("schedule the hug timer daily at quarter to one", Intent.SCHEDULE,
     {RITUAL_SLOT: "hug-timer", DAYS_SLOT: "every day", HOUR_SLOT: "12",
      MINUTE_SLOT: "45"}),
    ("schedule the hug timer every saturday at twenty one oh five", Intent.SCHEDULE,
     {RITUAL_SLOT: "hug-timer", DAYS_SLOT: "every saturday", HOUR_SLOT: "21",
      MINUTE_SLOT: "5"}),
    ("schedule the hug timer", Intent.SCHEDULE, {RITUAL_SLOT: "hug-timer"}),  # "when?"
    ("what's scheduled", Intent.LIST_SCHEDULES, {}),
    ("when is our next ritual", Intent.LIST_SCHEDULES, {}),
    ("cancel the sunday ritual", Intent.CANCEL_SCHEDULE, {DAY_SLOT: "sunday"}),
    ("remove the monday ritual", Intent.CANCEL_SCHEDULE, {DAY_SLOT: "monday"}),
    ("cancel the appreciation round schedule", Intent.CANCEL_SCHEDULE,
     {RITUAL_SLOT: "appreciation-round"}),
    ("stop scheduling the hug timer", Intent.CANCEL_SCHEDULE, {RITUAL_SLOT: "hug-timer"}),
    ("not tonight", Intent.SKIP_TONIGHT, {}),
    ("skip tonight", Intent.SKIP_TONIGHT, {}),
    ("let's skip tonight's ritual", Intent.SKIP_TONIGHT, {}),
    ("pause all rituals until monday", Intent.PAUSE_SCHEDULES, {UNTIL_SLOT: "monday"}),
    ("no rituals until tomorrow", Intent.PAUSE_SCHEDULES, {UNTIL_SLOT: "tomorrow"}),
    ("we're on holiday until next week", Intent.PAUSE_SCHEDULES, {UNTIL_SLOT: "next week"}),
    ("resume the schedule", Intent.RESUME_SCHEDULES, {}),
    ("start the rituals again", Intent.RESUME_SCHEDULES, {}),
    ("resume", Intent.RESUME, {}),
    ("resume the ritual", Intent.RESUME, {}),
    ("we're back", Intent.RESUME, {}),  # in a paused ritual; "we're back home" resumes schedules
    ("in ten minutes", Intent.SNOOZE, {MINUTES_SLOT: "10"}),
    ("ask me again in twenty minutes", Intent.SNOOZE, {MINUTES_SLOT: "20"}),
    ("later", Intent.SNOOZE, {MINUTES_SLOT: "10"}),
    ("not now maybe in half an hour", Intent.SNOOZE, {MINUTES_SLOT: "30"}),
    ("give us five minutes", Intent.SNOOZE, {MINUTES_SLOT: "5"}),
    ("in an hour", Intent.SNOOZE, {MINUTES_SLOT: "60"}),
    ("not now", Intent.NO, {}),
    ("give us a minute", Intent.PAUSE, {}),
    ("how many rituals did we do this week", Intent.HISTORY, {}),
    ("how are we doing this week", Intent.HISTORY, {}),
])
def test_scheduling_phrases(recognizer: rec.Recognizer, text: str, intent: Intent,
                            slots: dict[str, str]) -> None:
    found = {(r.intent, tuple(sorted(r.slots.items()))) for r in recognizer.candidates(text)}
    assert found == {(intent.value, tuple(sorted(slots.items())))}


PERIODS = {"am", "pm", "in the morning", "in the afternoon", "in the evening", "at night"}
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def test_schedule_slots_are_what_the_recurrence_parser_reads(recognizer: rec.Recognizer
                                                             ) -> None:
    """The skill says ``f"{days} at {hour}:{minute:02} {period}"`` to the recurrence parser."""
    days = set(re.findall(r"\{days:([^}]+)\}", nlu.shipped_sentences()))
    assert {"every day", "every weekday", "every weekend", *(f"every {d}" for d in WEEK)} <= days
    for value in days:
        assert parse_recurrence(f"{value} at 8:30").minute == 30, value
    for _, slots in expanded(recognizer)[Intent.SCHEDULE.value]:
        assert slots[DAYS_SLOT] in days
        assert 1 <= int(slots[HOUR_SLOT]) <= 23
        assert 1 <= int(slots.get(MINUTE_SLOT, "1")) <= 59
        assert slots.get(PERIOD_SLOT, "pm") in PERIODS
    for period in PERIODS:
        result = recognizer.recognize(f"schedule the hug timer every day at nine {period}")
        assert result is not None and result.slots[PERIOD_SLOT] == period
        assert parse_recurrence(f"every day at 9 {period}").hour in (9, 21)


def test_training_stays_quick(files: nlu.SentenceFiles) -> None:
    # Every ritual, day and time of day makes millions of sentences, but a graph of some
    # thousands of nodes: Hearth retrains whenever the rituals change.
    began = time.perf_counter()
    graph = rec.train(files).graph
    assert time.perf_counter() - began < 3
    assert len(graph) < 30_000


# -- rituals --------------------------------------------------------------------------------


def test_every_trigger_phrase_starts_its_ritual(
    library: Library, recognizer: rec.Recognizer
) -> None:
    for ritual in library.rituals.values():
        for phrase in ritual.triggers:
            result = recognizer.recognize(phrase)
            assert result is not None, phrase
            assert result.intent == Intent.START_RITUAL, phrase
            assert result.slots == {RITUAL_SLOT: ritual.id}, phrase


def test_rituals_start_by_their_title_and_their_id(
    library: Library, recognizer: rec.Recognizer
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
    answer_recognizer: rec.Recognizer, text: str, answer: str
) -> None:
    result = answer_recognizer.recognize(text)
    assert result is not None
    assert (result.intent, result.slots) == (Intent.ANSWER, {ANSWER_SLOT: answer})


def test_without_custom_answers_the_answer_sentence_is_left_out(
    files: nlu.SentenceFiles, recognizer: rec.Recognizer
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
    recognizer = rec.train(files)
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
def test_nonsense_is_not_recognised(recognizer: rec.Recognizer, text: str) -> None:
    assert recognizer.recognize(text) is None


@pytest.mark.parametrize(("text", "normal"), [
    ("How much time is LEFT?", "how much time is left"),
    ("I’m done.", "i'm done"),
    ("  Start the Appreciation-Round!  ", "start the appreciation round"),
    ("'pause'", "pause"),
])
def test_text_is_normalised(recognizer: rec.Recognizer, text: str, normal: str) -> None:
    assert nlu.normalize(text) == normal
    result = recognizer.recognize(text)
    assert result is not None
    assert result.text == normal


def test_a_few_extra_words_are_forgiven(recognizer: rec.Recognizer) -> None:
    result = recognizer.recognize("start the appreciation round please")
    assert result is not None
    assert result.slots == {RITUAL_SLOT: "appreciation-round"}


def test_an_intent_filter_limits_the_answer(recognizer: rec.Recognizer) -> None:
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
    recognizer = rec.Recognizer(intents_to_graph(intents, replacements=replacements))
    result = recognizer.recognize("let's do the hug timer")
    assert result is not None and result.slots == {RITUAL_SLOT: "hug-timer"}
    result = recognizer.recognize("slow down")
    assert result is not None and result.slots == {ANSWER_SLOT: "slow-down"}


def test_the_graph_is_written_as_a_gzipped_pickle(
    recognizer: rec.Recognizer, tmp_path: Path
) -> None:
    path = tmp_path / "intent.pickle.gz"
    recognizer.write_graph(path)
    with gzip.open(path) as raw:
        assert raw.read(1)  # gzip, and not empty
    with path.open("rb") as data:
        loaded = rec.Recognizer(gzip_pickle_to_graph(data))
    result = loaded.recognize("start our evening check in")
    assert result is not None and result.slots == {RITUAL_SLOT: "empathy-check-in"}
