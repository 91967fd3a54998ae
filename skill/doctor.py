"""``hearth doctor``: is everything ``hearth run`` needs in place? Each check is one line.

``ok: …`` says what was found; ``problem: …`` says what is wrong and what to do about it.
The checks, in order:

* the settings load (config file, ``HEARTH_*`` variables and flags, exactly as for
  ``hearth run``); without them nothing else can be checked;
* the MQTT broker answers and accepts Hearth's login and TLS: one connection through the
  same :class:`~skill.mqtt.MqttTransport` ``hearth run`` uses, without retrying, then closed;
* the rituals folder loads, every broken file named with ``file:line:col``;
* the data folder is writable and Hearth's data file opens (nothing in it is changed: the
  config file's schedules are not brought in, as ``hearth run`` would);
* the time zone schedules are kept in;
* with ``--rhasspy-url``: Rhasspy's HTTP API answers, and its sentences have Hearth's intents
  (``GET /api/sentences`` with ``Accept: application/json`` gives Rhasspy 2.5's sentence
  files by path; plain text is read as ``sentences.ini`` alone).

The exit code is 0 when every check is ok and 1 otherwise. Nothing is sent anywhere but the
broker and the Rhasspy URL given, and the password is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from skill import hermes
from skill.config import (
    CONFIG_VARIABLE,
    ENVIRONMENT,
    ConfigError,
    Settings,
    add_mqtt_arguments,
    default_config_file,
    load_settings,
    seconds_up_to,
)
from skill.errors import HearthError
from skill.loader import Library, load_library
from skill.mqtt import BrokerError, BrokerUnreachableError, MqttTransport
from skill.nlu import SENTENCES_FILE, build_sentences
from skill.store import FILE_NAME, Store

TIMEOUT = 5.0
"""Seconds to wait for the broker, and for each answer from Rhasspy."""
RHASSPY_SENTENCES_PATH = f"intents/{SENTENCES_FILE}"
"""Where ``hearth sentences --rhasspy-url`` puts Hearth's sentences in the profile."""
MAX_ANSWER = 4 * 1024 * 1024
"""The most of Rhasspy's answer that is read: sentence files are text, not megabytes."""
_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$", re.MULTILINE)


@dataclass
class Report:
    """The lines printed so far, and whether any of them was a problem."""

    write: Callable[[str], None] = print
    problems: int = 0
    lines: list[str] = field(default_factory=list)

    def ok(self, text: str) -> None:
        self._line(f"ok: {text}")

    def problem(self, text: str, details: tuple[str, ...] = ()) -> None:
        self.problems += 1
        self._line(f"problem: {text}")
        for detail in details:
            self._line(f"  {detail}")

    def _line(self, line: str) -> None:
        self.lines.append(line)
        self.write(line)


def register(subparsers: Any) -> None:
    """Add ``doctor`` to the ``hearth`` command's subparsers."""
    parser = subparsers.add_parser(
        "doctor",
        help="check the settings, the broker, the rituals, the data folder (and Rhasspy)",
        description=(
            "Checks what `hearth run` needs, with the same flags, environment and config "
            "file, and prints one line per check: 'ok: ...' or 'problem: ...' with what to "
            "do. Exit code 0 when everything is ok, 1 otherwise."
        ),
    )
    add_mqtt_arguments(parser)
    parser.add_argument(
        "--rhasspy-url", metavar="URL",
        help="also check the Rhasspy at URL (like http://localhost:12101): that it answers "
             "and knows Hearth's sentences",
    )
    parser.add_argument(
        "--timeout", type=seconds_up_to(300), default=TIMEOUT, metavar="SECONDS",
        help=f"how long to wait for the broker and for Rhasspy (default {TIMEOUT:g})",
    )
    parser.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    report = Report()
    # Hearth's own log lines (paho's, the transport's) would repeat what the report says.
    logger = logging.getLogger("hearth")
    quiet = logging.NullHandler()
    if not logging.getLogger().handlers:
        logger.addHandler(quiet)
    try:
        diagnose(args, os.environ, report, timeout=args.timeout,
                 rhasspy_url=getattr(args, "rhasspy_url", None))
    finally:
        logger.removeHandler(quiet)
    if report.problems:
        count = report.problems
        print(f"hearth doctor: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        return 1
    return 0


def diagnose(args: argparse.Namespace | None, environ: Mapping[str, str], report: Report, *,
             timeout: float = TIMEOUT, rhasspy_url: str | None = None) -> None:
    """Every check, in order, into ``report``."""
    settings = check_settings(args, environ, report)
    library: Library | None = None
    if settings is not None:
        check_broker(settings, report, timeout=timeout)
        library = check_rituals(settings.rituals, report)
        check_data(settings, report)
        check_timezone(settings, report)
    if rhasspy_url is not None:
        if library is None:
            report.problem(f"Rhasspy at {rhasspy_url} not checked: the settings come first")
        else:
            check_rhasspy(rhasspy_url, library, report, timeout=timeout)


# -- the settings -------------------------------------------------------------------------


def check_settings(args: argparse.Namespace | None, environ: Mapping[str, str],
                   report: Report) -> Settings | None:
    config_file = default_config_file(environ)
    try:
        settings = load_settings(args, environ, config_file)
    except ConfigError as error:
        report.problem(f"the settings do not load: {error}; correct that value (in the flag, "
                       "the environment variable or the file:line:col named) and run "
                       "`hearth doctor` again; the other checks need the settings")
        return None
    sources = [_config_source(args, environ, config_file)]
    variables = [name for name in (*ENVIRONMENT, CONFIG_VARIABLE) if environ.get(name)]
    if variables:
        sources.append(f"environment: {', '.join(variables)}")
    login = f"as user {settings.username!r}" if settings.username else "without a username"
    tls = "over TLS" if settings.tls else "without TLS"
    sites = ", ".join(settings.site_ids) or "all sites"
    report.ok(f"the settings load ({'; '.join(sources)}): broker {settings.host}:"
              f"{settings.port} {tls}, {login}; serving {sites}; names "
              f"{', '.join(settings.names)}")
    return settings


def _config_source(args: argparse.Namespace | None, environ: Mapping[str, str],
                   config_file: Path | None) -> str:
    flag = getattr(args, "config", None) if args is not None else None
    if flag:
        return f"config file {flag} (--config)"
    if environ.get(CONFIG_VARIABLE):
        return f"config file {environ[CONFIG_VARIABLE]} (${CONFIG_VARIABLE})"
    if config_file is not None:
        return f"config file {config_file}"
    return "no config file"


# -- the broker ---------------------------------------------------------------------------


def check_broker(settings: Settings, report: Report, *, timeout: float = TIMEOUT) -> None:
    problem = asyncio.run(_try_broker(settings, timeout))
    where = f"{settings.host}:{settings.port}"
    if problem is None:
        tls = "over TLS, certificate checked" if settings.tls else "without TLS"
        login = f"as user {settings.username!r}" if settings.username else (
            "without a username")
        report.ok(f"the MQTT broker at {where} accepts Hearth ({tls}, {login}) and its "
                  "subscriptions")
    else:
        report.problem(problem)


async def _try_broker(settings: Settings, timeout: float) -> str | None:
    """None when the broker takes Hearth's connection and subscriptions; else the problem."""
    loop = asyncio.get_running_loop()
    where = f"{settings.host}:{settings.port}"
    try:
        transport = MqttTransport(settings, loop, hermes.subscriptions(), _ignore,
                                  client_id=f"hearth-doctor-{uuid.uuid4().hex[:8]}")
    except BrokerError as error:
        return f"cannot connect to the MQTT broker at {where}: {error.reason}"
    try:
        await transport.connect(retry=False, timeout=timeout)
        await asyncio.wait_for(transport.subscribed.wait(), timeout)
    except BrokerUnreachableError as error:
        return (f"cannot reach the MQTT broker at {where} ({error.detail}): is it running, and "
                "are --host and --port right? (Rhasspy's internal broker listens on 12183, "
                "Mosquitto usually on 1883)")
    except BrokerError as error:
        return f"the MQTT broker at {where} does not accept Hearth: {error.reason}"
    except TimeoutError:
        return (f"the MQTT broker at {where} took the connection but did not confirm "
                f"Hearth's subscriptions within {timeout:g} s; is it overloaded?")
    finally:
        transport.close()
    if transport.refused_topics:
        who = f"user {settings.username!r}" if settings.username else "anonymous clients"
        return (f"the MQTT broker at {where} refused Hearth's subscription to "
                f"{', '.join(transport.refused_topics)}; allow {who} to read those topics "
                "in the broker's ACL")
    return None


def _ignore(topic: str, payload: bytes) -> None:
    """Messages that arrive while the doctor is connected are none of its business."""


# -- the rituals --------------------------------------------------------------------------


def check_rituals(folder: Path, report: Report) -> Library:
    library = load_library(folder)
    count = len(library.rituals)
    decks = f" and {len(library.decks)} deck{'s' if len(library.decks) != 1 else ''}" if (
        library.decks) else ""
    if library.problems:
        bad = len(library.problems)
        files = f"{bad} file{'s' if bad != 1 else ''}"
        details = tuple(str(problem) for problem_file in library.problems
                        for problem in problem_file.problems)
        report.problem(
            f"{files} in the rituals folder {folder} do{'es' if bad == 1 else ''} not load, "
            f"so Hearth leaves {'it' if bad == 1 else 'them'} out ({count} "
            f"{'ritual loads' if count == 1 else 'rituals load'}); fix each place below and "
            "check again with "
            f"`hearth validate {folder}`:",
            details,
        )
    elif count == 0:
        report.problem(f"there are no rituals in {folder}: give the folder of ritual files "
                       "with --rituals, HEARTH_RITUALS or rituals in the config file")
    else:
        report.ok(f"{count} ritual{'s' if count != 1 else ''}{decks} load from {folder}")
    return library


# -- the data folder ----------------------------------------------------------------------


def check_data(settings: Settings, report: Report) -> None:
    folder = settings.data_dir
    where = ("give Hearth a folder it can write to with --data-dir, HEARTH_DATA_DIR or "
             "data_dir in the config file, or let the user Hearth runs as write there")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryFile(dir=folder, prefix=".hearth-doctor-"):
            pass
    except OSError as error:
        report.problem(f"cannot write in the data folder {folder} "
                       f"({error.strerror or error}): {where}")
        return
    try:
        store = Store(folder / FILE_NAME)
        try:
            count = len(store.schedules())
        finally:
            store.close()
    except HearthError as error:
        report.problem(f"the data folder {folder} is writable, but {error}")
        return
    report.ok(f"the data folder {folder} is writable and Hearth's data file opens "
              f"({count} schedule{'s' if count != 1 else ''} from voice or shell)")


# -- the time zone ------------------------------------------------------------------------


def check_timezone(settings: Settings, report: Report) -> None:
    how = "set timezone in the config file or HEARTH_TIMEZONE, like 'Europe/Berlin'"
    if settings.timezone:
        key, origin = settings.timezone, "from the settings"
    else:
        try:
            from tzlocal import get_localzone_name  # noqa: PLC0415 - only this check uses it

            name = get_localzone_name()
        except Exception as error:  # tzlocal raises several kinds of its own
            report.problem(f"cannot tell this machine's time zone ({error}), so schedules "
                           f"would keep UTC: {how}")
            return
        if not name:
            report.problem(f"this machine names no time zone, so schedules would keep UTC: "
                           f"{how}")
            return
        key, origin = name, f"this machine's; to use another, {how}"
    try:
        zone = zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        report.problem(f"the time zone {key!r} is not in this machine's time zone database "
                       f"(install tzdata), so schedules would keep UTC: {how}")
        return
    now = datetime.now(UTC).astimezone(zone)
    report.ok(f"time zone {zone.key} ({origin}); it is {now:%a %H:%M} there now")


# -- Rhasspy ------------------------------------------------------------------------------


class _RhasspyProblem(Exception):
    pass


def check_rhasspy(url: str, library: Library, report: Report, *,
                  timeout: float = TIMEOUT) -> None:
    push = f"run `hearth sentences --rhasspy-url {url}`"
    try:
        base = _base_url(url)
        files = _get_sentences(base, timeout)
    except _RhasspyProblem as problem:
        report.problem(str(problem))
        return
    ours = build_sentences(library).sentences
    wanted = intents_in(ours)
    there = set().union(*(intents_in(text) for text in files.values()))
    missing = sorted(wanted - there)
    if missing == sorted(wanted):
        report.problem(f"Rhasspy at {base} answers, but its sentences have none of Hearth's "
                       f"intents, so it cannot understand Hearth's commands: {push}")
    elif missing:
        report.problem(f"Rhasspy at {base} answers, but its sentences lack {len(missing)} of "
                       f"Hearth's {len(wanted)} intents ({', '.join(missing)}): {push}")
    elif (RHASSPY_SENTENCES_PATH in files
          and files[RHASSPY_SENTENCES_PATH].strip() != ours.strip()):
        report.problem(f"Rhasspy at {base} has an older copy of Hearth's sentences "
                       f"({RHASSPY_SENTENCES_PATH} differs from what these rituals need, e.g. "
                       f"after a ritual was added or changed): {push}")
    else:
        report.ok(f"Rhasspy at {base} answers and its sentences have Hearth's "
                  f"{len(wanted)} intents")


def intents_in(text: str) -> set[str]:
    """The intent names of a sentences.ini text: its ``[Section]`` headers."""
    return {name.strip() for name in _SECTION.findall(text)}


def _base_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _RhasspyProblem(f"{url!r} is not a Rhasspy web address; give one like "
                              "--rhasspy-url http://localhost:12101")
    path = parts.path.rstrip("/")
    path = path.removesuffix("/api")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _get_sentences(base: str, timeout: float) -> dict[str, str]:
    """Rhasspy's sentence files by path (Rhasspy 2.5 answers JSON when asked for it)."""
    url = f"{base}/api/sentences"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    hint = f"is Rhasspy running, and is {base} its web address (port 12101 by default)?"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_ANSWER)
    except urllib.error.HTTPError as error:
        raise _RhasspyProblem(f"Rhasspy at {base} answered GET /api/sentences with HTTP "
                              f"{error.code} {error.reason}; {hint}") from None
    except urllib.error.URLError as error:
        reason = error.reason
        said = (reason.strerror if isinstance(reason, OSError) and reason.strerror
                else str(reason))
        raise _RhasspyProblem(f"cannot reach Rhasspy at {base} ({said}): {hint}") from None
    except TimeoutError:
        raise _RhasspyProblem(f"Rhasspy at {base} did not answer within {timeout:g} s: "
                              f"{hint}") from None
    except OSError as error:
        raise _RhasspyProblem(f"cannot reach Rhasspy at {base} "
                              f"({error.strerror or error}): {hint}") from None
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        return {"sentences.ini": text}  # an older Rhasspy, or one answering plain text
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return {str(k): v for k, v in data.items()}
    raise _RhasspyProblem(f"{base}/api/sentences answered something other than sentence "
                          f"files; {hint}")
