"""The container recipe and the systemd unit must not drift from the README's install.

No Docker engine or systemd is needed: the files are parsed and held against the README's
first command, ``scripts/hearth`` (where it puts the venv) and the settings loader.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest

from skill.config import CONFIG_VARIABLE, ENVIRONMENT, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


# -- what the README and scripts/hearth say -------------------------------------------------

def readme_install_script() -> str:
    """The program the README's first set-up command runs (``scripts/hearth``)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set-up", 1)[1]
    block = re.search(r"```(?:sh|bash|console)\n(.*?)```", section, re.DOTALL)
    assert block, "the README's set-up section has no shell block"
    first = next(line for line in block.group(1).splitlines() if line.strip())
    return shlex.split(first, comments=True)[0]


def script_venv() -> str:
    """Where scripts/hearth puts the venv, relative to the checkout."""
    text = (ROOT / readme_install_script()).read_text(encoding="utf-8")
    match = re.search(r'^venv="\$\{VENV:-\$root/([^}"]+)\}"', text, re.MULTILINE)
    assert match, "scripts/hearth no longer says where its venv goes"
    return match.group(1)


def test_the_readme_installs_with_scripts_hearth() -> None:
    assert readme_install_script() == "scripts/hearth"
    assert (ROOT / "scripts" / "hearth").is_file()
    assert script_venv() == ".venv"


# -- the Dockerfile -------------------------------------------------------------------------

@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str


def dockerfile() -> list[Instruction]:
    lines: list[str] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
            continue
        if raw.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    assert not pending, "the Dockerfile ends in a line continuation"
    instructions = []
    for line in lines:
        keyword, _, argument = line.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), argument.strip()))
    return instructions


def only(keyword: str) -> str:
    found = [i.argument for i in dockerfile() if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {found}"
    return found[0]


def shell_commands(run: str) -> list[list[str]]:
    """A RUN line's commands, split at && ; and |, with leading VAR=value assignments kept."""
    commands: list[list[str]] = [[]]
    lexer = shlex.shlex(run, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    for token in lexer:
        if token in ("&&", ";", "||", "|"):
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def program(command: list[str]) -> tuple[dict[str, str], str, list[str]]:
    assignments: dict[str, str] = {}
    words = list(command)
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        name, _, value = words.pop(0).partition("=")
        assignments[name] = value
    return assignments, words[0], words[1:]


def test_the_image_is_python_311_slim() -> None:
    assert only("FROM") == "python:3.11-slim"


def test_the_image_installs_with_the_readme_script() -> None:
    workdir = PurePosixPath(only("WORKDIR"))
    assert workdir.is_absolute()
    source, _, target = only("COPY").partition(" ")
    assert source == "." and PurePosixPath(target) in (workdir, PurePosixPath("."))
    script = readme_install_script()
    installs = [
        (env, args)
        for instruction in dockerfile() if instruction.keyword == "RUN"
        for env, name, args in map(program, shell_commands(instruction.argument))
        if name in (script, str(workdir / script))
    ]
    assert len(installs) == 1, "the image must install Hearth by running scripts/hearth once"
    env, args = installs[0]
    assert args == ["--version"]
    assert "VENV" not in env, "the venv must be where scripts/hearth puts it by default"


def test_the_entrypoint_is_hearth_run_from_the_scripts_venv() -> None:
    workdir = PurePosixPath(only("WORKDIR"))
    entrypoint = json.loads(only("ENTRYPOINT"))
    assert entrypoint == [str(workdir / script_venv() / "bin" / "hearth"), "run"]


def test_the_image_runs_unprivileged_with_its_state_in_a_volume() -> None:
    assert only("USER") not in ("root", "0")
    env = dict(item.split("=", 1) for item in shlex.split(only("ENV")))
    assert json.loads(only("VOLUME")) == [env["HEARTH_DATA_DIR"]]


def test_the_build_context_leaves_out_the_local_venv() -> None:
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert script_venv() in ignored
    assert ".git" in ignored


# -- the systemd unit -----------------------------------------------------------------------

def unit() -> dict[str, dict[str, list[str]]]:
    """Sections of key → every value given (systemd allows a key more than once)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in (DEPLOY / "hearth.service").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"a setting outside any section: {line!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(key: str) -> str:
    values = unit()["Service"].get(key, [])
    assert len(values) == 1, f"expected one {key}=, found {values}"
    return values[0]


def unit_environment() -> dict[str, str]:
    return dict(
        item.split("=", 1)
        for value in unit()["Service"].get("Environment", [])
        for item in shlex.split(value)
    )


def test_the_unit_runs_hearth_run_from_the_scripts_venv() -> None:
    argv = shlex.split(service("ExecStart"))
    checkout = PurePosixPath(service("WorkingDirectory"))
    assert argv[0] == str(checkout / script_venv() / "bin" / "hearth")
    assert argv[1] == "run"


def test_the_units_config_file_is_the_example_in_deploy() -> None:
    argv = shlex.split(service("ExecStart"))
    assert "--config" in argv
    config = PurePosixPath(argv[argv.index("--config") + 1])
    assert config.is_absolute()
    example = DEPLOY / config.name
    assert example.is_file(), f"{config} is installed from deploy/{config.name}, which is missing"
    settings = load_settings(None, {"HOME": "/var/lib/hearth"}, example)
    # The example's state folder is the one the unit lets Hearth write to.
    assert str(settings.data_dir) == unit_environment()["HEARTH_DATA_DIR"]


def test_the_unit_is_hardened_and_restarts_on_failure() -> None:
    assert service("User") not in ("", "root", "0")
    assert service("Restart") == "on-failure"
    assert service("NoNewPrivileges") == "yes"
    assert service("ProtectSystem") == "strict"
    assert service("PrivateTmp") == "yes"
    data_dir = unit_environment()["HEARTH_DATA_DIR"]
    assert data_dir in service("ReadWritePaths").split()
    assert unit()["Install"]["WantedBy"] == ["multi-user.target"]


# -- the documentation ----------------------------------------------------------------------

def test_the_deploy_readme_covers_both_recipes() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for name in ("Dockerfile", "hearth.service", "hearth.yaml"):
        assert name in text, name
    assert "12183" in text and "1883" in text
    assert f"{readme_install_script()} --version" in text


@pytest.mark.parametrize("name", ["README.md", "Dockerfile", "hearth.service", "hearth.yaml"])
def test_every_variable_the_deploy_files_mention_exists(name: str) -> None:
    text = (DEPLOY / name).read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\bHEARTH_[A-Z_]+\b", text))
    unknown = mentioned - set(ENVIRONMENT) - {CONFIG_VARIABLE}
    assert not unknown, f"{name} mentions variables Hearth does not read: {sorted(unknown)}"
