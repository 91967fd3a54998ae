"""Random and mutated YAML never gets anything out of the loader but its own error."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.errors import RitualFileError
from skill.loader import load_decks, ritual_from_yaml
from skill.paths import shipped_rituals

SHIPPED = sorted(shipped_rituals().glob("*.yaml"))
DECKS = load_decks(shipped_rituals() / "decks").decks
SEEDS = [p.read_text(encoding="utf-8") for p in SHIPPED]
YAML_BITS = [
    ":", "- ", "  ", "\n", "{", "}", "[", "]", "&a ", "*a", "<<: ", "!!str ", "!tag ", "'", '"',
    "#", "---\n", "...\n", "? ", "|\n", ">\n", "\t", "{speaker}", "{prompt}", "{x.y}", "yes",
    "null", "~", "1e9", "2m", "90", "say: ", "ask: ", "talk: ", "turns:\n", "\x00", "\ufeff",
]


def _load(text: str) -> None:
    try:
        ritual_from_yaml(text, "fuzz.yaml", DECKS)
    except RitualFileError as error:
        assert error.problems, "an error must say what is wrong"
        for problem in error.problems:
            assert problem.source == "fuzz.yaml" and problem.line >= 1 and problem.column >= 1


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text(text: str) -> None:
    _load(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(YAML_BITS) | st.text(max_size=8), max_size=60))
def test_yaml_shaped_noise(bits: list[str]) -> None:
    _load("".join(bits))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(0, 12),
                  st.sampled_from(YAML_BITS) | st.text(max_size=6)),
        min_size=1, max_size=6,
    ),
)
def test_mutated_shipped_rituals(seed: str, edits: list[tuple[int, int, str]]) -> None:
    text = seed
    for position, cut, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + cut:]
    _load(text)


def test_the_seeds_are_really_the_shipped_rituals() -> None:
    assert len(SEEDS) >= 9
    for path in SHIPPED:
        ritual_from_yaml(path.read_text(encoding="utf-8"), str(path), DECKS)


def test_paths_exist() -> None:
    assert Path(shipped_rituals(), "decks").is_dir()
