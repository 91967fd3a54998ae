"""rituals/ritual.schema.json and deck.schema.json agree with the loader where JSON Schema can.

The schemas are for editors (VS Code's YAML extension reads the ``$schema`` comment at the
top of each ritual). They must accept every ritual and deck the loader accepts, and refuse
the structural mistakes of the bad-ritual corpus the loader refuses. Rules a schema cannot
express (placeholder scope, deck names, comparing two values, YAML safety) stay the
loader's alone; :data:`SCHEMA_BLIND` lists those corpus files and why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from skill.durations import parse_duration
from skill.errors import RitualFileError
from skill.loader import (
    PRACTICES,
    RITUAL_KEYS,
    RITUAL_REQUIRED,
    STEP_OPTIONS,
    deck_from_yaml,
    load_deck_file,
    load_library,
    ritual_from_yaml,
)
from skill.ritual import Practice

TESTS = Path(__file__).parent
RITUALS = TESTS.parent / "rituals"
CORPUS = TESTS / "bad_rituals"
RITUAL_SCHEMA = json.loads((RITUALS / "ritual.schema.json").read_text(encoding="utf-8"))
DECK_SCHEMA = json.loads((RITUALS / "deck.schema.json").read_text(encoding="utf-8"))
RITUAL_VALIDATOR = Draft202012Validator(RITUAL_SCHEMA)
DECK_VALIDATOR = Draft202012Validator(DECK_SCHEMA)


class WordsLoader(yaml.SafeLoader):
    """YAML as Hearth (and a YAML 1.2 editor) reads it: ``yes``/``no``/``on``/``off`` stay
    words, only ``true``/``false`` are booleans, and dates stay text. Numbers still become
    numbers (``participants: 2``), so durations like ``90`` are caught as non-text."""


_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
WordsLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
WordsLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=WordsLoader)


def schema_errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def loader_accepts(text: str) -> bool:
    try:
        ritual_from_yaml(text, "<test>", {})
    except RitualFileError:
        return False
    return True


def schema_accepts(text: str) -> bool:
    return RITUAL_VALIDATOR.is_valid(load_yaml(text))


# -- the helper itself ---------------------------------------------------------------------


def test_words_loader_keeps_yes_and_no_as_words() -> None:
    document = load_yaml("a: yes\nb: no\nc: on\nd: off\ne: true\nf: 2\ng: 2m\nh: 2024-01-01\n")
    assert document == {
        "a": "yes", "b": "no", "c": "on", "d": "off", "e": True, "f": 2, "g": "2m",
        "h": "2024-01-01",
    }
    assert load_yaml("yes: 1\nno: 2\n") == {"yes": 1, "no": 2}


# -- the schemas themselves ------------------------------------------------------------------


@pytest.mark.parametrize("schema", [RITUAL_SCHEMA, DECK_SCHEMA], ids=["ritual", "deck"])
def test_schema_is_a_valid_draft_2020_12_schema(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _subschemas(node: Any, path: str = "#") -> list[tuple[str, Any]]:
    found = [(path, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _subschemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _subschemas(value, f"{path}/{index}")
    return found


@pytest.mark.parametrize("schema", [RITUAL_SCHEMA, DECK_SCHEMA], ids=["ritual", "deck"])
def test_every_property_has_a_title_and_description(schema: dict[str, Any]) -> None:
    for path, node in _subschemas(schema):
        if path.endswith("/properties") and isinstance(node, dict):
            for name, prop in node.items():
                assert prop.get("title") and prop.get("description"), f"{path}/{name}"


@pytest.mark.parametrize("schema", [RITUAL_SCHEMA, DECK_SCHEMA], ids=["ritual", "deck"])
def test_every_object_refuses_unknown_keys(schema: dict[str, Any]) -> None:
    for path, node in _subschemas(schema):
        if isinstance(node, dict) and node.get("type") == "object":
            assert "additionalProperties" in node, path
            if "properties" in node:
                assert node["additionalProperties"] is False, path


def test_step_kinds_and_options_match_the_loader() -> None:
    defs = RITUAL_SCHEMA["$defs"]
    assert set(RITUAL_SCHEMA["properties"]) == set(RITUAL_KEYS)
    assert set(RITUAL_SCHEMA["required"]) == set(RITUAL_REQUIRED)
    assert set(defs["bareStep"]["enum"]) == {"chime", "end"}
    refs = {branch["$ref"].rsplit("/", 1)[-1] for branch in defs["step"]["anyOf"]}
    assert refs == {"bareStep", *STEP_OPTIONS}
    for kind, options in STEP_OPTIONS.items():
        assert set(defs[kind]["properties"]) == {kind, *options}, kind
        assert kind in defs[kind]["required"]


def test_practices_match_the_loader() -> None:
    assert RITUAL_SCHEMA["properties"]["practice"]["enum"] == [p.value for p in Practice]
    assert tuple(RITUAL_SCHEMA["properties"]["practice"]["enum"]) == PRACTICES


# -- shipped files ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(RITUALS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_ritual_validates(path: Path) -> None:
    assert schema_errors(RITUAL_VALIDATOR, load_yaml(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", sorted((RITUALS / "decks").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_deck_validates(path: Path) -> None:
    load_deck_file(path)
    assert schema_errors(DECK_VALIDATOR, load_yaml(path.read_text(encoding="utf-8"))) == []


def test_shipped_rituals_load() -> None:
    library = load_library(RITUALS)
    assert [str(p) for error in library.problems for p in error.problems] == []
    assert len(library.rituals) == len(list(RITUALS.glob("*.yaml")))


# -- the bad-ritual corpus -------------------------------------------------------------------

SCHEMA_REJECTS = (
    # keys
    "misspelt-top-level-key.yaml",
    "missing-required-key.yaml",
    "misspelt-step-kind.yaml",
    "misspelt-bare-step.yaml",
    "two-step-kinds.yaml",
    "unknown-step-option.yaml",
    "option-of-another-kind.yaml",
    "ask-without-answers.yaml",
    "rounds-without-steps.yaml",
    "warning-without-warn.yaml",
    # types and values
    "wrong-practice.yaml",
    "bad-id.yaml",
    "bad-language.yaml",
    "participants-reversed.yaml",
    "participants-too-many.yaml",
    "trigger-with-digits.yaml",
    "bad-deck-name.yaml",
    "empty-deck.yaml",
    "empty-steps.yaml",
    "steps-not-a-list.yaml",
    "end-with-value.yaml",
    "unknown-chime.yaml",
    "misspelt-who.yaml",
    "text-too-long.yaml",
    "answers-as-list.yaml",
    "answer-with-punctuation.yaml",
    "rounds-zero.yaml",
    "rounds-too-many.yaml",
    # durations
    "duration-without-unit.yaml",
    "nonsense-duration.yaml",
    "zero-duration.yaml",
    # placeholder syntax (which names exist, written bare, braces balanced)
    "unknown-placeholder.yaml",
    "placeholder-attribute.yaml",
    "placeholder-dunder.yaml",
    "placeholder-index.yaml",
    "placeholder-conversion.yaml",
    "placeholder-format-spec.yaml",
    "unbalanced-brace.yaml",
    "stray-closing-brace.yaml",
    # the file as a whole
    "empty.yaml",
    "top-level-list.yaml",
    "top-level-text.yaml",
    # a list of lists where steps go (the nesting limit is the loader's, the shape the schema's)
    "deep-nesting.yaml",
    # files that once crashed the loader
    "answers-all-bad.yaml",
    "participants-superscript.yaml",
    "inline-deck-all-prompts-bad.yaml",
    "rounds-superscript.yaml",
    "rounds-all-steps-bad.yaml",
    "turns-all-steps-bad.yaml",
)

# Corpus files only the loader can refuse, and why.
SCHEMA_BLIND_RULES = {
    "warn-longer-than-talk.yaml": "compares two values",
    "who-partner-outside-turns.yaml": "depends on where the step is",
    "turns-inside-turns.yaml": "depends on where the step is",
    "speaker-outside-turns.yaml": "placeholder scope",
    "round-outside-rounds.yaml": "placeholder scope",
    "prompt-without-deck.yaml": "placeholder scope: depends on earlier steps",
    "unknown-deck.yaml": "deck names are known only at load time",
    "no-answer-unknown.yaml": "refers to another key",
    "trigger-twice.yaml": "phrases are compared after normalising case and spaces",
    "duplicate-key.yaml": "YAML loaders keep the last value; the schema never sees both",
    "merge-key.yaml": "YAML loaders expand the merge before the schema sees it",
    "answers-repeat.yaml": "answers are compared after lower-casing",
}
SCHEMA_BLIND_YAML = {
    "tab-indentation.yaml": "not YAML",
    "yaml-syntax-error.yaml": "not YAML",
    "bad-indentation.yaml": "not YAML",
    "second-document.yaml": "two documents",
    "unknown-alias.yaml": "not YAML",
    "complex-key.yaml": "a key JSON cannot have",
    "python-tag.yaml": "a tag: refused before any schema",
    "custom-tag.yaml": "a tag: refused before any schema",
    "alias-bomb.yaml": "would be expanded before any schema",
    "merge-bomb.yaml": "would be expanded before any schema",
    "control-character.yaml": "not YAML",
    "nul-bytes.yaml": "not text",
    "utf-16.yaml": "not UTF-8",
    "latin-1.yaml": "not UTF-8",
}


def test_every_corpus_file_is_classified_once() -> None:
    corpus = {p.name for p in CORPUS.iterdir() if p.is_file()}
    lists = [set(SCHEMA_REJECTS), set(SCHEMA_BLIND_RULES), set(SCHEMA_BLIND_YAML)]
    assert sum(len(names) for names in lists) == len(set().union(*lists)), "listed twice"
    assert set().union(*lists) == corpus
    assert len(SCHEMA_REJECTS) == len(set(SCHEMA_REJECTS))


@pytest.mark.parametrize("name", SCHEMA_REJECTS)
def test_structural_mistake_is_refused_by_loader_and_schema(name: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    with pytest.raises(RitualFileError):
        ritual_from_yaml(text, name, {})
    assert schema_errors(RITUAL_VALIDATOR, load_yaml(text)), f"the schema accepts {name}"


@pytest.mark.parametrize("name", sorted(SCHEMA_BLIND_RULES))
def test_schema_blind_spot_is_real(name: str) -> None:
    # Keeps the lists honest: if the schema learns to catch one, move it to SCHEMA_REJECTS.
    text = (CORPUS / name).read_text(encoding="utf-8")
    with pytest.raises(RitualFileError):
        ritual_from_yaml(text, name, {})
    assert schema_errors(RITUAL_VALIDATOR, load_yaml(text)) == []


# -- good rituals: accepted by both ------------------------------------------------------------

GOOD = {
    "every-step-kind": """\
# yaml-language-server: $schema=ritual.schema.json
id: every-step-kind
title: Every step kind
description: A ritual that uses every kind of step once.
practice: quality-time
language: en-GB
duration: 12m
participants: 2-6
triggers:
  - start every step kind
  - let's try everything
decks:
  ideas: [a walk by the river, a film you both loved, "braces {stay} as they are"]
steps:
  - chime
  - chime: gong
  - chime:
  - say: "Hello, {names}. {{Braces}} are fine when doubled."
  - say:
      - "Here's an idea: {prompt}."
      - "How about {prompt}?"
    deck: ideas
  - silence: 20s
  - talk: 1m30s
    warn: 30s
    warning: [Half a minute., "Thirty seconds, {names}."]
    who: everyone
  - turns:
      - say: "{speaker}, tell {partner} about {prompt}. Round {round}."
      - talk: 2m
        warn: 15s
      - talk: 30s
        who: partner
      - rounds: 2
        steps:
          - say: "{speaker}, once more."
    rounds: 2
  - rounds: 3
    steps:
      - say: Round {round}.
      - ask: "Again, {names}?"
        reask: Yes or no?
        answers:
          yes:
          no:
            - say: Alright.
            - end
          another one please:
            - chime: soft
        no_answer: no
  - ask: Shall we stop?
    answers:
      yes:
        - end:
    no_answer:
      - say: I'll take that as a yes.
  - end
""",
    "smallest": """\
id: smallest
title: X
description: The smallest ritual.
practice: physical-affection
triggers: hug
steps: [chime]
""",
    "participants-forms": """\
id: participants-forms
title: Participants
description: Twelve and more, spaces and all.
practice: empathy
participants: " 2 - 12 "
triggers: [start the big circle]
steps:
  - say: "{names}"
""",
    "participants-plus": """\
id: participants-plus
title: Participants
description: At least two.
practice: empathy
participants: 2+
triggers: start the big circle
steps:
  - talk: 1h
""",
    "participants-one": """\
id: participants-one
title: Participants
description: Just one person.
practice: vulnerability
participants: 1
triggers: "Start my quiet minute"
steps:
  - silence: 1m
""",
    "words-stay-words": """\
id: words-stay-words
title: yes
description: no
practice: appreciation
triggers: [on, off]
steps:
  - say: yes
  - ask: on or off?
    answers:
      on:
      off:
      yes:
      no:
    no_answer: off
""",
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_ritual_is_accepted_by_loader_and_schema(name: str) -> None:
    text = GOOD[name]
    ritual = ritual_from_yaml(text, f"{name}.yaml", {})
    assert ritual.id == name
    assert schema_errors(RITUAL_VALIDATOR, load_yaml(text)) == []


# -- single values: loader and schema agree ------------------------------------------------------

RITUAL_HEAD = """\
id: values
title: Values
description: One value at a time.
practice: empathy
triggers: start the values
"""


def ritual_with(key: str, value: str, steps: str = "steps: [chime]\n") -> str:
    """The small ritual above with ``key: value`` in it (replacing the key if it is there)."""
    if not key:
        return RITUAL_HEAD + steps
    head = [line for line in RITUAL_HEAD.splitlines() if not line.startswith(f"{key}:")]
    return "\n".join([*head, f"{key}: {value}"]) + "\n" + steps


AGREEMENT = [
    # (ritual text, accepted)
    *((ritual_with("participants", v), ok) for v, ok in [
        ("2", True), ('"2"', True), ("2-6", True), ("2+", True), ("12", True), ("1-12", True),
        ("12+", True), ("02-06", True), ("'3 - 5'", True), ("0", False), ("13", False),
        ("7-3", False), ("-2", False), ("2++", False), ("two", False),
        ("13+", False), ("2.5", False), ("[2, 6]", False), ("1-13", False),
    ]),
    *((ritual_with("duration", v), ok) for v, ok in [
        ("45s", True), ("2m", True), ("1m30s", True), ("1h", True), ("1m 30s", True),
        ("0s", False), ("90", False), ("'90'", False), ("soon", False), ("2 min", False),
        ("1.5m", False), ("-1m", False), ("1:30", False),
    ]),
    *((ritual_with("language", v), ok) for v, ok in [
        ("en", True), ("de-AT", True), ("gsw", True), ("English", False), ("EN", False),
        ("e", False), ("en_GB", False), ("42", False), ("en-!!", False),
    ]),
    *((ritual_with("id", v), ok) for v, ok in [
        ("a", True), ("hug-timer-2", True), ("'9-lives'", True), ("Hug", False),
        ("-hug", False), ("hug timer", False), ("hug_timer", False), ("x" * 65, False),
    ]),
    *((ritual_with("triggers", v), ok) for v, ok in [
        ("let's hug", True), ("[café au lait, well-being time]", True), ("[]", False),
        ("[hug, [nested]]", False), ("'hug #1'", False), ("'ok, go'", False),
        ("'" + "a " * 16 + "'", False), ("'" + "a" * 81 + "'", False),
    ]),
    *((ritual_with("", "", f"steps:\n  - {step}\n"), ok) for step, ok in [
        ("chime: bell", True), ("chime: ding", False), ("end:", True), ("end: now", False),
        ("say: ''", False), ("say: []", False), ("say: [hi, '']", False), ("say: '   '", False),
        ("say: '{{names}}'", True), ("say: '{}'", False), ("say: '{ names}'", False),
        ("turns: [chime]", True), ("turns: chime", False), ("rounds: 20\n    steps: [chime]", True),
        ("rounds: 21\n    steps: [chime]", False), ("rounds: two\n    steps: [chime]", False),
        ("turns: [chime]\n    rounds: 0", False), ("silence: 10s\n    warn: 5s", False),
        ("ask: ok?\n    answers: {}", False), ("ask: ok?\n    answers: {yes: chime}", False),
        ("ask: ok?\n    answers: {yes: [chime]}\n    no_answer: [end]", True),
        ("talk: 2m\n    who: nobody", False), ("talk: 2m\n    warn: 2", False),
    ]),
]


@pytest.mark.parametrize(("text", "accepted"), AGREEMENT)
def test_loader_and_schema_agree_on_single_values(text: str, accepted: bool) -> None:
    assert (loader_accepts(text), schema_accepts(text)) == (accepted, accepted)


# Where the schema is deliberately stricter than the loader (documented, not accidental).
SCHEMA_STRICTER = [
    ritual_with("id", "2024"),  # YAML reads a number; the loader reads the text
    ritual_with("title", "2024"),  # the same for any text
    ritual_with("", "", 'steps:\n  - rounds: "3"\n    steps: [chime]\n'),  # a quoted count
    ritual_with("triggers", "[start ვარჯიში]"),  # the schema knows Latin, Greek, Cyrillic only
]


@pytest.mark.parametrize("text", SCHEMA_STRICTER)
def test_schema_is_stricter_only_where_documented(text: str) -> None:
    assert (loader_accepts(text), schema_accepts(text)) == (True, False)


DURATION_SCHEMA = Draft202012Validator(RITUAL_SCHEMA["$defs"]["duration"])
PARTICIPANTS_SCHEMA = Draft202012Validator(RITUAL_SCHEMA["properties"]["participants"])


@given(st.text(alphabet="0123456789hms \t:.-x", max_size=12))
def test_duration_pattern_matches_the_loader(text: str) -> None:
    seconds = parse_duration(text)
    assert DURATION_SCHEMA.is_valid(text) == (seconds is not None and seconds > 0)


@given(st.text(alphabet="0123456789+-", max_size=7))
def test_participants_pattern_matches_the_loader(text: str) -> None:
    assume(not text.endswith("-"))  # the loader reads "2-" as 2: see SCHEMA_STRICTER
    source = ritual_with("participants", json.dumps(text))
    assert PARTICIPANTS_SCHEMA.is_valid(text) == loader_accepts(source)


# -- decks ---------------------------------------------------------------------------------------

BAD_DECKS = {
    "no-prompts": "title: Empty\n",
    "empty-prompts": "prompts: []\n",
    "prompts-not-a-list": "prompts: what do you hope for?\n",
    "blank-prompt": "prompts: [a good one, '  ']\n",
    "prompt-twice": "prompts: [the same, the same]\n",
    "nested-prompt": "prompts: [a good one, [a list]]\n",
    "unknown-key": "title: Deck\nprompt: [misspelt key]\n",
    "misspelt-key": "title: Deck\nprompts: [fine]\ntitel: Deck\n",
    "bad-language": "language: German\nprompts: [fine]\n",
    "top-level-list": "- just\n- prompts\n",
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(BAD_DECKS))
def test_bad_deck_is_refused_by_loader_and_schema(name: str) -> None:
    text = BAD_DECKS[name]
    with pytest.raises(RitualFileError):
        deck_from_yaml(text, name, f"{name}.yaml")
    assert schema_errors(DECK_VALIDATOR, load_yaml(text)), f"the schema accepts {name}"


def test_good_deck_is_accepted_by_loader_and_schema() -> None:
    text = "title: Braces {are} fine\nlanguage: de\nprompts:\n  - yes\n  - 'what is {this}?'\n"
    deck = deck_from_yaml(text, "good", "good.yaml")
    assert deck.prompts == ("yes", "what is {this}?")
    assert schema_errors(DECK_VALIDATOR, load_yaml(text)) == []
