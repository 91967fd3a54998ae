"""The loader on inline YAML: what good files become, and how problems are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import HEADER, make_ritual

from skill.errors import RitualFileError, UnknownRitualError
from skill.loader import deck_from_yaml, load_library, ritual_from_yaml
from skill.ritual import Ask, Chime, End, Practice, Rounds, Say, Silence, Talk, Turns, Who


def test_a_full_ritual_becomes_an_immutable_model() -> None:
    ritual = ritual_from_yaml(
        """
id: hug
title: Hug
description: A hug.
practice: physical-affection
language: en-GB
duration: 1m
participants: 2
triggers: [Hug Time, "let's hug"]
decks:
  ideas: [One idea, Another idea]
steps:
  - chime
  - say: ["Hello {names}.", "Hi {names}."]
  - say: '{prompt}'
    deck: ideas
  - turns:
      - talk: 1m30s
        warn: 15s
      - talk: 30s
        who: partner
    rounds: 2
  - rounds: 2
    steps: [{silence: 20s}]
  - ask: Again?
    answers: {yes: [end], no: }
    no_answer: no
  - chime: gong
""",
        "hug.yaml",
    )
    assert ritual.id == "hug" and ritual.practice is Practice.PHYSICAL_AFFECTION
    assert ritual.language == "en-GB" and ritual.duration == 60.0
    assert ritual.participants == (2, 2)
    assert ritual.triggers == ("hug time", "let's hug")  # normalised as recognisers hear them
    kinds = [type(step) for step in ritual.steps]
    assert kinds == [Chime, Say, Say, Turns, Rounds, Ask, Chime]
    turns = ritual.steps[3]
    assert isinstance(turns, Turns) and turns.rounds == 2
    assert turns.steps == (Talk(90.0, 15.0, None, Who.SPEAKER, 18), Talk(30.0, None, None,
                                                                          Who.PARTNER, 20))
    assert ritual.steps[4] == Rounds(2, (Silence(20.0, 24),), 23)
    ask = ritual.steps[5]
    assert isinstance(ask, Ask) and ask.answer_names == ("yes", "no")
    assert ask.steps_for("yes") == (End(26),) and ask.no_answer == "no"
    assert ritual.deck("ideas").prompts == ("One idea", "Another idea")
    with pytest.raises(AttributeError):
        ritual.id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", (2, 2)), ("2-6", (2, 6)), ("3+", (3, 12)), ("1", (1, 1))],
)
def test_participants(text: str, expected: tuple[int, int]) -> None:
    header = HEADER + f"participants: {text!r}\n"
    assert make_ritual("  - say: Hi.\n", header=header).participants == expected


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
def test_yaml_booleans_stay_words(word: str) -> None:
    ritual = make_ritual(f"  - ask: Well?\n    answers:\n      {word}:\n      other:\n")
    step = ritual.steps[0]
    assert isinstance(step, Ask) and step.answer_names[0] == word.lower()


def test_say_text_that_yaml_would_read_as_a_bool_or_number_stays_text() -> None:
    ritual = make_ritual("  - say: yes\n  - say: 3.5\n  - say: null words\n")
    assert [s.text.variants[0].source for s in ritual.steps] == [  # type: ignore[union-attr]
        "yes", "3.5", "null words"
    ]


def test_every_problem_in_a_file_is_reported_in_order() -> None:
    with pytest.raises(RitualFileError) as caught:
        ritual_from_yaml(
            HEADER + "colour: blue\nsteps:\n  - sya: Hi\n  - talk: 90\n  - say: '{speaker}'\n",
            "many.yaml",
        )
    problems = [str(p) for p in caught.value.problems]
    assert problems == [
        "many.yaml:6:1: unknown key 'colour' in a ritual; allowed: id, title, description, "
        "practice, language, duration, participants, triggers, decks, steps",
        "many.yaml:8:5: unknown key 'sya' in a step; did you mean 'say'? allowed: say, ask, "
        "talk, silence, chime, turns, rounds, end",
        "many.yaml:9:11: talk: expected a duration with a unit, like 90s or 2m",
        "many.yaml:10:11: placeholder {speaker} is not allowed here (only inside turns) "
        "(allowed here: {names})",
    ]


def test_placeholder_error_points_at_the_placeholder() -> None:
    with pytest.raises(RitualFileError, match=r"t\.yaml:7:17: placeholder \{nmae\}.*"
                                              r"did you mean \{names\}"):
        ritual_from_yaml(HEADER + "steps:\n  - say: Hello, {nmae}.\n", "t.yaml")


@pytest.mark.parametrize("bad", ["{x.__class__}", "{names[0]}", "{names!r}", "{names:>10}",
                                 "{0}", "{}"])
def test_placeholders_can_never_reach_beyond_a_name(bad: str) -> None:
    with pytest.raises(RitualFileError, match=r"must be a bare name|unknown|not allowed"):
        ritual_from_yaml(HEADER + f"steps:\n  - say: 'Hi {bad}'\n", "t.yaml")


def test_deck_files() -> None:
    deck = deck_from_yaml("title: Ideas\nprompts:\n  - One\n  - Two\n", "ideas")
    assert deck.id == "ideas" and deck.prompts == ("One", "Two") and deck.title == "Ideas"
    with pytest.raises(RitualFileError, match=r"d\.yaml:3:5: a prompt of prompts: expected a "
                                              r"prompt not listed twice"):
        deck_from_yaml("prompts:\n  - One\n  - One\n", "d", "d.yaml")


def test_a_folder_keeps_every_good_file_and_reports_every_bad_one(tmp_path: Path) -> None:
    good = HEADER.replace("test-ritual", "good") + "steps:\n  - say: Hi.\n"
    (tmp_path / "good.yaml").write_text(good)
    (tmp_path / "bad1.yaml").write_text("id: [\n")
    (tmp_path / "bad2.yaml").write_text(HEADER.replace("test-ritual", "bad2") + "steps: []\n")
    (tmp_path / "twin.yaml").write_text(good)
    (tmp_path / "notes.txt").write_text("not a ritual")
    library = load_library(tmp_path)
    assert list(library.rituals) == ["good"]
    sources = sorted(Path(p.source).name for p in library.problems)
    assert sources == ["bad1.yaml", "bad2.yaml", "twin.yaml"]
    twin = next(p for p in library.problems if p.source.endswith("twin.yaml"))
    assert "'good' is taken by" in str(twin)
    with pytest.raises(UnknownRitualError, match=r"no ritual 'god'\. Did you mean 'good'"):
        library.get("god")


def test_a_deck_named_by_a_step_must_exist(tmp_path: Path) -> None:
    (tmp_path / "decks").mkdir()
    (tmp_path / "decks" / "dreams.yaml").write_text("prompts: [What do you dream of?]\n")
    (tmp_path / "r.yaml").write_text(HEADER + "steps:\n  - say: '{prompt}'\n    deck: dream\n")
    library = load_library(tmp_path)
    assert not library.rituals
    assert "there is no deck 'dream' (did you mean 'dreams'?" in str(library.problems[0])
    (tmp_path / "r.yaml").write_text(HEADER + "steps:\n  - say: '{prompt}'\n    deck: dreams\n")
    ritual = load_library(tmp_path).get("test-ritual")
    assert ritual.deck("dreams").prompts == ("What do you dream of?",)
