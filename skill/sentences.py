"""``hearth sentences``: the assistant's training sentences for Hearth, with the rituals'.

By default the complete sentences file is printed, then the slot lists. ``--out DIR``
writes ``sentences.ini`` and ``slots/`` into a folder laid out like a Rhasspy profile;
``--rhasspy-url URL`` hands them to a running Rhasspy 2.5 over its HTTP API and asks it to
retrain:

* ``POST /api/sentences`` with ``Content-Type: application/json`` and
  ``{"intents/hearth.ini": TEXT}`` writes that one file (paths are relative to the
  profile), leaving the user's own ``sentences.ini`` alone;
* ``POST /api/slots?overwrite_all=true`` with ``{"hearth_rituals": [...], ...}`` replaces
  those slot lists (without ``overwrite_all`` Rhasspy merges new values into the old ones,
  so a removed ritual would linger);
* ``POST /api/train`` retrains.

Nothing is sent anywhere but the URL given.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from skill.config import seconds_up_to
from skill.loader import load_library
from skill.nlu import SENTENCES_FILE, SentenceFiles, build_sentences, write_files
from skill.paths import shipped_rituals

TIMEOUT = 10.0
"""Seconds to wait for each answer from Rhasspy."""
RHASSPY_SENTENCES_PATH = f"intents/{SENTENCES_FILE}"
"""Where the sentences go in the Rhasspy profile (Rhasspy trains on every intents/*.ini)."""


class RhasspyError(Exception):
    """Rhasspy could not be reached, or said no."""


def register(subparsers: Any) -> None:
    """Add ``sentences`` to the ``hearth`` command's subparsers."""
    parser = subparsers.add_parser(
        "sentences",
        help="print or write the assistant's training sentences, or send them to Rhasspy",
        description=(
            "The training sentences for Hearth's intents, with the trigger phrases of the "
            "rituals, and the slot lists they use (Rhasspy's sentences.ini format). Printed "
            "by default."
        ),
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR",
        help="write sentences.ini and slots/ into DIR (created if needed)",
    )
    parser.add_argument(
        "--rhasspy-url", metavar="URL",
        help="send them to the Rhasspy at URL (like http://localhost:12101) and retrain it",
    )
    parser.add_argument(
        "--timeout", type=seconds_up_to(3600), default=TIMEOUT, metavar="SECONDS",
        help=f"how long to wait for each answer from Rhasspy (default {TIMEOUT:g})",
    )
    parser.set_defaults(func=cmd_sentences)


def cmd_sentences(args: argparse.Namespace) -> int:
    rituals_dir: Path = getattr(args, "rituals", None) or shipped_rituals()
    library = load_library(rituals_dir)
    for problem_file in library.problems:
        for problem in problem_file.problems:
            print(f"warning: {problem}", file=sys.stderr)
    if library.problems:
        print(f"warning: {len(library.problems)} file(s) with problems left out",
              file=sys.stderr)
    files = build_sentences(library)

    if args.out is None and args.rhasspy_url is None:
        print(render(files), end="")
        return 0
    if args.out is not None:
        for path in write_files(files, args.out):
            print(f"wrote {path}")
    if args.rhasspy_url is not None:
        try:
            push(files, args.rhasspy_url, timeout=args.timeout)
        except RhasspyError as error:
            print(f"hearth: {error}", file=sys.stderr)
            return 1
    return 0


def render(files: SentenceFiles) -> str:
    """The sentences file, then each slot list under a comment line naming its file."""
    parts = [files.sentences]
    for name in files.slots:
        parts.append(f"\n# ===== slots/{name} (one value per line) =====\n")
        parts.append(files.slot_text(name) or "# (no values: its sentences are left out)\n")
    return "".join(parts)


def push(files: SentenceFiles, url: str, *, timeout: float = TIMEOUT) -> None:
    """Write the sentences and slot lists into the Rhasspy at ``url`` and retrain it."""
    base = _base_url(url)
    answer = _post(f"{base}/api/sentences", {RHASSPY_SENTENCES_PATH: files.sentences},
                   timeout)
    print(f"sent {RHASSPY_SENTENCES_PATH} to {base}: {answer}")
    slots = {name: list(lines) for name, lines in files.slots.items()}
    answer = _post(f"{base}/api/slots?overwrite_all=true", slots, timeout)
    print(f"sent slots {', '.join(slots)} to {base}: {answer}")
    answer = _post(f"{base}/api/train", None, timeout)
    print(f"Rhasspy retrained: {answer}")


def _base_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RhasspyError(
            f"not a Rhasspy URL: {url!r} (expected something like http://localhost:12101)"
        )
    path = parts.path.rstrip("/")
    if path.endswith("/api") or path == "/api":
        path = path[: -len("/api")]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _post(url: str, body: object | None, timeout: float) -> str:
    data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text: str = response.read(4096).decode("utf-8", "replace")
            return " ".join(text.split())[:200] or f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        detail = " ".join(error.read(500).decode("utf-8", "replace").split())
        raise RhasspyError(
            f"POST {url} failed: HTTP {error.code} {error.reason}"
            + (f": {detail[:300]}" if detail else "")
        ) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise RhasspyError(_timeout_message(url, timeout)) from None
        raise RhasspyError(f"cannot reach Rhasspy at {url}: {_reason(reason)}") from None
    except TimeoutError:
        raise RhasspyError(_timeout_message(url, timeout)) from None
    except OSError as error:
        raise RhasspyError(f"cannot reach Rhasspy at {url}: {_reason(error)}") from None


def _timeout_message(url: str, timeout: float) -> str:
    hint = (" (training may still be running: check Rhasspy, or allow longer with --timeout)"
            if url.endswith("/api/train") else "")
    return f"POST {url}: no answer within {timeout:g} s{hint}"


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)
