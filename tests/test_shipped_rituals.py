"""The rituals Hearth ships: valid, complete, and each one runs to its end."""

from __future__ import annotations

import pytest
from harness import Harness

from skill.loader import load_library
from skill.paths import shipped_rituals
from skill.ritual import Chime, Practice, Say, Silence
from skill.timeline import estimate

LIBRARY = load_library(shipped_rituals())
EXPECTED = {
    "screen-free-conversation": Practice.QUALITY_TIME,
    "appreciation-round": Practice.APPRECIATION,
    "speaker-listener": Practice.ACTIVE_LISTENING,
    "dreams-and-fears": Practice.VULNERABILITY,
    "empathy-check-in": Practice.EMPATHY,
    "temperature-reading": Practice.ACTIVE_LISTENING,
    "stress-reducing-conversation": Practice.EMPATHY,
    "hug-timer": Practice.PHYSICAL_AFFECTION,
    "shared-experience-planner": Practice.SHARED_EXPERIENCE,
}


def test_every_shipped_file_loads() -> None:
    assert [str(p) for p in LIBRARY.problems] == []
    assert set(LIBRARY.rituals) == set(EXPECTED)


@pytest.mark.parametrize(("ritual_id", "practice"), EXPECTED.items())
def test_each_ritual_names_its_practice(ritual_id: str, practice: Practice) -> None:
    assert LIBRARY.get(ritual_id).practice is practice


def test_every_deck_has_at_least_thirty_prompts() -> None:
    assert LIBRARY.decks
    for deck in LIBRARY.decks.values():
        assert len(deck.prompts) >= 30, deck.id


def test_trigger_phrases_are_unique_across_rituals() -> None:
    seen: dict[str, str] = {}
    for ritual in LIBRARY.rituals.values():
        for phrase in ritual.triggers:
            assert phrase not in seen, f"{phrase!r} starts {seen.get(phrase)} and {ritual.id}"
            seen[phrase] = ritual.id


@pytest.mark.parametrize("ritual_id", EXPECTED)
def test_each_ritual_runs_to_its_end_for_the_fewest_and_the_most_people(ritual_id: str) -> None:
    ritual = LIBRARY.get(ritual_id)
    for count in sorted(set(ritual.participants)):
        names = [f"Person{i}" for i in range(count)]
        h = Harness(ritual, names)
        lines = h.play_through()
        assert h.run.completed is True
        assert lines and all("{" not in line and "}" not in line for line in lines)
        assert h.timers == {}


@pytest.mark.parametrize("ritual_id", EXPECTED)
def test_the_stated_duration_is_close_to_the_estimate(ritual_id: str) -> None:
    ritual = LIBRARY.get(ritual_id)
    assert ritual.duration is not None
    low, high = ritual.participants
    estimates = [estimate(ritual, n) for n in (low, min(high, 4))]
    assert min(estimates) * 0.5 <= ritual.duration <= max(estimates) * 1.5


def test_the_ten_minute_conversation_is_about_ten_minutes_of_talk() -> None:
    ritual = LIBRARY.get("screen-free-conversation")
    assert 10 * 60 <= estimate(ritual, 2) <= 13 * 60


def test_the_hug_lasts_twenty_seconds_between_two_chimes() -> None:
    steps = LIBRARY.get("hug-timer").steps
    hug = [i for i, s in enumerate(steps) if isinstance(s, Silence) and s.seconds == 20.0]
    assert len(hug) == 1
    assert isinstance(steps[hug[0] - 1], Chime) and isinstance(steps[hug[0] + 1], Chime)


def test_the_temperature_reading_has_its_five_stages_in_order() -> None:
    ritual = LIBRARY.get("temperature-reading")
    text = " ".join(
        v.source.lower() for s in ritual.steps if isinstance(s, Say) for v in s.text.variants
    )
    stages = ["appreciation", "new information", "puzzle", "concern", "wish"]
    positions = [text.find(stage) for stage in stages]
    assert all(p >= 0 for p in positions), dict(zip(stages, positions, strict=True))
    assert positions == sorted(positions)
