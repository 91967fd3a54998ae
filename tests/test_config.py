"""``hearth run``'s settings: flags > HEARTH_* > config file > defaults, every error located."""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from skill.config import (
    DEFAULT_NAMES,
    ENVIRONMENT,
    SETTING_NAMES,
    ConfigError,
    InvalidSettingError,
    ScheduleEntry,
    Settings,
    UnknownSettingError,
    add_mqtt_arguments,
    default_config_file,
    default_data_dir,
    load_settings,
    seconds_up_to,
)
from skill.errors import HearthError
from skill.paths import shipped_rituals

ROOT = Path(__file__).resolve().parent.parent
HOME = {"HOME": "/home/alex"}


def flags(*argv: str) -> argparse.Namespace:
    """Parse like ``hearth run`` will: the global --rituals, then the run flags."""
    parser = argparse.ArgumentParser(prog="hearth")
    parser.add_argument("--rituals", type=Path, default=shipped_rituals())
    add_mqtt_arguments(parser)
    return parser.parse_args(argv)


def config(tmp_path: Path, text: str, name: str = "hearth.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def pem(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    return path


# -- defaults -------------------------------------------------------------------------------

def test_defaults() -> None:
    settings = load_settings(None, HOME, None)
    assert settings == Settings(data_dir=Path("/home/alex/.local/share/hearth"))
    assert (settings.host, settings.port) == ("127.0.0.1", 1883)
    assert settings.username is None and settings.password is None
    assert settings.tls is False
    assert settings.tls_ca_certs is settings.tls_certfile is settings.tls_keyfile is None
    assert settings.site_ids == ()
    assert settings.rituals == shipped_rituals()
    assert settings.names == DEFAULT_NAMES == ("Partner one", "Partner two")
    assert dict(settings.site_names) == {}
    assert settings.log_level == "INFO"
    assert settings.timezone is None


def test_no_flags_at_all_is_the_same_as_none() -> None:
    assert load_settings(flags(), HOME, None) == load_settings(None, HOME, None)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HOME": "/home/sam"}, "/home/sam/.local/share/hearth"),
        ({"HOME": "/home/sam", "XDG_DATA_HOME": "/data"}, "/data/hearth"),
        # The XDG spec: a relative value is invalid and is ignored.
        ({"HOME": "/home/sam", "XDG_DATA_HOME": "data"}, "/home/sam/.local/share/hearth"),
    ],
)
def test_the_data_dir_follows_xdg(environ: dict[str, str], expected: str) -> None:
    assert default_data_dir(environ) == Path(expected)
    assert load_settings(None, environ, None).data_dir == Path(expected)


def test_a_config_file_in_the_xdg_config_folder_is_found(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    assert default_config_file(environ) is None
    (tmp_path / "cfg" / "hearth").mkdir(parents=True)
    path = config(tmp_path / "cfg" / "hearth", "port: 1884\n")
    assert default_config_file(environ) == path
    assert load_settings(None, environ, default_config_file(environ)).port == 1884


# -- the config file ------------------------------------------------------------------------

FULL_FILE = """\
host: broker.lan
port: 8883
username: hearth
password: yes
tls: on
tls_ca_certs: ca.pem
tls_certfile: client.pem
tls_keyfile: client.key
site_ids: [livingroom, bedroom]
rituals: rituals
names: [Alex, Sam]
site_names:
  bedroom: [Kim, Noor]
log_level: debug
timezone: Europe/Berlin
data_dir: state
schedules:
  - ritual: appreciation-round
    when: sundays at 20:30
    site: livingroom
  - {ritual: hug-timer, when: every weekday at 9pm, site: bedroom, names: [Kim, Noor]}
grace_minutes: 30
invitation_retry_minutes: 10
"""


def test_every_setting_from_the_file(tmp_path: Path) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        pem(tmp_path, name)
    (tmp_path / "rituals").mkdir()
    settings = load_settings(None, HOME, config(tmp_path, FULL_FILE))
    assert settings == Settings(
        host="broker.lan",
        port=8883,
        username="hearth",
        password="yes",  # a word, not YAML 1.1's True
        tls=True,
        tls_ca_certs=tmp_path / "ca.pem",  # relative to the file's folder
        tls_certfile=tmp_path / "client.pem",
        tls_keyfile=tmp_path / "client.key",
        site_ids=("livingroom", "bedroom"),
        rituals=tmp_path / "rituals",
        names=("Alex", "Sam"),
        site_names={"bedroom": ("Kim", "Noor")},
        log_level="DEBUG",
        timezone="Europe/Berlin",
        data_dir=tmp_path / "state",
        schedules=(
            ScheduleEntry("appreciation-round", "sundays at 20:30", "livingroom"),
            ScheduleEntry("hug-timer", "every weekday at 9pm", "bedroom", ("Kim", "Noor")),
        ),
        grace_minutes=30,
        invitation_retry_minutes=10,
    )
    assert settings.names_for("bedroom") == ("Kim", "Noor")
    assert settings.names_for("livingroom") == ("Alex", "Sam")


def test_every_setting_can_be_written_in_the_file() -> None:
    keys = {line.split(":")[0] for line in FULL_FILE.splitlines() if not line.startswith(" ")}
    assert keys == set(SETTING_NAMES)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "true", "null"])
def test_yaml_words_stay_words_where_text_is_expected(tmp_path: Path, word: str) -> None:
    text = f"username: '{word}'\npassword: {word}\n" if word == "null" else (
        f"username: {word}\npassword: {word}\n"
    )
    settings = load_settings(None, HOME, config(tmp_path, text))
    assert settings.username == word
    if word == "null":
        assert settings.password is None  # a plain null is 'not set', as in any YAML
    else:
        assert settings.password == word


@pytest.mark.parametrize(
    ("word", "on"),
    [("true", True), ("yes", True), ("On", True), ("false", False), ("no", False),
     ("off", False), ("NO", False)],
)
def test_tls_reads_yaml_switch_words(tmp_path: Path, word: str, on: bool) -> None:
    assert load_settings(None, HOME, config(tmp_path, f"tls: {word}\n")).tls is on


def test_lists_may_be_written_on_one_line(tmp_path: Path) -> None:
    settings = load_settings(None, HOME, config(tmp_path, "names: Alex, Sam\nsite_ids: den\n"))
    assert settings.names == ("Alex", "Sam")
    assert settings.site_ids == ("den",)


@pytest.mark.parametrize("text", ["", "# only comments\n", "---\n", "~\n"])
def test_an_empty_file_changes_nothing(tmp_path: Path, text: str) -> None:
    assert load_settings(None, HOME, config(tmp_path, text)) == load_settings(None, HOME, None)


def test_an_empty_value_means_not_set(tmp_path: Path) -> None:
    settings = load_settings(None, HOME, config(tmp_path, "username:\npassword: ~\nport:\n"))
    assert (settings.username, settings.password, settings.port) == (None, None, 1883)


def test_the_example_config_loads() -> None:
    settings = load_settings(None, HOME, ROOT / "deploy" / "hearth.yaml")
    assert settings.port == 12183  # Rhasspy's internal broker
    assert settings.site_ids == ()
    assert settings.data_dir == Path("/var/lib/hearth")
    assert settings.names == DEFAULT_NAMES


# -- precedence -----------------------------------------------------------------------------

def test_the_environment_beats_the_file(tmp_path: Path) -> None:
    path = config(tmp_path, "host: from-file\nport: 1884\nnames: [Alex, Sam]\n")
    settings = load_settings(None, {**HOME, "HEARTH_PORT": "1885", "HEARTH_NAMES": "Kim,Noor"},
                             path)
    assert (settings.host, settings.port, settings.names) == ("from-file", 1885, ("Kim", "Noor"))


def test_flags_beat_the_environment(tmp_path: Path) -> None:
    path = config(tmp_path, "host: from-file\nport: 1884\ntls: true\nlog_level: ERROR\n")
    environ = {**HOME, "HEARTH_HOST": "from-env", "HEARTH_PORT": "1885", "HEARTH_TLS": "yes"}
    settings = load_settings(
        flags("--port", "1886", "--no-tls", "--site-id", "den", "--site-id", "hall,attic"),
        environ, path,
    )
    assert settings.host == "from-env"
    assert settings.port == 1886
    assert settings.tls is False
    assert settings.site_ids == ("den", "hall", "attic")
    assert settings.log_level == "ERROR"


def test_the_config_flag_beats_hearth_config(tmp_path: Path) -> None:
    by_flag = config(tmp_path, "port: 1001\n", "flag.yaml")
    by_env = config(tmp_path, "port: 1002\n", "env.yaml")
    given = config(tmp_path, "port: 1003\n", "given.yaml")
    environ = {**HOME, "HEARTH_CONFIG": str(by_env)}
    assert load_settings(flags("--config", str(by_flag)), environ, given).port == 1001
    assert load_settings(flags(), environ, given).port == 1002
    assert load_settings(flags(), HOME, given).port == 1003


def test_the_default_rituals_flag_does_not_hide_the_file(tmp_path: Path) -> None:
    # cli.py's --rituals defaults to the shipped folder, which is not a choice anyone made.
    mine = tmp_path / "mine"
    mine.mkdir()
    other = tmp_path / "other"
    other.mkdir()
    path = config(tmp_path, "rituals: mine\n")
    assert load_settings(flags(), HOME, path).rituals == mine
    assert load_settings(flags("--rituals", str(other)), HOME, path).rituals == other
    none_given = argparse.Namespace(rituals=None)
    assert load_settings(none_given, HOME, path).rituals == mine


def test_every_flag(tmp_path: Path) -> None:
    for name in ("ca.pem", "client.pem", "client.key"):
        pem(tmp_path, name)
    args = flags(
        "--host", "broker", "--port", "8883", "--username", "u", "--password", "p", "--tls",
        "--tls-ca-certs", str(tmp_path / "ca.pem"), "--tls-certfile", str(tmp_path / "client.pem"),
        "--tls-keyfile", str(tmp_path / "client.key"), "--site-id", "den", "--names", "Alex,Sam",
        "--log-level", "warning", "--data-dir", str(tmp_path / "data"),
        "--rituals", str(tmp_path),
    )
    assert load_settings(args, {}, None) == Settings(
        host="broker", port=8883, username="u", password="p", tls=True,
        tls_ca_certs=tmp_path / "ca.pem", tls_certfile=tmp_path / "client.pem",
        tls_keyfile=tmp_path / "client.key", site_ids=("den",), names=("Alex", "Sam"),
        log_level="WARNING", data_dir=tmp_path / "data", rituals=tmp_path,
    )


# -- the environment ------------------------------------------------------------------------

def every_variable(tmp_path: Path) -> dict[str, tuple[str, str, object]]:
    """Each HEARTH_* variable: (text, setting, the value it should give)."""
    ca, cert, key = pem(tmp_path, "ca.pem"), pem(tmp_path, "c.pem"), pem(tmp_path, "c.key")
    return {
        "HEARTH_HOST": ("broker.lan", "host", "broker.lan"),
        "HEARTH_PORT": (" 12183 ", "port", 12183),
        "HEARTH_USERNAME": ("hearth", "username", "hearth"),
        "HEARTH_PASSWORD": (" s3cret ", "password", " s3cret "),
        "HEARTH_TLS": ("on", "tls", True),
        "HEARTH_TLS_CA_CERTS": (str(ca), "tls_ca_certs", ca),
        "HEARTH_TLS_CERTFILE": (str(cert), "tls_certfile", cert),
        "HEARTH_TLS_KEYFILE": (str(key), "tls_keyfile", key),
        "HEARTH_SITE_ID": ("livingroom, bedroom", "site_ids", ("livingroom", "bedroom")),
        "HEARTH_RITUALS": (str(tmp_path), "rituals", tmp_path),
        "HEARTH_NAMES": ("Alex, Sam, Kim", "names", ("Alex", "Sam", "Kim")),
        "HEARTH_LOG_LEVEL": ("debug", "log_level", "DEBUG"),
        "HEARTH_TIMEZONE": ("America/New_York", "timezone", "America/New_York"),
        "HEARTH_DATA_DIR": (str(tmp_path / "data"), "data_dir", tmp_path / "data"),
        "HEARTH_GRACE_MINUTES": ("20", "grace_minutes", 20),
        "HEARTH_INVITATION_RETRY_MINUTES": (" 3 ", "invitation_retry_minutes", 3),
    }


def test_every_variable_is_read(tmp_path: Path) -> None:
    variables = every_variable(tmp_path)
    assert set(variables) == set(ENVIRONMENT)
    environ = {name: text for name, (text, _, _) in variables.items()}
    settings = load_settings(None, environ, None)
    for name, (_, setting, value) in variables.items():
        assert getattr(settings, setting) == value, name


def test_hearth_config_names_the_file(tmp_path: Path) -> None:
    path = config(tmp_path, "port: 1884\n")
    assert load_settings(None, {**HOME, "HEARTH_CONFIG": str(path)}, None).port == 1884


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    path = config(tmp_path, "username: hearth\nport: 1884\n")
    settings = load_settings(None, {**HOME, "HEARTH_USERNAME": "", "HEARTH_PORT": ""}, path)
    assert (settings.username, settings.port) == ("hearth", 1884)


# -- errors name their place ----------------------------------------------------------------

def raises(match: str) -> pytest.RaisesExc[ConfigError]:
    return pytest.raises(ConfigError, match="^" + re.escape(match))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "eighty"], "--port: port: expected a whole number from 1 to 65535, "
                               "not 'eighty'"),
        (["--port", "0"], "--port: port: expected a whole number from 1 to 65535, not '0'"),
        (["--host", "my broker"], "--host: host: expected a host name or IP address"),
        (["--names", "Alex,,Sam"], "--names: names: expected a name of 1 to 40 characters "
                                   "without commas, not ''"),
        (["--names", "Alex,alex"], "--names: names: expected names that differ"),
        (["--site-id", "living/room"], "--site-id: site_ids: expected a Hermes site id"),
        (["--site-id", "den", "--site-id", "den"], "--site-id: site_ids: expected each site id "
                                                   "once, not 'den'"),
        (["--log-level", "WARN"], "--log-level: log_level: expected one of DEBUG, INFO, WARNING, "
                                  "ERROR, CRITICAL (did you mean 'WARNING'?), not 'WARN'"),
        (["--tls-certfile", "/nowhere/client.pem"], "--tls-certfile: tls_certfile: expected tls "
                                                    "to be on as well"),
        (["--tls", "--tls-certfile", "/nowhere/client.pem"],
         "--tls-certfile: tls_certfile: expected a PEM file that exists, not "
         "'/nowhere/client.pem'"),
        (["--password", "hunter2"], "--password: password: expected a username as well"),
        (["--rituals", "/nowhere"], "--rituals: rituals: expected a folder of ritual files that "
                                    "exists, not '/nowhere'"),
        (["--config", "/nowhere/hearth.yaml"], "--config: the config file /nowhere/hearth.yaml "
                                               "does not exist"),
    ],
)
def test_a_bad_flag_is_named(argv: list[str], message: str) -> None:
    with raises(message):
        load_settings(flags(*argv), HOME, None)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HEARTH_PORT": "1883x"}, "HEARTH_PORT: port: expected a whole number from 1 to 65535, "
                                   "not '1883x'"),
        ({"HEARTH_PORT": "70000"}, "HEARTH_PORT: port: expected a whole number"),
        ({"HEARTH_TLS": "maybe"}, "HEARTH_TLS: tls: expected true or false (or yes/no, on/off), "
                                  "not 'maybe'"),
        ({"HEARTH_NAMES": ",".join(f"P{i}" for i in range(13))},
         "HEARTH_NAMES: names: expected 1 to 12 names"),
        ({"HEARTH_SITE_ID": "den,#"}, "HEARTH_SITE_ID: site_ids: expected a Hermes site id"),
        ({"HEARTH_LOG_LEVEL": "loud"}, "HEARTH_LOG_LEVEL: log_level: expected one of DEBUG"),
        ({"HEARTH_TIMEZONE": "Europe/Berln"}, "HEARTH_TIMEZONE: timezone: expected an IANA time "
                                              "zone like 'Europe/Berlin' (did you mean "
                                              "'Europe/Berlin'?)"),
        ({"HEARTH_PASSWORD": "hunter2"}, "HEARTH_PASSWORD: password: expected a username"),
        ({"HEARTH_TLS_KEYFILE": "/nowhere/k", "HEARTH_TLS": "1"},
         "HEARTH_TLS_KEYFILE: tls_keyfile: expected a PEM file that exists"),
        ({"HEARTH_RITUALS": "/nowhere"}, "HEARTH_RITUALS: rituals: expected a folder"),
        ({"HEARTH_CONFIG": "/nowhere.yaml"}, "HEARTH_CONFIG: the config file /nowhere.yaml does "
                                             "not exist"),
    ],
)
def test_a_bad_variable_is_named(environ: dict[str, str], message: str) -> None:
    with raises(message):
        load_settings(None, {**HOME, **environ}, None)


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    path = config(tmp_path, "")
    with raises(f"HEARTH_DATA_DIR: data_dir: expected a folder (this is a file), not '{path}'"):
        load_settings(None, {"HEARTH_DATA_DIR": str(path)}, None)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("host: broker\nport: abc\n", "2:7",
         "port: expected a whole number from 1 to 65535, not 'abc'"),
        ("port: [1883]\n", "1:7", "port: expected a whole number from 1 to 65535, not 'a list'"),
        ("tls: sometimes\n", "1:6", "tls: expected true or false (or yes/no, on/off)"),
        ("names:\n  - Alex\n  - Sam, Kim\n", "3:5",
         "names: expected a name of 1 to 40 characters without commas, not 'Sam, Kim'"),
        ("names: []\n", "1:8", "names: expected at least one name"),
        ("names:\n  - [Alex]\n", "2:5", "names: expected a list of words, not a list of lists"),
        ("names: [Alex, ALEX]\n", "1:8", "names: expected names that differ"),
        ("site_ids: [den, 'living room']\n", "1:17", "site_ids: expected a Hermes site id"),
        ("site_ids: [den]\nsite_names:\n  hall: [Kim, Noor]\n", "3:3",
         "site_names: expected one of the site ids Hearth serves: den"),
        ("site_names: [Kim]\n", "1:13", "site_names: expected a mapping of site ids to names"),
        ("site_names:\n  den: ''\n", "2:8",
         "site_names: expected a name of 1 to 40 characters without commas, not ''"),
        ("log_level: verbose\n", "1:12", "log_level: expected one of DEBUG"),
        ("timezone: Mars/Olympus\n", "1:11", "timezone: expected an IANA time zone"),
        ("username: hearth\ntls_certfile: missing.pem\n", "2:15",
         "tls_certfile: expected tls to be on as well"),
        ("password: hunter2\n", "1:11", "password: expected a username as well"),
        ("- host\n", "1:1", "the config file: expected settings, one per line"),
        ("host: [\n", "2:1", "YAML syntax"),
        ("host: a\nhost: b\n", "2:1", "duplicate key 'host'"),
        ("host: !!python/object:os.system x\n", "1:7", "YAML tags like"),
    ],
)
def test_a_bad_value_in_the_file_is_located(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    path = config(tmp_path, text)
    with raises(f"{path}:{where}: {problem}"):
        load_settings(None, HOME, path)


def test_an_unknown_key_gets_a_suggestion(tmp_path: Path) -> None:
    path = config(tmp_path, "host: broker\nprot: 1883\n")
    with pytest.raises(UnknownSettingError) as caught:
        load_settings(None, HOME, path)
    error = caught.value
    assert isinstance(error, ConfigError) and isinstance(error, HearthError)
    assert (error.source, error.key, error.suggestion) == (f"{path}:2:1", "prot", "port")
    assert str(error).startswith(f"{path}:2:1: unknown setting 'prot'; did you mean 'port'? "
                                 "settings: host, port, username,")


def test_a_misremembered_flag_name_in_the_file_is_suggested(tmp_path: Path) -> None:
    path = config(tmp_path, "site_id: den\n")
    with pytest.raises(UnknownSettingError, match="did you mean 'site_ids'"):
        load_settings(None, HOME, path)


def test_an_error_keeps_what_it_complains_about() -> None:
    with pytest.raises(InvalidSettingError) as caught:
        load_settings(None, {**HOME, "HEARTH_PORT": "99999"}, None)
    error = caught.value
    assert (error.source, error.setting, error.value) == ("HEARTH_PORT", "port", "99999")
    assert error.expected == "a whole number from 1 to 65535"


def test_settings_built_directly_check_themselves(tmp_path: Path) -> None:
    with raises("settings: port: expected a whole number from 1 to 65535, not 0"):
        Settings(port=0)
    with raises("settings: names: expected 1 to 12 names"):
        Settings(names=())
    with raises("settings: data_dir: expected a folder"):
        Settings(data_dir=config(tmp_path, ""))
    assert Settings(log_level="debug").log_level == "DEBUG"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.site_names["den"] = ("Kim",)  # type: ignore[index]
    assert hash(settings) == hash(Settings())


# -- the password stays secret --------------------------------------------------------------

def test_the_password_is_hidden_in_repr() -> None:
    settings = Settings(username="hearth", password="hunter2")
    for text in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        assert "hunter2" not in text
        assert "password='<hidden>'" in text
    assert "password=None" in repr(Settings())
    assert settings.password == "hunter2"


def test_the_password_is_never_in_an_error(tmp_path: Path) -> None:
    attempts: list[Callable[[], Settings]] = [
        lambda: load_settings(None, {**HOME, "HEARTH_PASSWORD": "hunter2"}, None),
        lambda: load_settings(flags("--password", "hunter2"), HOME, None),
        lambda: load_settings(None, HOME, config(tmp_path, "password: hunter2\n")),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidSettingError) as caught:
            attempt()
        assert "hunter2" not in str(caught.value)
        assert "hunter2" not in repr(caught.value.args)
        assert caught.value.value is None


# -- schedules in the file ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("schedules:\n  - ritual: hug-timer\n    when: every funday at 9\n",
     ":3:11: when: expected a time people can read ('funday' is not a day (did you mean "
     "'sunday'?)), not 'every funday at 9'"),
    ("schedules:\n  - ritual: hug-timer\n    when: 25:00 daily\n", ":3:11: when: expected"),
    ("schedules:\n  - when: daily at 9\n", ":2:5: schedules: expected 'ritual:' in each"),
    ("schedules:\n  - ritual: Hug Timer\n    when: daily at 9\n",
     ":2:13: ritual: expected a ritual id like 'hug-timer', not 'Hug Timer'"),
    ("schedules:\n  - ritual: hug-timer\n    wen: daily at 9\n", ":3:5: unknown setting 'wen'"),
    ("schedules:\n  - ritual: hug-timer\n    when: daily at 9\n    site: a/b\n",
     ":4:11: site: expected"),
    ("schedules: hug-timer daily\n", ":1:12: schedules: expected a list of schedules"),
    ("grace_minutes: -5\n", ":1:16: grace_minutes: expected a number of minutes"),
    ("invitation_retry_minutes: 2000\n", ":1:27: invitation_retry_minutes: expected"),
])
def test_schedules_in_the_file_are_checked_where_they_stand(
    tmp_path: Path, text: str, message: str
) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(None, HOME, path)
    assert str(caught.value).startswith(f"{path}{message}"), str(caught.value)


def test_an_unknown_environment_minutes_value() -> None:
    with raises("HEARTH_GRACE_MINUTES: grace_minutes: expected a number of minutes"):
        load_settings(None, {**HOME, "HEARTH_GRACE_MINUTES": "soon"}, None)


@pytest.mark.parametrize(("text", "problem"), [
    ("soon", r"not a number of seconds: 'soon'"),
    ("0", r"must be between 0 and 300 seconds, not 0"),
    ("301", r"must be between 0 and 300 seconds, not 301"),
    ("nan", r"must be between 0 and 300 seconds, not nan"),
])
def test_a_timeout_out_of_range_is_refused_with_its_limits(text: str, problem: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=problem):
        seconds_up_to(300)(text)


def test_a_timeout_in_range_is_a_number_of_seconds() -> None:
    assert seconds_up_to(300)("2.5") == 2.5
    assert seconds_up_to(300)("300") == 300.0
