"""A corpus of bad ritual files: each is refused with a located, precise message.

Every file in ``tests/bad_rituals/`` holds one mistake a hobbyist (or an attacker) makes.
:data:`EXPECTED` says where the loader must point (``line:col``), which error it raises and
what the message must say. Large files are written at test time instead of being kept in
the repository.

Seven of them once crashed the loader with a bare ``ValueError`` (a block or a list whose
every item was bad, superscript digits): they stay here so that cannot come back.
"""

from __future__ import annotations

import re
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import Figures

from skill.errors import RitualError, RitualFileError
from skill.loader import load_library, load_ritual_file, ritual_from_yaml
from skill.yamlnodes import MAX_BYTES

CORPUS = Path(__file__).parent / "bad_rituals"
SHIPPED = Path(__file__).parent.parent / "rituals"

# file name → (error class, "line:col" of the first problem, regex its message must match)
EXPECTED: dict[str, tuple[str, str, str]] = {
    # -- once crashed the loader ------------------------------------------------------
    "turns-all-steps-bad.yaml": (
        "InvalidValueError", "9:15", r"^talk: expected a duration with a unit",
    ),
    "rounds-all-steps-bad.yaml": ("PlaceholderError", "10:21", r"^placeholder \{nmae\}"),
    "answers-repeat.yaml": (
        "InvalidValueError", "11:7", r"^an answer: expected an answer not listed twice \('Yes'\)$",
    ),
    "answers-all-bad.yaml": ("InvalidValueError", "10:7", r"^an answer: expected a short phrase"),
    "inline-deck-all-prompts-bad.yaml": ("InvalidValueError", "8:11", r"some text"),
    # '²'.isdigit() is True but int('²') raises: only ASCII digits are numbers here.
    "participants-superscript.yaml": (
        "InvalidValueError", "7:15", r"^participants: expected a number of people",
    ),
    "rounds-superscript.yaml": (
        "InvalidValueError", "8:13", r"^rounds: expected a whole number from 1 to 20$",
    ),
    # -- keys ----------------------------------------------------------------------------
    "misspelt-top-level-key.yaml": (
        "UnknownKeyError", "7:1",
        r"^unknown key 'langauge' in a ritual; did you mean 'language'\? allowed: id, title",
    ),
    "missing-required-key.yaml": (
        "InvalidValueError", "2:1", r"^a ritual: expected the key 'triggers', which is required$",
    ),
    "duplicate-key.yaml": (
        "YamlSyntaxError", "5:1", r"^duplicate key 'title' \(first at line 3, column 1\)$",
    ),
    "complex-key.yaml": (
        "YamlSyntaxError", "8:7", r"^a key must be a plain word, not a list or mapping$",
    ),
    # -- the ritual's own values -----------------------------------------------------------
    "wrong-practice.yaml": (
        "InvalidValueError", "5:11",
        r"^practice: expected one of active-listening, .*not 'apreciation' "
        r"\(did you mean 'appreciation'\?\)$",
    ),
    "bad-id.yaml": (
        "InvalidValueError", "2:5",
        r"^id: expected lower-case letters, digits and dashes, .*not 'Hug Timer'$",
    ),
    "bad-language.yaml": (
        "InvalidValueError", "7:11", r"^language: expected a language tag .*not 'English'$",
    ),
    "participants-reversed.yaml": (
        "InvalidValueError", "7:15", r"^participants: expected the smaller number first, like 3-7$",
    ),
    "participants-too-many.yaml": (
        "InvalidValueError", "7:15", r"^participants: expected .*\(at most 12\)$",
    ),
    "trigger-with-digits.yaml": (
        "InvalidValueError", "8:5",
        r"^a trigger phrase: expected plain words someone would say, not 'start timer 2!'$",
    ),
    "trigger-twice.yaml": (
        "InvalidValueError", "8:5", r"^a trigger phrase: expected a phrase not listed twice",
    ),
    "bad-deck-name.yaml": (
        "InvalidValueError", "8:3", r"^a deck name: expected lower-case letters.*not 'Date Ideas'$",
    ),
    "empty-deck.yaml": (
        "InvalidValueError", "8:10", r"^deck 'ideas': expected a non-empty list of prompts$",
    ),
    # -- the shape of steps -----------------------------------------------------------------
    "empty-steps.yaml": ("InvalidValueError", "7:8", r"^steps: expected a list of steps"),
    "steps-not-a-list.yaml": ("InvalidValueError", "7:8", r"^steps: expected a list of steps"),
    "misspelt-step-kind.yaml": (
        "UnknownKeyError", "8:5", r"^unknown key 'sya' in a step; did you mean 'say'\?",
    ),
    "misspelt-bare-step.yaml": (
        "InvalidValueError", "8:5", r"^a step: expected .*did you mean 'chime'\? found 'chimes'$",
    ),
    "two-step-kinds.yaml": (
        "InvalidValueError", "8:5", r"^a step: expected exactly one step kind, found say and talk$",
    ),
    "unknown-step-option.yaml": (
        "UnknownKeyError", "9:5",
        r"^unknown key 'warm' in a 'talk' step; did you mean 'warn'\? "
        r"allowed: talk, warn, warning, who$",
    ),
    "option-of-another-kind.yaml": (
        "UnknownKeyError", "11:5",
        r"^unknown key 'deck' in an? 'ask' step; allowed: ask, answers, no_answer, reask$",
    ),
    "end-with-value.yaml": (
        "InvalidValueError", "9:10", r"^end: expected nothing after it: write '- end'$",
    ),
    "unknown-chime.yaml": (
        "InvalidValueError", "8:12",
        r"^chime: expected one of bell, soft, gong, not 'gongs' \(did you mean 'gong'\?\)$",
    ),
    "text-too-long.yaml": ("InvalidValueError", "8:10", r"^say: expected at most 2000 characters$"),
    # -- durations and talks ----------------------------------------------------------------
    "duration-without-unit.yaml": (
        "InvalidValueError", "8:11", r"^talk: expected a duration with a unit, like 90s or 2m$",
    ),
    "nonsense-duration.yaml": (
        "InvalidValueError", "8:14", r"^silence: expected a duration like 45s, 2m or 1m30s$",
    ),
    "zero-duration.yaml": ("InvalidValueError", "8:14", r"^silence: expected a duration like"),
    "warn-longer-than-talk.yaml": (
        "InvalidValueError", "9:11", r"^warn: expected a time shorter than the talk itself$",
    ),
    "warning-without-warn.yaml": (
        "InvalidValueError", "9:14", r"^warning: expected 'warn: 30s' beside it$",
    ),
    "who-partner-outside-turns.yaml": (
        "InvalidValueError", "9:10", r"^who: expected 'everyone' outside of turns$",
    ),
    "misspelt-who.yaml": (
        "InvalidValueError", "11:14",
        r"^who: expected one of .*not 'speakr' \(did you mean 'speaker'\?\)$",
    ),
    # -- turns, rounds, questions -------------------------------------------------------------
    "turns-inside-turns.yaml": (
        "InvalidValueError", "10:9", r"^turns: expected no turns inside turns$",
    ),
    "rounds-zero.yaml": (
        "InvalidValueError", "8:13", r"^rounds: expected a whole number from 1 to 20$",
    ),
    "rounds-too-many.yaml": (
        "InvalidValueError", "10:13", r"^rounds: expected a whole number from 1 to 20$",
    ),
    "rounds-without-steps.yaml": (
        "InvalidValueError", "8:5",
        r"^a 'rounds' step: expected 'steps:' with the steps to repeat$",
    ),
    "ask-without-answers.yaml": (
        "InvalidValueError", "8:5",
        r"^an 'ask' step: expected 'answers:' with the expected answers$",
    ),
    "answers-as-list.yaml": (
        "InvalidValueError", "9:14", r"^answers: expected a mapping of answers",
    ),
    "answer-with-punctuation.yaml": (
        "InvalidValueError", "10:7",
        r"^an answer: expected a short phrase of plain words, not 'yes!!'$",
    ),
    "no-answer-unknown.yaml": (
        "InvalidValueError", "13:16",
        r"^no_answer: expected one of the answers \(yes, no\) or a list of steps, not 'maybe'$",
    ),
    "unknown-deck.yaml": (
        "InvalidValueError", "11:11",
        r"^deck: expected the name of a deck; there is no deck 'idea' "
        r"\(did you mean 'ideas'\? decks: ideas\)$",
    ),
    # -- placeholders -------------------------------------------------------------------------
    "speaker-outside-turns.yaml": (
        "PlaceholderError", "8:11",
        r"^placeholder \{speaker\} is not allowed here \(only inside turns\) "
        r"\(allowed here: \{names\}\)$",
    ),
    "round-outside-rounds.yaml": (
        "PlaceholderError", "8:25",
        r"^placeholder \{round\} is not allowed here \(only inside turns or rounds\)",
    ),
    "prompt-without-deck.yaml": (
        "PlaceholderError", "8:31",
        r"^placeholder \{prompt\} is not allowed here "
        r"\(only after a 'say' that draws from a deck\)",
    ),
    "unknown-placeholder.yaml": (
        "PlaceholderError", "8:18",
        r"^placeholder \{nmae\} is not allowed here; did you mean \{names\}\?",
    ),
    "placeholder-attribute.yaml": (
        "RitualError", "8:11", r"^say: placeholder \{names\.__class__\} must be a bare name",
    ),
    "placeholder-dunder.yaml": (
        "RitualError", "8:11",
        r"^say: placeholder \{x\.__class__\.__init__\.__globals__\} must be a bare name",
    ),
    "placeholder-index.yaml": (
        "RitualError", "8:17", r"^say: placeholder \{x\[0\]\} must be a bare name",
    ),
    "placeholder-conversion.yaml": (
        "RitualError", "8:17", r"^say: placeholder \{names!r\} must be a bare name.*conversions",
    ),
    "placeholder-format-spec.yaml": (
        "RitualError", "8:17", r"^say: placeholder \{names:>10\} must be a bare name.*formats",
    ),
    "unbalanced-brace.yaml": (
        "RitualError", "8:17", r"^say: unbalanced brace .*write \{\{ or \}\} for a literal brace$",
    ),
    "stray-closing-brace.yaml": (
        "RitualError", "8:17", r"^say: unbalanced brace \(Single '\}' encountered",
    ),
    # -- the file as a whole --------------------------------------------------------------------
    "empty.yaml": ("InvalidValueError", "1:1", r"^the file: expected a ritual"),
    "top-level-list.yaml": (
        "InvalidValueError", "2:1", r"^a ritual: expected a mapping with keys id, title",
    ),
    "top-level-text.yaml": ("InvalidValueError", "1:1", r"^a ritual: expected a mapping with keys"),
    # -- YAML syntax --------------------------------------------------------------------------
    "tab-indentation.yaml": (
        "YamlSyntaxError", "8:1", r"^a tab character; YAML must be indented with spaces$",
    ),
    "yaml-syntax-error.yaml": (
        "YamlSyntaxError", "8:10", r"^YAML syntax: a quoted text is never closed$",
    ),
    "bad-indentation.yaml": ("YamlSyntaxError", "9:3", r"^YAML syntax: did not find expected key"),
    "second-document.yaml": (
        "YamlSyntaxError", "9:1", r"^only one YAML document per file \(found a second '---'\)$",
    ),
    "unknown-alias.yaml": ("YamlSyntaxError", "9:5", r"^unknown alias \*greeting$"),
    # -- YAML that would run code or blow up ----------------------------------------------------
    "python-tag.yaml": (
        "YamlSyntaxError", "8:10",
        r"^YAML tags like '[^']*python/object/apply:os\.system' are not allowed in ritual files$",
    ),
    "custom-tag.yaml": ("YamlSyntaxError", "8:10", r"^YAML tags like '!shout' are not allowed"),
    "merge-key.yaml": (
        "YamlSyntaxError", "9:5", r"^merge keys \(<<\) are not supported in ritual files",
    ),
    "merge-bomb.yaml": ("YamlSyntaxError", "3:8", r"^merge keys \(<<\) are not supported"),
    "alias-bomb.yaml": (
        "LimitExceededError", "5:4",
        r"^size of the document once aliases are expanded exceeds the limit of 20000$",
    ),
    "deep-nesting.yaml": ("LimitExceededError", "2:39", r"^nesting depth exceeds the limit of 32$"),
    # -- not UTF-8 text -------------------------------------------------------------------------
    "control-character.yaml": (
        "YamlSyntaxError", "8:16", r"^the character U\+0007 is not allowed in YAML text$",
    ),
    "nul-bytes.yaml": ("YamlSyntaxError", "2:9", r"^this is not a text file \(it has NUL bytes\)$"),
    "utf-16.yaml": (
        "YamlSyntaxError", "1:1", r"^the file is saved as UTF-16; save it as UTF-8 instead$",
    ),
    "latin-1.yaml": (
        "YamlSyntaxError", "8:13", r"^the file is not UTF-8 text \(byte 0xf6\); save it as UTF-8$",
    ),
}

# Written into tmp_path at test time: too big to keep in the repository.
GENERATED_EXPECTED: dict[str, tuple[str, str, str]] = {
    "too-large.yaml": (
        "LimitExceededError", "1:1", rf"^file size in bytes exceeds the limit of {MAX_BYTES}$",
    ),
}

# Files that crash the loader today (ValueError from the model); what a fix should report.

HOSTILE = ("alias-bomb.yaml", "merge-bomb.yaml", "deep-nesting.yaml", "too-large.yaml")
GOOD_RITUAL = SHIPPED / "hug-timer.yaml"


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_file())


def too_large_ritual() -> bytes:
    """A valid ritual padded with comments to 300 KiB: refused for its size alone."""
    padding = "# " + "all work and no play makes a dull evening " * 2 + "\n"
    text = GOOD_RITUAL.read_text(encoding="utf-8")
    while len(text.encode("utf-8")) < 300 * 1024:
        text += padding * 100
    return text.encode("utf-8")


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    folder = tmp_path / "generated"
    folder.mkdir()
    (folder / "too-large.yaml").write_bytes(too_large_ritual())
    return folder


def assert_refused(path: Path, expected: tuple[str, str, str]) -> RitualFileError:
    kind, at, pattern = expected
    with pytest.raises(RitualFileError) as caught:
        load_ritual_file(path, {})
    error = caught.value
    assert error.source == str(path)
    assert error.problems, "a RitualFileError must carry at least one problem"
    first = error.problems[0]
    assert str(first).startswith(f"{path}:{at}: "), str(first)
    assert (first.source, f"{first.line}:{first.column}") == (str(path), at)
    assert type(first).__name__ == kind, f"{type(first).__name__}: {first}"
    assert re.search(pattern, first.problem), f"{first.problem!r} does not match {pattern!r}"
    assert all(isinstance(p, RitualError) and p.source == str(path) for p in error.problems)
    return error


# -- the corpus ----------------------------------------------------------------------------


def test_corpus_and_table_agree() -> None:
    names = {p.name for p in corpus_files()}
    assert len(names) >= 30
    assert names == set(EXPECTED), (
        f"files without expectations: {sorted(names - set(EXPECTED))}; "
        f"expectations without files: {sorted(set(EXPECTED) - names)}"
    )


def test_committed_files_stay_small() -> None:
    for path in corpus_files():
        assert path.stat().st_size < 4096, path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_ritual_is_refused_with_a_located_message(name: str) -> None:
    assert_refused(CORPUS / name, EXPECTED[name])


@pytest.mark.parametrize("name", sorted(GENERATED_EXPECTED))
def test_generated_bad_ritual_is_refused(generated: Path, name: str) -> None:
    assert_refused(generated / name, GENERATED_EXPECTED[name])
    text = (generated / name).read_text(encoding="utf-8")
    with pytest.raises(RitualFileError) as caught:
        ritual_from_yaml(text, name, {})
    assert re.search(GENERATED_EXPECTED[name][2], caught.value.problems[0].problem)


def _is_text(path: Path) -> bool:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if _is_text(CORPUS / n)))
def test_text_api_reports_the_same_first_problem(name: str) -> None:
    path = CORPUS / name
    with pytest.raises(RitualFileError) as from_file:
        load_ritual_file(path, {})
    with pytest.raises(RitualFileError) as from_text:
        ritual_from_yaml(path.read_text(encoding="utf-8"), str(path), {})
    assert [str(p) for p in from_text.value.problems] == [str(p) for p in from_file.value.problems]


# -- whole folders -------------------------------------------------------------------------


def test_library_of_bad_files_keeps_every_problem_and_no_ritual() -> None:
    library = load_library(CORPUS)
    assert dict(library.rituals) == {}
    assert dict(library.decks) == {}
    sources = sorted(error.source for error in library.problems)
    assert sources == sorted(str(p) for p in corpus_files() if p.suffix in (".yaml", ".yml"))
    assert library.files_with_problems == len(EXPECTED)
    for error in library.problems:
        name = Path(error.source).name
        _, at, pattern = EXPECTED[name]
        first = error.problems[0]
        assert f"{first.line}:{first.column}" == at, str(first)
        assert re.search(pattern, first.problem), str(first)


def test_library_keeps_the_good_ritual_among_bad_ones(tmp_path: Path, generated: Path) -> None:
    for path in [*corpus_files(), *generated.iterdir()]:
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(GOOD_RITUAL, tmp_path / "zz-good.yaml")
    good_id = load_ritual_file(GOOD_RITUAL, {}).id
    library = load_library(tmp_path)
    assert list(library.rituals) == [good_id]
    assert library.rituals[good_id].source == str(tmp_path / "zz-good.yaml")
    assert library.files_with_problems == len(EXPECTED) + len(GENERATED_EXPECTED)


# -- hostile files cost bounded time and memory ------------------------------------------------


def refusal_cost(path: Path) -> tuple[RitualFileError, float, int]:
    """The error a bad file gets, the seconds it took and the peak of memory traced."""
    tracemalloc.start()
    try:
        started = time.perf_counter()
        with pytest.raises(RitualFileError) as caught:
            load_ritual_file(path, {})
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, elapsed, peak


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_is_refused_quickly_and_cheaply(generated: Path, name: str) -> None:
    path = CORPUS / name if (CORPUS / name).exists() else generated / name
    expected = EXPECTED.get(name) or GENERATED_EXPECTED[name]
    error, elapsed, peak = refusal_cost(path)
    assert type(error.problems[0]).__name__ == expected[0]
    # Generous bounds: expanding any of these files takes gigabytes or minutes.
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
    assert peak < 50 * 1024 * 1024, f"{name} peaked at {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "merge-bomb.yaml", "deep-nesting.yaml"])
def test_hostile_text_is_small(name: str) -> None:
    # The danger is in the expansion, not the size: each is well under a kilobyte.
    assert (CORPUS / name).stat().st_size < 1024


def test_every_bad_file_tried_with_its_cost(generated: Path, figures: Figures) -> None:
    """The whole corpus once more, for the counts: every file refused with a located message,
    and what the worst of them cost."""
    paths = [*corpus_files(), *sorted(generated.iterdir())]
    kinds: dict[str, int] = {}
    slowest, heaviest, problems = (0.0, ""), (0, ""), 0
    for path in paths:
        error, elapsed, peak = refusal_cost(path)
        found = error.problems
        assert found and all(p.line >= 1 and p.column >= 1 for p in found), path
        problems += len(found)
        kind = type(found[0]).__name__
        kinds[kind] = kinds.get(kind, 0) + 1
        slowest = max(slowest, (elapsed, path.name))
        heaviest = max(heaviest, (peak, path.name))
    assert len(paths) == len(EXPECTED) + len(GENERATED_EXPECTED)
    with figures():
        print(f"bad ritual files: {len(paths)} refused ({problems} located problems; "
              + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
              + f"); slowest {slowest[0] * 1000:.1f} ms ({slowest[1]}), most memory "
              f"{heaviest[0] / 1e6:.2f} MB ({heaviest[1]}), "
              f"{sum(p.stat().st_size for p in paths):,} bytes in all")
