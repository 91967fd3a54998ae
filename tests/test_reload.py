"""Rituals changed while Hearth runs: picked up, without disturbing a ritual in progress."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import HOST, TEST_RITUALS, HearthProcess, Mosquitto, run_hearth
from test_broker import heard, listening, recognizer

from skill.demo import DialogueManager
from skill.loader import load_library
from skill.satellite import Satellite
from skill.service import reload, snapshot


def copy_rituals(tmp_path: Path) -> Path:
    folder = tmp_path / "rituals"
    shutil.copytree(TEST_RITUALS, folder)
    return folder


def test_reload_keeps_the_previous_version_of_a_file_that_breaks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy_rituals(tmp_path)
    before = load_library(folder)
    calm = folder / "calm.yaml"
    calm.write_text(calm.read_text().replace("  - silence: 4s", "  - silence: 4"))
    (folder / "new.yaml").write_text(
        (folder / "quick.yaml").read_text().replace("id: quick", "id: new")
        .replace("start the quick ritual", "start the new ritual")
    )
    after = reload(before, folder)
    assert sorted(after.rituals) == ["calm", "new", "quick"]
    assert after.rituals["calm"] is before.rituals["calm"]  # the old one, still in use
    assert [p.source for p in after.problems] == [str(calm)]
    assert f"{calm}:21:14: silence: expected a duration with a unit" in caplog.text
    assert "still using its previous version" in caplog.text


def test_a_deleted_file_is_gone_after_reload(tmp_path: Path) -> None:
    folder = copy_rituals(tmp_path)
    before = load_library(folder)
    (folder / "calm.yaml").unlink()
    assert sorted(reload(before, folder).rituals) == ["quick"]


def test_snapshot_sees_edits_new_files_and_decks(tmp_path: Path) -> None:
    folder = copy_rituals(tmp_path)
    first = snapshot(folder)
    (folder / "decks").mkdir()
    (folder / "decks" / "d.yaml").write_text("prompts: [One?]\n")
    assert snapshot(folder) != first


@pytest.mark.broker
def test_a_changed_ritual_is_picked_up_without_disturbing_the_one_in_progress(
    broker: Mosquitto, hearth_factory: list[HearthProcess], tmp_path: Path
) -> None:
    folder = copy_rituals(tmp_path)
    dialogue = DialogueManager(broker.port).start()
    hearth = run_hearth(hearth_factory, broker.port, tmp_path / "data", rituals=folder)
    room = Satellite(HOST, broker.port, "default", recognizer()).start()
    try:
        room.utter("start the calm ritual")
        heard(room, "Let's begin.")
        calm = folder / "calm.yaml"
        calm.write_text(calm.read_text().replace("The end.", "A brand new end."))
        assert hearth.process is not None
        hearth.process.send_signal(signal.SIGHUP)
        assert hearth.wait_log("rituals reloaded: 2 loaded")
        heard(room, "Shall we go on?")
        listening(room)
        room.utter("yes")
        heard(room, "The end.")  # the run in progress keeps the ritual it started with
        assert "A brand new end." not in room.lines()
        # Broken now: reported with its place, and the last good version stays in use.
        time.sleep(1.1)  # a new modification time
        calm.write_text(calm.read_text().replace("talk: 6s", "talk: six seconds"))
        assert hearth.wait_log("calm.yaml:11:11: talk: expected a duration", timeout=15)
        assert hearth.wait_log("still using its previous version")
        room.utter("start the calm ritual")
        heard(room, "Shall we go on?")
        listening(room)
        room.utter("yes")
        heard(room, "A brand new end.")
    finally:
        room.stop()
        dialogue.stop()
