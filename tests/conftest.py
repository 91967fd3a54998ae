"""Real parts for the tests that need them: Mosquitto on a free loopback port, Rhasspy's
dialogue manager, a text satellite, ``hearth run`` as its own process, and a virtual
environment with Rhasspy's own NLU and dialogue manager services from PyPI.

Only 127.0.0.1 is ever used.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from skill import loopback
from skill.loopback import HOST, free_port

ROOT = Path(__file__).resolve().parent.parent
TEST_RITUALS = Path(__file__).resolve().parent / "rituals"
RHASSPY_VENV = ROOT / ".venv-rhasspy"

Figures = Callable[[], contextlib.AbstractContextManager[None]]
_FIGURES: list[tuple[str, str]] = []


@pytest.fixture
def figures(record_property: Callable[[str, object], None]) -> Figures:
    """``with figures(): print(...)``: what a fault, fuzz or load test counted, shown in a
    "figures" section at the end of the run (also from pytest-xdist's workers, whose own
    output is never shown)."""
    @contextlib.contextmanager
    def shown() -> Iterator[None]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            yield
        record_property("figures", out.getvalue().strip())
    return shown


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _FIGURES.extend((report.nodeid, str(value))
                        for name, value in report.user_properties if name == "figures")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures")
        for nodeid, text in _FIGURES:
            terminalreporter.write_line(f"{nodeid.split('::')[-1]}: {text}")


def mosquitto_binary() -> str:
    found = loopback.mosquitto_binary()
    if found is None:
        pytest.fail("Mosquitto is needed for the broker tests: apt-get install mosquitto")
    return found


@dataclass
class Mosquitto:
    """A Mosquitto broker of our own, which a test may stop and start again."""

    folder: Path
    port: int = field(default_factory=free_port)
    extra: str = ""
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Mosquitto:
        mosquitto_binary()  # a clear failure when it is missing
        self.process = loopback.start_mosquitto(self.folder, self.port, self.extra)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A fresh Mosquitto for one test."""
    folder = tmp_path / "mosquitto"
    folder.mkdir()
    mosquitto = Mosquitto(folder).start()
    yield mosquitto
    mosquitto.stop()


@dataclass
class HearthProcess:
    """``hearth run`` in a process of its own, with its log collected."""

    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    log: list[str] = field(default_factory=list)
    _ready: threading.Event = field(default_factory=threading.Event)

    def start(self, timeout: float = 20.0) -> HearthProcess:
        self._ready.clear()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skill", "run", *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=self.env, cwd=ROOT,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError("hearth run did not start:\n" + "".join(self.log[-30:]))
        return self

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.log.append(line)
            if "hearth: serving" in line:
                self._ready.set()

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def text(self) -> str:
        return "".join(self.log)

    def wait_log(self, text: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True


def hearth_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env["HEARTH_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.fixture
def hearth_factory(tmp_path: Path) -> Iterator[list[HearthProcess]]:
    """Collects the ``hearth run`` processes a test makes, and stops them afterwards."""
    made: list[HearthProcess] = []
    yield made
    for process in made:
        process.stop()


def run_hearth(made: list[HearthProcess], port: int, data_dir: Path, *extra: str,
               rituals: Path = TEST_RITUALS, env: dict[str, str] | None = None
               ) -> HearthProcess:
    args = ["--host", HOST, "--port", str(port), "--rituals", str(rituals),
            "--names", "Alex,Sam", "--log-level", "DEBUG", *extra]
    process = HearthProcess(args, {**hearth_env(data_dir), **(env or {})}).start()
    made.append(process)
    return process


@pytest.fixture(scope="session")
def rhasspy_python() -> Path:
    """The Python of ``.venv-rhasspy``: rhasspy-nlu-hermes and rhasspy-dialogue-hermes from
    PyPI, on Python 3.11, apart from Hearth's own packages (they pin an older rhasspy-nlu).

    ``scripts/rhasspy-venv`` makes it the first time (``scripts/test`` does too) and returns
    at once when it is there already. A test that needs it fails, never skips, without it.
    """
    script = ROOT / "scripts" / "rhasspy-venv"
    try:
        done = subprocess.run(["bash", str(script)], cwd=ROOT, capture_output=True, text=True,
                              timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.fail(f"could not make {RHASSPY_VENV} with scripts/rhasspy-venv: {error}",
                    pytrace=False)
    if done.returncode != 0:
        said = [line for line in (done.stdout + done.stderr).splitlines()
                if "is ignored: it is neither a file nor a directory" not in line]
        pytest.fail(
            f"could not make {RHASSPY_VENV} with scripts/rhasspy-venv "
            f"(exit {done.returncode}):\n" + "\n".join(said[-40:]),
            pytrace=False,
        )
    return RHASSPY_VENV / "bin" / "python"
