"""``hearth sentences``: printing, writing, and handing the sentences to a Rhasspy.

The Rhasspy here is a stdlib HTTP server on 127.0.0.1 that records what it is sent.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from skill import cli, sentences
from skill.loader import load_library
from skill.nlu import build_sentences
from skill.paths import shipped_rituals

RITUALS = load_library(shipped_rituals()).rituals
TRIGGERS = [phrase for ritual in RITUALS.values() for phrase in ritual.triggers]


def parser() -> argparse.ArgumentParser:
    """A parser like ``hearth``'s: the global --rituals, and the sentences command."""
    top = argparse.ArgumentParser(prog="hearth")
    top.add_argument("--rituals", type=Path, default=shipped_rituals())
    sentences.register(top.add_subparsers(dest="command", required=True))
    return top


def hearth(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    code: int = args.func(args)
    return code


@dataclass
class Call:
    method: str
    path: str
    content_type: str | None
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class FakeRhasspy:
    url: str
    calls: list[Call] = field(default_factory=list)
    status: int = 200
    release: threading.Event = field(default_factory=threading.Event)
    hold: bool = False


@contextmanager
def fake_rhasspy(status: int = 200, *, hold: bool = False) -> Iterator[FakeRhasspy]:
    """An HTTP server on 127.0.0.1 (a free port) that answers every POST with ``status``."""
    state = FakeRhasspy(url="", status=status, hold=hold)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.calls.append(
                Call("POST", self.path, self.headers.get("Content-Type"), body)
            )
            if state.hold:
                state.release.wait(5)
            reply = b"OK" if state.status == 200 else b"Training failed: no such slot"
            self.send_response(state.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    state.url = f"http://{host!s}:{port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- printing and writing -----------------------------------------------------------------


def test_prints_the_sentences_then_the_slot_lists(capsys: pytest.CaptureFixture[str]) -> None:
    assert hearth("sentences") == 0
    out = capsys.readouterr().out
    sentences_part, _, slots_part = out.partition("# ===== slots/hearth_rituals")
    assert sentences_part.startswith("# Hearth's training sentences")
    assert "[HearthPause]" in sentences_part
    for phrase in TRIGGERS:
        assert phrase in sentences_part, phrase
    assert "(appreciation round):appreciation-round" in slots_part
    assert "# ===== slots/hearth_answers" in slots_part


def test_out_writes_sentences_and_slots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "profile"
    assert hearth("sentences", "--out", str(out)) == 0
    text = (out / "sentences.ini").read_text(encoding="utf-8")
    for phrase in TRIGGERS:
        assert phrase in text, phrase
    names = (out / "slots" / "hearth_rituals").read_text(encoding="utf-8").splitlines()
    assert "(hug timer):hug-timer" in names
    assert (out / "slots" / "hearth_answers").read_text(encoding="utf-8") == ""
    printed = capsys.readouterr().out
    assert str(out / "sentences.ini") in printed


def test_the_rituals_folder_comes_from_the_global_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.yaml").write_text(
        "id: mine\ntitle: Our own thing\ndescription: Ours.\npractice: quality-time\n"
        "triggers: [do our own thing]\nsteps:\n  - ask: Again?\n    answers:\n"
        "      one more time:\n      no:\n",
        encoding="utf-8",
    )
    (tmp_path / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    assert hearth("--rituals", str(tmp_path), "sentences") == 0
    captured = capsys.readouterr()
    assert "(do our own thing){ritual:mine}" in captured.out
    assert "(our own thing):mine" in captured.out
    assert "\none more time\n" in captured.out
    assert "start the appreciation round" not in captured.out
    assert "broken.yaml" in captured.err


# -- Rhasspy over HTTP ------------------------------------------------------------------------


def test_pushes_sentences_slots_and_retrains(capsys: pytest.CaptureFixture[str]) -> None:
    files = build_sentences(load_library(shipped_rituals()))
    with fake_rhasspy() as rhasspy:
        assert hearth("sentences", "--rhasspy-url", rhasspy.url) == 0
    assert [(c.method, c.path) for c in rhasspy.calls] == [
        ("POST", "/api/sentences"),
        ("POST", "/api/slots?overwrite_all=true"),
        ("POST", "/api/train"),
    ]
    put_sentences, put_slots, train = rhasspy.calls
    assert put_sentences.content_type == "application/json"
    assert put_sentences.json() == {"intents/hearth.ini": files.sentences}
    assert put_slots.content_type == "application/json"
    assert put_slots.json() == {
        "hearth_rituals": list(files.slots["hearth_rituals"]),
        "hearth_answers": [],
    }
    assert train.body == b""
    out = capsys.readouterr().out
    assert "Rhasspy retrained" in out
    assert "[HearthPause]" not in out  # the sentences went to Rhasspy, not to the screen


@pytest.mark.parametrize("suffix", ["/", "/api", "/api/"])
def test_the_url_may_end_in_a_slash_or_api(suffix: str) -> None:
    with fake_rhasspy() as rhasspy:
        assert hearth("sentences", "--rhasspy-url", rhasspy.url + suffix) == 0
    assert [c.path for c in rhasspy.calls] == [
        "/api/sentences", "/api/slots?overwrite_all=true", "/api/train",
    ]


def test_out_and_url_together(tmp_path: Path) -> None:
    with fake_rhasspy() as rhasspy:
        assert hearth("sentences", "--out", str(tmp_path), "--rhasspy-url", rhasspy.url) == 0
    assert (tmp_path / "sentences.ini").is_file()
    assert len(rhasspy.calls) == 3


def test_an_error_from_rhasspy_names_the_url_and_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with fake_rhasspy(status=500) as rhasspy:
        assert hearth("sentences", "--rhasspy-url", rhasspy.url) == 1
    assert len(rhasspy.calls) == 1  # it stops at the first failure
    err = capsys.readouterr().err
    assert f"{rhasspy.url}/api/sentences" in err
    assert "HTTP 500" in err
    assert "Training failed: no such slot" in err  # what Rhasspy said, for the user


def test_an_unreachable_rhasspy_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    assert hearth("sentences", "--rhasspy-url", url) == 1
    err = capsys.readouterr().err
    assert f"cannot reach Rhasspy at {url}/api/sentences" in err
    assert "Traceback" not in err


def test_a_silent_rhasspy_times_out(capsys: pytest.CaptureFixture[str]) -> None:
    with fake_rhasspy(hold=True) as rhasspy:
        assert hearth("sentences", "--rhasspy-url", rhasspy.url, "--timeout", "0.3") == 1
    err = capsys.readouterr().err
    assert f"POST {rhasspy.url}/api/sentences: no answer within 0.3 s" in err


@pytest.mark.parametrize("url", ["localhost:12101", "ftp://127.0.0.1/", "http://"])
def test_a_url_that_is_not_http_is_refused(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hearth("sentences", "--rhasspy-url", url) == 1
    assert "not a Rhasspy URL" in capsys.readouterr().err


# -- the hearth command -----------------------------------------------------------------------


def _wired() -> bool:
    commands = cli.build_parser()._subparsers
    return commands is not None and any(
        "sentences" in (getattr(action, "choices", None) or {})
        for action in commands._group_actions
    )


@pytest.mark.skipif(not _wired(), reason="`sentences` is not wired into skill.cli yet")
def test_hearth_sentences_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sentences", "--out", str(tmp_path)]) == 0
    assert "start our evening check in" in (tmp_path / "sentences.ini").read_text()
    with fake_rhasspy(status=500) as rhasspy:
        assert cli.main(["sentences", "--rhasspy-url", rhasspy.url]) == 1
    assert "HTTP 500" in capsys.readouterr().err
