"""Hearth's settings for ``hearth run``, from flags, the environment, a YAML file and defaults.

Precedence is the usual one: a flag beats an environment variable (``HEARTH_*``), which beats
the config file, which beats the default. Every value is checked in one place,
:class:`Settings`' ``__post_init__``; when a loaded value fails, the error is re-addressed to
where that value came from (``--port``, ``HEARTH_PORT`` or ``hearth.yaml:3:7``), so whoever
runs the box knows what to edit.

The MQTT flags follow Rhasspy's own Hermes services (``rhasspyhermes.cli.add_hermes_args``):
``--host --port --username --password --tls --tls-ca-certs --tls-certfile --tls-keyfile`` and
a repeatable ``--site-id`` whose absence means every site.

The config file is read like a ritual file (:mod:`skill.yamlnodes`): nothing in it is
executed, ``yes`` and ``no`` stay words (only ``tls`` reads them as a switch), and every
problem names ``file:line:col``. Relative paths in it are relative to the file's folder.

An environment variable set to the empty string counts as unset, because container and
systemd environment files often carry ``HEARTH_USERNAME=`` lines left blank on purpose.
"""

from __future__ import annotations

import argparse
import os
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from skill import yamlnodes as yn
from skill.errors import HearthError, RitualError, did_you_mean
from skill.paths import shipped_rituals
from skill.recurrence import RecurrenceError, parse_recurrence
from skill.ritual import ID_PATTERN, MAX_PARTICIPANTS

DEFAULT_NAMES = ("Partner one", "Partner two")
"""What the speaker calls a household that has not told it their names.

They have to work in every slot a ritual uses them: ``Hello, {names}`` as well as
``{speaker}, look at {partner}``, where the two swap every turn. "you" and "your partner"
collapse into nonsense there ("your partner, look at you"), and sample names such as Alex
and Sam would address a real couple by strangers' names. "Partner one" and "Partner two" are
distinct, gender-neutral, assume nothing about who leads, and invite the couple to set their
own names.
"""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_NAME_LENGTH = 40
MAX_SITE_ID_LENGTH = 64
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_SITE_ID_FORBIDDEN = frozenset("/+#")
"""A site id becomes one level of an MQTT topic, where these split or match levels."""
_SETTINGS_SOURCE = "settings"
"""The source named when a :class:`Settings` is built directly rather than loaded."""


class ConfigError(HearthError):
    """A setting Hearth cannot use; ``source`` is the flag, variable or ``file:line:col``."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class InvalidSettingError(ConfigError):
    """A value of the wrong shape or out of range; says what was expected instead."""

    def __init__(
        self, source: str, setting: str, expected: str, value: object = None,
        *, show_value: bool = True,
    ) -> None:
        self.setting = setting
        self.expected = expected
        # A secret is never kept, so no later repr or log of this error can leak it.
        self.value = value if show_value else None
        self.show_value = show_value
        shown = f", not {value!r}" if show_value else ""
        super().__init__(source, f"{setting}: expected {expected}{shown}")

    def relocated(self, source: str) -> InvalidSettingError:
        """The same complaint, addressed to where the value really came from."""
        return InvalidSettingError(
            source, self.setting, self.expected, self.value, show_value=self.show_value
        )


class UnknownSettingError(ConfigError):
    """A key in the config file that is not a setting, with the closest one."""

    def __init__(self, source: str, key: str, known: tuple[str, ...]) -> None:
        self.key = key
        self.known = known
        self.suggestion = did_you_mean(key, known)
        hint = f"did you mean {self.suggestion!r}? " if self.suggestion else ""
        super().__init__(source, f"unknown setting {key!r}; {hint}settings: {', '.join(known)}")


def seconds_up_to(most: float) -> Callable[[str], float]:
    """An argparse ``type``: a number of seconds above 0 and at most ``most``."""
    def seconds(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not 0 < value <= most:
            raise argparse.ArgumentTypeError(
                f"must be between 0 and {most:g} seconds, not {text}")
        return value
    return seconds


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/hearth``, or ``~/.local/share/hearth`` as the XDG spec falls back."""
    xdg = environ.get("XDG_DATA_HOME", "")
    # The spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    base = Path(xdg) if os.path.isabs(xdg) else home / ".local" / "share"
    return base / "hearth"


def default_config_file(environ: Mapping[str, str]) -> Path | None:
    """``$XDG_CONFIG_HOME/hearth/hearth.yaml`` (or under ``~/.config``) if there is one."""
    xdg = environ.get("XDG_CONFIG_HOME", "")
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    base = Path(xdg) if os.path.isabs(xdg) else home / ".config"
    path = base / "hearth" / "hearth.yaml"
    return path if path.is_file() else None


# -- checks shared by the dataclass and the file reader -----------------------------------
# Each returns what was expected when the value is wrong, None when it is fine.

def _name_problem(name: str) -> str | None:
    if (not name or name != name.strip() or len(name) > MAX_NAME_LENGTH
            or "," in name or not name.isprintable()):
        return f"a name of 1 to {MAX_NAME_LENGTH} characters without commas"
    return None


def _names_problem(names: tuple[str, ...]) -> str | None:
    if not 1 <= len(names) <= MAX_PARTICIPANTS:
        return f"1 to {MAX_PARTICIPANTS} names, like Alex,Sam"
    for name in names:
        if problem := _name_problem(name):
            return problem
    folded = [name.casefold() for name in names]
    if len(set(folded)) != len(folded):
        return "names that differ, so the speaker can tell whose turn it is"
    return None


def _site_id_problem(site_id: str) -> str | None:
    if (not site_id or len(site_id) > MAX_SITE_ID_LENGTH or not site_id.isprintable()
            or any(c.isspace() or c in _SITE_ID_FORBIDDEN for c in site_id)):
        return (f"a Hermes site id of 1 to {MAX_SITE_ID_LENGTH} characters without spaces, "
                "'/', '+' or '#', like 'default' or 'livingroom'")
    return None


def _timezone_problem(key: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # Only on the error path: listing the zones reads the whole tz database.
        suggestion = did_you_mean(key, zoneinfo.available_timezones())
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        return f"an IANA time zone like 'Europe/Berlin'{hint}"
    return None


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """A schedule written in the config file: which ritual, where, when, for whom."""

    ritual: str
    when: str
    site: str = "default"
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not ID_PATTERN.match(self.ritual):
            raise ValueError(f"not a ritual id: {self.ritual!r}")
        if problem := _site_id_problem(self.site):
            raise ValueError(problem)


@dataclass(frozen=True, repr=False)
class Settings:
    """Everything ``hearth run`` needs; built only from values that make sense together."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    tls_ca_certs: Path | None = None
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    site_ids: tuple[str, ...] = ()
    """The Hermes sites Hearth serves; empty means every site."""
    rituals: Path = field(default_factory=shipped_rituals)
    names: tuple[str, ...] = DEFAULT_NAMES
    site_names: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    """Names for one site (room) in place of ``names``, e.g. a guest room."""
    log_level: str = "INFO"
    timezone: str | None = None
    """For schedules; None means the machine's own zone."""
    data_dir: Path = field(default_factory=lambda: default_data_dir(os.environ))
    schedules: tuple[ScheduleEntry, ...] = ()
    """Schedules from the config file; those added by voice or CLI live in the data file."""
    grace_minutes: int = 15
    """A ritual due while Hearth was down (or the room busy) is still offered this long."""
    invitation_retry_minutes: int = 5
    """When nobody answers an invitation, it is asked once more after this long."""

    def __post_init__(self) -> None:
        # Normalised here so that every way of building Settings agrees; the mapping is
        # copied into a read-only view so a frozen Settings stays frozen all the way down.
        object.__setattr__(self, "log_level", str(self.log_level).upper())
        object.__setattr__(
            self, "site_names",
            MappingProxyType({k: tuple(v) for k, v in dict(self.site_names).items()}),
        )
        self._check_connection()
        self._check_tls()
        self._check_household()
        self._check_rest()

    # -- the checks -----------------------------------------------------------------------

    @staticmethod
    def _fail(setting: str, expected: str, value: object = None, *, show_value: bool = True
              ) -> InvalidSettingError:
        return InvalidSettingError(
            _SETTINGS_SOURCE, setting, expected, value, show_value=show_value
        )

    def _check_connection(self) -> None:
        host = self.host
        if not host or not host.isprintable() or any(c.isspace() for c in host):
            raise self._fail("host", "a host name or IP address, like 127.0.0.1", host)
        if isinstance(self.port, bool) or not 1 <= self.port <= 65535:
            raise self._fail("port", "a whole number from 1 to 65535", self.port)
        if self.username is not None and (not self.username or not self.username.isprintable()):
            raise self._fail("username", "a user name without control characters",
                             self.username)
        if self.password is not None and self.username is None:
            raise self._fail(
                "password", "a username as well (MQTT sends a password only with one)",
                show_value=False,
            )

    def _check_tls(self) -> None:
        for setting in ("tls_ca_certs", "tls_certfile", "tls_keyfile"):
            path: Path | None = getattr(self, setting)
            if path is None:
                continue
            if not self.tls:
                raise self._fail(setting, "tls to be on as well (the file is only used over TLS)",
                                 str(path))
            if not path.is_file():
                raise self._fail(setting, "a PEM file that exists", str(path))
        if self.tls_keyfile is not None and self.tls_certfile is None:
            raise self._fail("tls_keyfile", "tls_certfile as well (a key needs its certificate)",
                             str(self.tls_keyfile))

    def _check_household(self) -> None:
        if problem := _names_problem(self.names):
            raise self._fail("names", problem, self.names)
        seen: set[str] = set()
        for site_id in self.site_ids:
            if problem := _site_id_problem(site_id):
                raise self._fail("site_ids", problem, site_id)
            if site_id in seen:
                raise self._fail("site_ids", "each site id once", site_id)
            seen.add(site_id)
        for site_id, names in self.site_names.items():
            if problem := _site_id_problem(site_id):
                raise self._fail("site_names", problem, site_id)
            if self.site_ids and site_id not in self.site_ids:
                suggestion = did_you_mean(site_id, self.site_ids)
                hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
                raise self._fail(
                    "site_names",
                    f"one of the site ids Hearth serves: {', '.join(self.site_ids)}{hint}",
                    site_id,
                )
            if problem := _names_problem(names):
                raise self._fail("site_names", f"{problem} for {site_id!r}", names)

    def _check_rest(self) -> None:
        if not self.rituals.is_dir():
            raise self._fail("rituals", "a folder of ritual files that exists", str(self.rituals))
        if self.log_level not in LOG_LEVELS:
            suggestion = did_you_mean(self.log_level, LOG_LEVELS)
            hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
            raise self._fail("log_level", f"one of {', '.join(LOG_LEVELS)}{hint}",
                             self.log_level)
        if self.timezone is not None and (problem := _timezone_problem(self.timezone)):
            raise self._fail("timezone", problem, self.timezone)
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise self._fail("data_dir", "a folder (this is a file)", str(self.data_dir))
        for setting in ("grace_minutes", "invitation_retry_minutes"):
            minutes = getattr(self, setting)
            if isinstance(minutes, bool) or not 0 <= minutes <= 24 * 60:
                raise self._fail(setting, "a number of minutes from 0 to 1440", minutes)

    # -- use ------------------------------------------------------------------------------

    def names_for(self, site_id: str) -> tuple[str, ...]:
        """The names to use for a ritual on ``site_id``."""
        return self.site_names.get(site_id, self.names)

    def __repr__(self) -> str:
        # Settings end up in logs and tracebacks; the password must never be in them.
        parts = []
        for item in fields(self):
            value: object = getattr(self, item.name)
            if item.name == "password" and value is not None:
                parts.append("password='<hidden>'")
                continue
            if isinstance(value, MappingProxyType):
                value = dict(value)
            parts.append(f"{item.name}={value!r}")
        return f"Settings({', '.join(parts)})"


SETTING_NAMES = tuple(item.name for item in fields(Settings))


# -- reading text (flags and environment) -------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Given:
    """A value and where it came from, so a later complaint can point there."""

    value: object
    source: str


_Convert = Callable[[str, str, str], object]
"""(text, source, setting) → value, raising InvalidSettingError naming the source."""


def _text(text: str, source: str, setting: str) -> str:
    return text.strip()


def _secret(text: str, source: str, setting: str) -> str:
    return text  # a password is taken exactly as written, spaces and all


def _port(text: str, source: str, setting: str) -> int:
    value = text.strip()
    if value.isascii() and value.isdigit() and 1 <= int(value) <= 65535:
        return int(value)
    raise InvalidSettingError(source, setting, "a whole number from 1 to 65535", text)


def _switch(text: str, source: str, setting: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InvalidSettingError(source, setting, "true or false (or yes/no, on/off)", text)


def _path(text: str, source: str, setting: str) -> Path:
    return Path(text.strip()).expanduser()


def _items(text: str, source: str, setting: str, check: Callable[[str], str | None]
           ) -> tuple[str, ...]:
    items = tuple(part.strip() for part in text.split(","))
    for item in items:
        if problem := check(item):
            # The one bad item, not the whole list: in 'Alex,,Sam' it is the empty one.
            raise InvalidSettingError(source, setting, problem, item)
    return items


def _names(text: str, source: str, setting: str) -> tuple[str, ...]:
    return _items(text, source, setting, _name_problem)


def _site_ids(text: str, source: str, setting: str) -> tuple[str, ...]:
    return _items(text, source, setting, _site_id_problem)


def _level(text: str, source: str, setting: str) -> str:
    return text.strip().upper()


def _minutes(text: str, source: str, setting: str) -> int:
    value = text.strip()
    if value.isascii() and value.isdigit() and int(value) <= 24 * 60:
        return int(value)
    raise InvalidSettingError(source, setting, "a number of minutes from 0 to 1440", text)


ENVIRONMENT: dict[str, tuple[str, _Convert]] = {
    "HEARTH_HOST": ("host", _text),
    "HEARTH_PORT": ("port", _port),
    "HEARTH_USERNAME": ("username", _text),
    "HEARTH_PASSWORD": ("password", _secret),
    "HEARTH_TLS": ("tls", _switch),
    "HEARTH_TLS_CA_CERTS": ("tls_ca_certs", _path),
    "HEARTH_TLS_CERTFILE": ("tls_certfile", _path),
    "HEARTH_TLS_KEYFILE": ("tls_keyfile", _path),
    "HEARTH_SITE_ID": ("site_ids", _site_ids),
    "HEARTH_RITUALS": ("rituals", _path),
    "HEARTH_NAMES": ("names", _names),
    "HEARTH_LOG_LEVEL": ("log_level", _level),
    "HEARTH_TIMEZONE": ("timezone", _text),
    "HEARTH_DATA_DIR": ("data_dir", _path),
    "HEARTH_GRACE_MINUTES": ("grace_minutes", _minutes),
    "HEARTH_INVITATION_RETRY_MINUTES": ("invitation_retry_minutes", _minutes),
}
CONFIG_VARIABLE = "HEARTH_CONFIG"

FLAGS: dict[str, tuple[str, str, _Convert]] = {
    # argparse attribute: (setting, flag as typed, converter)
    "host": ("host", "--host", _text),
    "port": ("port", "--port", _port),
    "username": ("username", "--username", _text),
    "password": ("password", "--password", _secret),
    "tls_ca_certs": ("tls_ca_certs", "--tls-ca-certs", _path),
    "tls_certfile": ("tls_certfile", "--tls-certfile", _path),
    "tls_keyfile": ("tls_keyfile", "--tls-keyfile", _path),
    "names": ("names", "--names", _names),
    "log_level": ("log_level", "--log-level", _level),
    "data_dir": ("data_dir", "--data-dir", _path),
}


def add_mqtt_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``hearth run``; every default is None so that absence can be told apart."""
    mqtt = parser.add_argument_group("MQTT broker (as Rhasspy's own services take them)")
    mqtt.add_argument("--host", help="MQTT host (default: 127.0.0.1)")
    mqtt.add_argument("--port", metavar="PORT",
                      help="MQTT port (default: 1883; Rhasspy's internal broker is 12183)")
    mqtt.add_argument("--username", help="MQTT username")
    mqtt.add_argument("--password",
                      help="MQTT password (visible to other users in the process list: "
                           "prefer HEARTH_PASSWORD or the config file)")
    mqtt.add_argument("--tls", action=argparse.BooleanOptionalAction, default=None,
                      help="connect to the broker over TLS")
    mqtt.add_argument("--tls-ca-certs", metavar="FILE",
                      help="certificate authority file (PEM) to check the broker with")
    mqtt.add_argument("--tls-certfile", metavar="FILE", help="client certificate (PEM)")
    mqtt.add_argument("--tls-keyfile", metavar="FILE", help="client private key (PEM)")
    mqtt.add_argument("--site-id", action="append", metavar="SITE_ID",
                      help="a Hermes site id to serve; repeat for more (default: all sites)")
    hearth = parser.add_argument_group("Hearth")
    hearth.add_argument("--config", metavar="FILE",
                        help=f"YAML config file (default: ${CONFIG_VARIABLE}, else "
                             "~/.config/hearth/hearth.yaml if there is one)")
    hearth.add_argument("--names", help="your names, comma-separated, e.g. Alex,Sam")
    hearth.add_argument("--log-level", metavar="LEVEL", help=f"one of {', '.join(LOG_LEVELS)}")
    hearth.add_argument("--data-dir", metavar="DIR",
                        help="where Hearth keeps its state (default: ~/.local/share/hearth)")


def _from_flags(args: argparse.Namespace) -> dict[str, _Given]:
    given: dict[str, _Given] = {}
    for attribute, (setting, flag, convert) in FLAGS.items():
        text = getattr(args, attribute, None)
        if text is not None:
            given[setting] = _Given(convert(str(text), flag, setting), flag)
    tls = getattr(args, "tls", None)
    if tls is not None:
        given["tls"] = _Given(bool(tls), "--tls" if tls else "--no-tls")
    site_ids: list[str] | None = getattr(args, "site_id", None)
    if site_ids:
        given["site_ids"] = _Given(
            tuple(s for text in site_ids for s in _site_ids(text, "--site-id", "site_ids")),
            "--site-id",
        )
    # The top-level --rituals defaults to the shipped folder, which is indistinguishable from
    # not being given; only a different folder is a flag that should beat the file.
    rituals = getattr(args, "rituals", None)
    if rituals is not None and Path(rituals).resolve() != shipped_rituals().resolve():
        given["rituals"] = _Given(Path(rituals).expanduser(), "--rituals")
    return given


def _from_environment(environ: Mapping[str, str]) -> dict[str, _Given]:
    given: dict[str, _Given] = {}
    for variable, (setting, convert) in ENVIRONMENT.items():
        text = environ.get(variable)
        if text:
            given[setting] = _Given(convert(text, variable, setting), variable)
    return given


# -- reading the config file --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _File:
    source: str
    folder: Path

    def at(self, node: yn.Node) -> str:
        return f"{self.source}:{node.line}:{node.column}"

    def scalar(self, node: yn.Node, setting: str, expected: str) -> str:
        if not isinstance(node, yn.Scalar):
            raise InvalidSettingError(self.at(node), setting, expected,
                                      "a list" if isinstance(node, yn.Sequence) else "a mapping")
        return node.value

    def read(self, setting: str, node: yn.Node) -> object:
        if setting in ("site_ids", "names"):
            check = _site_id_problem if setting == "site_ids" else _name_problem
            return self.items(node, setting, check)
        if setting == "site_names":
            return self.site_names(node)
        if setting == "schedules":
            return self.schedules(node)
        convert = _FILE_CONVERTERS[setting]
        text = self.scalar(node, setting, _FILE_EXPECTED.get(setting, "some text"))
        value = convert(text, self.at(node), setting)
        if isinstance(value, Path) and not value.is_absolute():
            return self.folder / value
        return value

    def items(self, node: yn.Node, setting: str, check: Callable[[str], str | None]
              ) -> tuple[str, ...]:
        if isinstance(node, yn.Scalar):
            return _items(node.value, self.at(node), setting, check)
        if not isinstance(node, yn.Sequence):
            raise InvalidSettingError(self.at(node), setting, "a list, like [a, b]", "a mapping")
        if not node.items and setting != "site_ids":  # no site ids means every site
            raise InvalidSettingError(self.at(node), setting, "at least one name", "[]")
        values: list[str] = []
        for item in node.items:
            text = self.scalar(item, setting, "a list of words, not a list of lists").strip()
            if problem := check(text):
                raise InvalidSettingError(self.at(item), setting, problem, text)
            values.append(text)
        return tuple(values)

    def schedules(self, node: yn.Node) -> tuple[ScheduleEntry, ...]:
        expected = "a list of schedules like '- {ritual: hug-timer, when: every day at 21:00}'"
        if not isinstance(node, yn.Sequence):
            raise InvalidSettingError(self.at(node), "schedules", expected)
        entries = []
        for item in node.items:
            if not isinstance(item, yn.Mapping):
                raise InvalidSettingError(self.at(item), "schedules", expected)
            values: dict[str, yn.Node] = {}
            for key, value in item.pairs:
                if key.value not in _SCHEDULE_KEYS:
                    raise UnknownSettingError(self.at(key), key.value, _SCHEDULE_KEYS)
                values[key.value] = value
            for required in ("ritual", "when"):
                if required not in values:
                    raise InvalidSettingError(self.at(item), "schedules",
                                              f"'{required}:' in each schedule")
            ritual = self.scalar(values["ritual"], "ritual", "a ritual id").strip()
            if not ID_PATTERN.match(ritual):
                raise InvalidSettingError(self.at(values["ritual"]), "ritual",
                                          "a ritual id like 'hug-timer'", ritual)
            when = self.scalar(values["when"], "when", "when, like 'every Sunday at 20:30'")
            try:
                parse_recurrence(when)
            except RecurrenceError as error:
                raise InvalidSettingError(self.at(values["when"]), "when",
                                          f"a time people can read ({error.reason})",
                                          when) from None
            site = "default"
            if "site" in values:
                site = self.scalar(values["site"], "site", "a site id").strip()
                if problem := _site_id_problem(site):
                    raise InvalidSettingError(self.at(values["site"]), "site", problem, site)
            names: tuple[str, ...] = ()
            if "names" in values:
                names = self.items(values["names"], "names", _name_problem)
            entries.append(ScheduleEntry(ritual, when.strip(), site, names))
        return tuple(entries)

    def site_names(self, node: yn.Node) -> dict[str, tuple[str, ...]]:
        if not isinstance(node, yn.Mapping):
            raise InvalidSettingError(self.at(node), "site_names",
                                      "a mapping of site ids to names, like 'bedroom: [Alex, Sam]'")
        mapping: dict[str, tuple[str, ...]] = {}
        for key, value in node.pairs:
            if problem := _site_id_problem(key.value):
                raise InvalidSettingError(self.at(key), "site_names", problem, key.value)
            mapping[key.value] = self.items(value, "site_names", _name_problem)
        return mapping


_SCHEDULE_KEYS = ("ritual", "when", "site", "names")
_FILE_CONVERTERS: dict[str, _Convert] = {
    setting: convert for setting, convert in ENVIRONMENT.values()
}
_FILE_EXPECTED = {
    "port": "a whole number from 1 to 65535",
    "tls": "true or false",
}


def _from_file(path: Path, source_of_path: str) -> dict[str, _Given]:
    source = str(path)
    try:
        root = yn.parse(yn.read_text(path), source)
    except RitualError as error:
        raise ConfigError(f"{error.source}:{error.line}:{error.column}", error.problem) from None
    except FileNotFoundError:
        raise ConfigError(source_of_path, f"the config file {source} does not exist") from None
    except OSError as error:
        raise ConfigError(
            source_of_path, f"cannot read the config file {source}: {error.strerror or error}"
        ) from None
    if isinstance(root, yn.Scalar) and root.is_null:
        return {}  # an empty file, or one with only comments: every setting left as it was
    reader = _File(source, path.parent)
    if not isinstance(root, yn.Mapping):
        raise InvalidSettingError(reader.at(root), "the config file",
                                  "settings, one per line, like 'host: 127.0.0.1'")
    given: dict[str, _Given] = {}
    for key, node in root.pairs:
        if key.value not in SETTING_NAMES:
            raise UnknownSettingError(reader.at(key), key.value, SETTING_NAMES)
        if isinstance(node, yn.Scalar) and node.is_null:
            continue  # 'username:' with nothing after it means: not set
        given[key.value] = _Given(reader.read(key.value, node), reader.at(node))
    return given


def _config_path(
    args: argparse.Namespace | None, environ: Mapping[str, str], config_file: Path | None
) -> tuple[Path, str] | None:
    flag = getattr(args, "config", None) if args is not None else None
    if flag:
        return Path(flag).expanduser(), "--config"
    if environ.get(CONFIG_VARIABLE):
        return Path(environ[CONFIG_VARIABLE]).expanduser(), CONFIG_VARIABLE
    if config_file is not None:
        return config_file, "the config file"
    return None


def load_settings(
    args: argparse.Namespace | None, environ: Mapping[str, str], config_file: Path | None
) -> Settings:
    """Settings from flags, then ``HEARTH_*`` variables, then a config file, then defaults.

    The config file is the one ``--config`` names, else ``$HEARTH_CONFIG``, else
    ``config_file``; any file named must exist. Raises :class:`ConfigError` naming the flag,
    variable or ``file:line:col`` of the first value that cannot be used.
    """
    located = _config_path(args, environ, config_file)
    merged = {
        **(_from_file(*located) if located else {}),
        **_from_environment(environ),
        **(_from_flags(args) if args is not None else {}),
    }
    values: dict[str, object] = {setting: given.value for setting, given in merged.items()}
    values.setdefault("data_dir", default_data_dir(environ))
    try:
        return Settings(**cast(dict[str, Any], values))
    except InvalidSettingError as error:
        given = merged.get(error.setting)
        raise error.relocated(given.source if given else "default") from None
