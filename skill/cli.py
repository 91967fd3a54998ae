"""The ``hearth`` command: ``validate``, ``show``, ``try`` (and, as they land, the rest)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from skill import __version__, doctor, household_cli, sentences
from skill.config import add_mqtt_arguments, default_config_file, load_settings
from skill.durations import format_duration
from skill.engine import ParticipantsError
from skill.errors import HearthError, RitualFileError
from skill.loader import Library, load_decks, load_library, load_ritual_file
from skill.paths import shipped_rituals
from skill.ritual import Ritual
from skill.simulator import default_names, try_ritual
from skill.timeline import estimate, rows


def rituals_dir(args: argparse.Namespace) -> Path:
    """``--rituals``, or the shipped rituals (``hearth run`` also reads its config for it)."""
    return Path(args.rituals) if args.rituals is not None else shipped_rituals()


def _find_ritual(name: str, rituals_dir: Path) -> Ritual:
    """RITUAL is a path to a file, or an id from the rituals folder.

    A file may draw from the decks beside it and from the rituals folder's decks.
    """
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        decks = load_decks(rituals_dir / "decks", path.parent / "decks")
        return load_ritual_file(path, decks.decks)
    return load_library(rituals_dir).get(name)


def cmd_validate(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [rituals_dir(args)]
    library: Library = load_library(*paths)
    for problem_file in library.problems:
        for problem in problem_file.problems:
            print(problem, file=sys.stderr)
    bad = len(library.problems)
    print(
        f"{len(library.rituals)} rituals and {len(library.decks)} decks valid"
        + (f"; {bad} file{'s' if bad != 1 else ''} with problems" if bad else ""),
    )
    return 1 if bad else 0


def cmd_show(args: argparse.Namespace) -> int:
    ritual = _find_ritual(args.ritual, rituals_dir(args))
    people = args.people or max(2, ritual.participants[0])
    low, high = ritual.participants
    span = str(low) if low == high else f"{low}-{high}"
    print(f"{ritual.title} ({ritual.id}) — {ritual.practice.value}, {span} people, "
          f"language {ritual.language}")
    print(f"  {ritual.description}")
    print(f"  started by: {'; '.join(ritual.triggers)}")
    if ritual.decks:
        decks = ", ".join(f"{name} ({len(deck.prompts)} prompts)" for name, deck in ritual.decks)
        print(f"  decks: {decks}")
    print()
    print(f"  {'step':<28} {'who':<14} {'time':>7}  text")
    for row in rows(ritual, people):
        kind = "  " * row.depth + row.kind
        time = format_duration(row.seconds) if row.seconds else ""
        print(f"  {kind:<28} {row.who:<14} {time:>7}  {row.text}")
    total = estimate(ritual, people)
    stated = f"; the author says {format_duration(ritual.duration)}" if ritual.duration else ""
    print(f"\n  estimated total for {people} people: {format_duration(total)}{stated}")
    return 0


def cmd_try(args: argparse.Namespace) -> int:
    ritual = _find_ritual(args.ritual, rituals_dir(args))
    names = [n.strip() for n in args.names.split(",") if n.strip()] if args.names else (
        default_names(ritual)
    )
    completed = asyncio.run(try_ritual(ritual, names, speed=args.speed, seed=args.seed))
    return 0 if completed else 3


def cmd_run(args: argparse.Namespace) -> int:
    from skill import service  # noqa: PLC0415 - each command loads only what it uses

    settings = load_settings(args, os.environ, default_config_file(os.environ))
    return service.main(settings)


def cmd_demo(args: argparse.Namespace) -> int:
    # The embedded broker, Rhasspy's dialogue manager and rhasspy-nlu (with NumPy) are
    # tens of MB that `hearth run`, on a Raspberry Pi, never needs.
    from skill import demo, service  # noqa: PLC0415

    settings = load_settings(args, os.environ, default_config_file(os.environ))
    service.setup_logging(settings.log_level if args.log_level else "WARNING")
    return asyncio.run(demo.run_demo(settings, speed=args.speed))


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth", description="Spoken, screen-free rituals for Hermes voice assistants."
    )
    parser.add_argument("--version", action="version", version=f"hearth {__version__}")
    parser.add_argument(
        "--rituals", type=Path, default=None,
        help="the folder of ritual files (default: the shipped rituals)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check ritual and deck files")
    validate.add_argument("paths", nargs="*", help="files or folders (default: --rituals)")
    validate.set_defaults(func=cmd_validate)

    show = commands.add_parser("show", help="print a ritual's timeline")
    show.add_argument("ritual", help="a ritual id or the path to a ritual file")
    show.add_argument("--people", type=int, help="how many people (default: the fewest allowed)")
    show.set_defaults(func=cmd_show)

    trying = commands.add_parser("try", help="walk through a ritual in the terminal")
    trying.add_argument("ritual", help="a ritual id or the path to a ritual file")
    trying.add_argument("--names", help="comma-separated names, e.g. Alex,Sam")
    trying.add_argument("--speed", type=_positive, default=1.0, help="run time N times faster")
    trying.add_argument("--seed", type=int, help="fix the random choices (for repeatable runs)")
    trying.set_defaults(func=cmd_try)

    run = commands.add_parser("run", help="run the skill against an MQTT broker (Rhasspy)")
    add_mqtt_arguments(run)
    run.set_defaults(func=cmd_run)

    demo_parser = commands.add_parser(
        "demo", help="try Hearth with nothing else installed: a console stands in for the speaker"
    )
    demo_parser.add_argument("--names", help="your names, comma-separated, e.g. Alex,Sam")
    demo_parser.add_argument("--speed", type=_positive, default=1.0,
                             help="run ritual time N times faster")
    demo_parser.add_argument("--log-level", metavar="LEVEL", help="show Hearth's log")
    demo_parser.set_defaults(func=cmd_demo)

    sentences.register(commands)
    household_cli.register(commands)
    doctor.register(commands)
    for command in commands.choices.values():
        # Also after the command (`hearth run --rituals DIR`); SUPPRESS keeps an earlier one.
        command.add_argument("--rituals", type=Path, default=argparse.SUPPRESS,
                             help="the folder of ritual files (default: the shipped rituals)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except RitualFileError as error:
        print(error, file=sys.stderr)
        return 1
    except (HearthError, ParticipantsError) as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
