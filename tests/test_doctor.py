"""``hearth doctor``: one line per check, against real parts.

A real Mosquitto (open, or wanting a password), a port with nothing behind it, a port that
takes the connection and never answers, rituals folders with a broken file, data folders
that cannot be used, and a stand-in for Rhasspy's HTTP API (``http.server`` on 127.0.0.1)
whose ``GET /api/sentences`` has Hearth's intents, some of them, none, or an old copy.

Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import HOST, ROOT, TEST_RITUALS, Mosquitto, free_port, mosquitto_binary

from skill import doctor
from skill.config import Settings
from skill.loader import load_library
from skill.loopback import wait_for_port
from skill.mqtt import MqttTransport
from skill.nlu import build_sentences
from skill.paths import shipped_rituals
from skill.store import FILE_NAME, Store

USER = "hearth"
PASSWORD = "doctor-s3cret"
BROKEN = """\
id: broken
title: Broken ritual
description: One mistake.
practice: appreciation
triggers: start the broken ritual
langauge: en
steps:
  - say: Hello, {names}.
"""


# -- running the command ---------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    """``hearth``'s own parser once ``doctor`` is wired in; until then one built the same way."""
    from skill import cli  # noqa: PLC0415 - read fresh: cli may gain doctor at any time

    built = cli.build_parser()
    commands = next(a for a in built._actions if isinstance(a, argparse._SubParsersAction))
    if "doctor" in commands.choices:
        return built
    fresh = argparse.ArgumentParser(prog="hearth")
    fresh.add_argument("--rituals", type=Path, default=None)
    subparsers = fresh.add_subparsers(dest="command", required=True)
    doctor.register(subparsers)
    for command in subparsers.choices.values():
        command.add_argument("--rituals", type=Path, default=argparse.SUPPRESS)
    return fresh


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No HEARTH_* variables and no config file of the machine's own."""
    for name in list(os.environ):
        if name.startswith("HEARTH_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return home


def run_doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    args = parser().parse_args(["doctor", *argv])
    code: int = args.func(args)
    out = capsys.readouterr().out
    return code, out.splitlines()


def problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("problem: ")]


def base_args(port: int, data: Path, rituals: Path = TEST_RITUALS) -> list[str]:
    return ["--host", HOST, "--port", str(port), "--rituals", str(rituals),
            "--data-dir", str(data)]


# -- all is well ---------------------------------------------------------------------------


@pytest.mark.broker
def test_everything_in_place_is_all_ok(
    broker: Mosquitto, clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    code, lines = run_doctor(capsys, *base_args(broker.port, tmp_path / "data"))
    assert code == 0, lines
    assert all(line.startswith("ok: ") for line in lines), lines
    assert lines[0].startswith("ok: the settings load (no config file): broker "
                               f"{HOST}:{broker.port} without TLS, without a username")
    assert lines[1] == (f"ok: the MQTT broker at {HOST}:{broker.port} accepts Hearth "
                        "(without TLS, without a username) and its subscriptions")
    assert lines[2] == f"ok: 2 rituals load from {TEST_RITUALS}"
    assert lines[3] == (f"ok: the data folder {tmp_path / 'data'} is writable and Hearth's "
                        "data file opens (0 schedules from voice or shell)")
    assert lines[4].startswith("ok: time zone ")
    assert len(lines) == 5
    assert time.monotonic() - started < 5


@pytest.mark.broker
def test_the_settings_come_from_the_config_file_and_environment(
    broker: Mosquitto, clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "hearth.yaml"
    config.write_text(f"host: {HOST}\nport: {broker.port}\nrituals: {TEST_RITUALS}\n"
                      "schedules:\n  - {ritual: quick, when: every day at 21:00}\n")
    monkeypatch.setenv("HEARTH_CONFIG", str(config))
    monkeypatch.setenv("HEARTH_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("HEARTH_DATA_DIR", str(tmp_path / "data"))
    code, lines = run_doctor(capsys)
    assert code == 0, lines
    assert lines[0].startswith(f"ok: the settings load (config file {config} ($HEARTH_CONFIG); "
                               "environment: HEARTH_TIMEZONE, HEARTH_DATA_DIR, HEARTH_CONFIG)")
    assert lines[4].startswith("ok: time zone Europe/Berlin (from the settings); it is ")
    # The doctor only looks: the config file's schedule is not brought into the data file.
    with Store(tmp_path / "data" / FILE_NAME) as store:
        assert store.schedules() == []


def test_settings_that_do_not_load_are_the_one_problem(
    clean_env: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines = run_doctor(capsys, "--port", "99999")
    assert code == 1
    assert lines == [
        "problem: the settings do not load: --port: port: expected a whole number from 1 to "
        "65535, not '99999'; correct that value (in the flag, the environment variable or the "
        "file:line:col named) and run `hearth doctor` again; the other checks need the settings"
    ]


# -- the broker ------------------------------------------------------------------------------


def test_a_broker_that_is_not_there(clean_env: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens here
    started = time.monotonic()
    code, lines = run_doctor(capsys, *base_args(port, tmp_path / "data"))
    assert code == 1
    assert problems(lines) == [
        f"problem: cannot reach the MQTT broker at {HOST}:{port} (Connection refused): is it "
        "running, and are --host and --port right? (Rhasspy's internal broker listens on "
        "12183, Mosquitto usually on 1883)"
    ]
    assert sum(line.startswith("ok: ") for line in lines) == 4  # the rest is still checked
    assert time.monotonic() - started < 5


def test_a_port_that_never_answers_connect(clean_env: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as silent:  # the kernel accepts; nobody ever reads or answers
        silent.bind((HOST, 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        started = time.monotonic()
        code, lines = run_doctor(capsys, *base_args(port, tmp_path / "data"), "--timeout", "1")
    assert code == 1
    assert problems(lines) == [
        f"problem: the MQTT broker at {HOST}:{port} does not accept Hearth: no answer to "
        f"CONNECT within 1 s; is {HOST}:{port} an MQTT broker?"
    ]
    assert time.monotonic() - started < 5


class PasswordBroker(Mosquitto):
    """Mosquitto that wants USER and PASSWORD."""

    def start(self) -> PasswordBroker:
        passwords = self.folder / "passwords"
        passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        subprocess.run([passwd, "-b", "-c", str(passwords), USER, PASSWORD], check=True,
                       capture_output=True)
        config = self.folder / "mosquitto.conf"
        # Started as root, Mosquitto reads the password file as the user named here.
        config.write_text(
            f"user {pwd.getpwuid(os.getuid()).pw_name}\nlistener {self.port} {HOST}\n"
            f"allow_anonymous false\npassword_file {passwords}\npersistence false\n"
            "log_type error\n"
        )
        self.process = subprocess.Popen([mosquitto_binary(), "-c", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        return self


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[PasswordBroker]:
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    broker = PasswordBroker(folder).start()
    yield broker
    broker.stop()


@pytest.mark.broker
def test_a_wrong_password_is_a_problem_and_stays_secret(
    password_broker: PasswordBroker, clean_env: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = password_broker.port
    monkeypatch.setenv("HEARTH_PASSWORD", "wrong-" + PASSWORD)
    code, lines = run_doctor(capsys, *base_args(port, tmp_path / "data"), "--username", USER)
    assert code == 1
    assert problems(lines) == [
        f"problem: the MQTT broker at {HOST}:{port} does not accept Hearth: not authorised: "
        f"the broker refused the username or password (user '{USER}'); check --username and "
        "--password (or HEARTH_USERNAME and HEARTH_PASSWORD, or username and password in the "
        "config file)"
    ]
    assert PASSWORD not in "\n".join(lines)
    monkeypatch.setenv("HEARTH_PASSWORD", PASSWORD)
    code, lines = run_doctor(capsys, *base_args(port, tmp_path / "data"), "--username", USER)
    assert code == 0, lines
    assert f"as user '{USER}'" in lines[1]
    assert PASSWORD not in "\n".join(lines)


@pytest.mark.broker
def test_no_login_where_one_is_needed(
    password_broker: PasswordBroker, clean_env: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines = run_doctor(capsys, *base_args(password_broker.port, tmp_path / "data"))
    assert code == 1
    [problem] = problems(lines)
    assert "not authorised: the broker needs a username and password" in problem


def test_a_subscription_the_broker_refuses_is_kept(tmp_path: Path) -> None:
    # Mosquitto 2.0 grants every subscription and filters by its ACL later; brokers that
    # answer 0x80 (MQTT 3.1.1, 3.9.3) are reported, by `hearth run` and the doctor.
    async def main() -> list[str]:
        transport = MqttTransport(Settings(rituals=TEST_RITUALS), asyncio.get_running_loop(),
                                  ["hermes/intent/#", "hermes/tts/sayFinished"], _drop)
        transport._on_subscribe(transport.client, None, 1, (0, 0x80))
        await asyncio.wait_for(transport.subscribed.wait(), 5)
        return transport.refused_topics

    assert asyncio.run(main()) == ["hermes/tts/sayFinished"]


def _drop(topic: str, payload: bytes) -> None:
    pass


# -- the rituals -----------------------------------------------------------------------------


@pytest.mark.broker
def test_a_broken_ritual_is_named_by_file_line_and_column(
    broker: Mosquitto, clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    rituals = tmp_path / "rituals"
    rituals.mkdir()
    shutil.copy(TEST_RITUALS / "quick.yaml", rituals)
    (rituals / "broken.yaml").write_text(BROKEN)
    code, lines = run_doctor(capsys, *base_args(broker.port, tmp_path / "data", rituals))
    assert code == 1
    assert problems(lines) == [
        f"problem: 1 file in the rituals folder {rituals} does not load, so Hearth leaves it "
        f"out (1 ritual loads); fix each place below and check again with "
        f"`hearth validate {rituals}`:"
    ]
    at = lines.index(problems(lines)[0])
    assert lines[at + 1].startswith(f"  {rituals / 'broken.yaml'}:6:1: unknown key 'langauge'")
    assert "did you mean 'language'?" in lines[at + 1]


def test_a_folder_without_rituals(clean_env: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, lines = run_doctor(capsys, *base_args(free_port(), tmp_path / "data", empty))
    assert code == 1
    assert f"problem: there are no rituals in {empty}: give the folder of ritual files with " \
           "--rituals, HEARTH_RITUALS or rituals in the config file" in lines


# -- the data folder -------------------------------------------------------------------------


def test_a_data_dir_that_is_a_file(clean_env: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "data"
    a_file.write_text("not a folder")
    code, lines = run_doctor(capsys, *base_args(free_port(), a_file))
    assert code == 1
    assert lines == [
        f"problem: the settings do not load: --data-dir: data_dir: expected a folder (this is "
        f"a file), not '{a_file}'; correct that value (in the flag, the environment variable "
        "or the file:line:col named) and run `hearth doctor` again; the other checks need the "
        "settings"
    ]


def test_a_data_dir_inside_a_file(clean_env: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    data = a_file / "data"
    code, lines = run_doctor(capsys, *base_args(free_port(), data))
    assert code == 1
    assert (f"problem: cannot write in the data folder {data} (Not a directory): give Hearth "
            "a folder it can write to with --data-dir, HEARTH_DATA_DIR or data_dir in the "
            "config file, or let the user Hearth runs as write there") in lines


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_a_read_only_data_dir(clean_env: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    try:
        code, lines = run_doctor(capsys, *base_args(free_port(), data))
    finally:
        data.chmod(0o700)
    assert code == 1
    assert any(line.startswith(f"problem: cannot write in the data folder {data} (Permission "
                               "denied)") for line in lines)


def test_a_data_file_of_another_program(clean_env: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / FILE_NAME).write_bytes(b"this is no database " * 100)
    code, lines = run_doctor(capsys, *base_args(free_port(), data))
    assert code == 1
    assert (f"problem: the data folder {data} is writable, but {data / FILE_NAME} is not an "
            "SQLite database, so not Hearth's data file; move it away or use another "
            "--data-dir") in lines


# -- Rhasspy ---------------------------------------------------------------------------------


class FakeRhasspy:
    """``GET /api/sentences`` as Rhasspy 2.5 answers it; what it answers is set per test."""

    def __init__(self) -> None:
        self.body = b"{}"
        self.status = 200
        self.content_type = "application/json"
        self.accepts: list[str] = []
        rhasspy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                rhasspy.accepts.append(self.headers.get("Accept", ""))
                if self.path != "/api/sentences":
                    self.send_error(404)
                    return
                self.send_response(rhasspy.status)
                self.send_header("Content-Type", rhasspy.content_type)
                self.send_header("Content-Length", str(len(rhasspy.body)))
                self.end_headers()
                self.wfile.write(rhasspy.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, files: dict[str, str]) -> None:
        self.body = json.dumps(files).encode()
        self.content_type = "application/json"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rhasspy() -> Iterator[FakeRhasspy]:
    fake = FakeRhasspy()
    yield fake
    fake.stop()


def hearth_sentences(rituals: Path = TEST_RITUALS) -> str:
    return build_sentences(load_library(rituals)).sentences


def rhasspy_line(capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path) -> str:
    _, lines = run_doctor(capsys, *base_args(free_port(), tmp_path / "data"),
                          "--rhasspy-url", url)
    assert any(line.startswith("problem: cannot reach the MQTT broker") for line in lines)
    return lines[-1]


USERS_OWN = "[GetTime]\nwhat time is it\n"


def test_rhasspy_with_hearths_sentences(rhasspy: FakeRhasspy, clean_env: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    ours = hearth_sentences()
    count = len(doctor.intents_in(ours))
    rhasspy.answer({"sentences.ini": USERS_OWN, "intents/hearth.ini": ours})
    line = rhasspy_line(capsys, rhasspy.url + "/", tmp_path)
    assert line == f"ok: Rhasspy at {rhasspy.url} answers and its sentences have Hearth's " \
                   f"{count} intents"
    assert rhasspy.accepts == ["application/json"]  # Rhasspy 2.5 then answers every file


def test_rhasspy_without_hearths_sentences(rhasspy: FakeRhasspy, clean_env: Path,
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    rhasspy.answer({"sentences.ini": USERS_OWN})
    line = rhasspy_line(capsys, rhasspy.url, tmp_path)
    assert line == (f"problem: Rhasspy at {rhasspy.url} answers, but its sentences have none "
                    "of Hearth's intents, so it cannot understand Hearth's commands: run "
                    f"`hearth sentences --rhasspy-url {rhasspy.url}`")


def test_rhasspy_missing_some_intents(rhasspy: FakeRhasspy, clean_env: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    ours = hearth_sentences()
    without_history = ours.replace("[HearthHistory]", "[SomethingElse]")
    assert without_history != ours
    rhasspy.answer({"sentences.ini": USERS_OWN + without_history})
    line = rhasspy_line(capsys, rhasspy.url, tmp_path)
    assert line.startswith(f"problem: Rhasspy at {rhasspy.url} answers, but its sentences lack "
                           "1 of Hearth's ")
    assert line.endswith(f"intents (HearthHistory): run `hearth sentences --rhasspy-url "
                         f"{rhasspy.url}`")


def test_rhasspy_with_an_old_copy(rhasspy: FakeRhasspy, clean_env: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    # Sent when the shipped rituals were loaded; the doctor runs with the test rituals.
    rhasspy.answer({"intents/hearth.ini": hearth_sentences(shipped_rituals())})
    line = rhasspy_line(capsys, rhasspy.url, tmp_path)
    assert line.startswith(f"problem: Rhasspy at {rhasspy.url} has an older copy of Hearth's "
                           "sentences (intents/hearth.ini differs from what these rituals need")
    assert line.endswith(f"run `hearth sentences --rhasspy-url {rhasspy.url}`")


def test_rhasspy_answering_plain_text(rhasspy: FakeRhasspy, clean_env: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    rhasspy.body = hearth_sentences().encode()
    rhasspy.content_type = "text/plain"
    line = rhasspy_line(capsys, rhasspy.url, tmp_path)
    assert line.startswith(f"ok: Rhasspy at {rhasspy.url} answers")


def test_a_web_server_that_is_not_rhasspy(rhasspy: FakeRhasspy, clean_env: Path,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    line = rhasspy_line(capsys, rhasspy.url + "/elsewhere", tmp_path)
    assert line == (f"problem: Rhasspy at {rhasspy.url}/elsewhere answered GET /api/sentences "
                    f"with HTTP 404 Not Found; is Rhasspy running, and is {rhasspy.url}"
                    "/elsewhere its web address (port 12101 by default)?")


def test_rhasspy_that_is_not_there(clean_env: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://{HOST}:{free_port()}"
    line = rhasspy_line(capsys, url, tmp_path)
    assert line == (f"problem: cannot reach Rhasspy at {url} (Connection refused): is Rhasspy "
                    f"running, and is {url} its web address (port 12101 by default)?")


# -- the command itself ----------------------------------------------------------------------


def _wired() -> bool:
    from skill import cli  # noqa: PLC0415

    commands = next(a for a in cli.build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    return "doctor" in commands.choices


@pytest.mark.skipif(not _wired(), reason="skill.cli does not register skill.doctor yet")
def test_hearth_doctor_from_the_shell(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "skill", "doctor", *base_args(free_port(), tmp_path / "data")],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 1
    assert "problem: cannot reach the MQTT broker" in done.stdout
    assert "hearth doctor: 1 problem" in done.stderr
