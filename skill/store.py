"""Hearth's one SQLite file: schedules, snoozes, the holiday pause, deck and ritual history.

Nothing anyone said is ever stored here: a run is a ritual id, a site and two times; a deck's
history is which of the deck's own prompts were drawn. ``delete_history`` removes both.

Several processes may share the file (``hearth run`` and ``hearth schedule …`` from a shell):
it is in WAL mode, so readers never wait, and every write is a ``BEGIN IMMEDIATE`` transaction
that waits up to ``timeout`` seconds for the write lock. "Nothing fires twice" rests on
:meth:`Store.claim`: one row per (schedule, occurrence) under a UNIQUE constraint, so exactly
one caller, in whatever process or thread, inserts it.

The schema is versioned with ``PRAGMA user_version`` and upgraded by :data:`_MIGRATIONS`, one
transaction per step. A released migration is never edited, only followed by a new one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from skill.errors import HearthError

Source = Literal["config", "voice", "cli"]
"""Where a schedule came from; only "config" rows are replaced when the config file is read."""
SOURCES: tuple[str, ...] = get_args(Source)
SKIPPED = "skipped"
"""The ``process`` of a claim made by :meth:`Store.skip_next`."""
FILE_NAME = "hearth.db"
"""The store's file name inside ``Settings.data_dir``."""
DEFAULT_TIMEOUT = 10.0
"""Seconds a write waits for another process's write to finish before giving up."""


class StoreError(HearthError):
    """Hearth's data file cannot be opened or used; the message names the file."""


@dataclass(frozen=True, slots=True)
class Schedule:
    id: int
    ritual: str
    site: str
    when: str
    """The recurrence phrase exactly as given; :mod:`skill.recurrence` reads it."""
    names: tuple[str, ...]
    """Empty means the household's default names."""
    source: Source
    paused: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class Snooze:
    id: int
    schedule_id: int | None
    """None for a snoozed invitation that no schedule made, or whose schedule was removed."""
    ritual: str
    site: str
    due: datetime
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    ritual: str
    site: str
    started: datetime
    ended: datetime | None
    completed: bool


# -- the schema -----------------------------------------------------------------------------

def _execute_all(db: sqlite3.Connection, statements: Sequence[str]) -> None:
    # Statement by statement rather than executescript(), which would COMMIT the migration's
    # transaction half-way.
    for statement in statements:
        db.execute(statement)


def _v1_tables(db: sqlite3.Connection) -> None:
    """0.1: every table, and the triggers that bump ``state.generation`` (see ``changes``)."""
    _execute_all(db, [
        # One row: the holiday pause and the change counter, in the same row so a pause and
        # its bump are one write.
        """CREATE TABLE state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL,
            paused_until TEXT
        )""",
        "INSERT INTO state (id, generation, paused_until) VALUES (1, 0, NULL)",
        # AUTOINCREMENT: an id is never reused, so "remove schedule 3" typed from an old
        # listing can't hit a newer schedule.
        """CREATE TABLE schedules (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ritual TEXT NOT NULL,
            site TEXT NOT NULL,
            recurrence TEXT NOT NULL,
            names TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('config', 'voice', 'cli')),
            paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
            created TEXT NOT NULL
        )""",
        """CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
            occurrence TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            process TEXT NOT NULL,
            UNIQUE (schedule_id, occurrence)
        )""",
        # A snooze carries its own ritual, site and names, so it outlives its schedule.
        """CREATE TABLE snoozes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            schedule_id INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
            ritual TEXT NOT NULL,
            site TEXT NOT NULL,
            due TEXT NOT NULL,
            names TEXT NOT NULL
        )""",
        """CREATE TABLE deck_history (
            id INTEGER PRIMARY KEY,
            deck TEXT NOT NULL,
            prompt TEXT NOT NULL
        )""",
        "CREATE INDEX deck_history_deck ON deck_history (deck)",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ritual TEXT NOT NULL,
            site TEXT NOT NULL,
            started TEXT NOT NULL,
            ended TEXT,
            completed INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1))
        )""",
        # Triggers rather than bumps in each method: no code path (nor a hand edit with the
        # sqlite3 shell) can change what is scheduled without a running Hearth noticing.
        *(
            f"CREATE TRIGGER {table}_{event.lower()} AFTER {event} ON {table} "
            "BEGIN UPDATE state SET generation = generation + 1 WHERE id = 1; END"
            for table in ("schedules", "snoozes")
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
        "CREATE TRIGGER state_pause AFTER UPDATE OF paused_until ON state "
        "BEGIN UPDATE state SET generation = generation + 1 WHERE id = 1; END",
    ])


def _v2_time_indexes(db: sqlite3.Connection) -> None:
    """0.2: indexes for the two queries that range over time (pruning claims, "this week")."""
    _execute_all(db, [
        "CREATE INDEX claims_claimed_at ON claims (claimed_at)",
        "CREATE INDEX runs_started ON runs (started)",
    ])


def _v3_run_positions(db: sqlite3.Connection) -> None:
    """0.3: where a run stands (steps and turns, never words), to go on after a crash."""
    _execute_all(db, [
        "ALTER TABLE runs ADD COLUMN position TEXT",
        "ALTER TABLE runs ADD COLUMN names TEXT",
    ])


_MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_tables, _v2_time_indexes, _v3_run_positions,
]
"""``_MIGRATIONS[n]`` takes a file from version n to n + 1 (version 0 is an empty file)."""
SCHEMA_VERSION = len(_MIGRATIONS)


# -- values in and out ----------------------------------------------------------------------

def _utc_text(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no time zone; the store keeps only aware times")
    # Fixed width (always microseconds, always +00:00), so text order is time order in SQL.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _names_text(names: Sequence[str]) -> str:
    return json.dumps(list(names), ensure_ascii=False)


def _names(text: str) -> tuple[str, ...]:
    return tuple(str(name) for name in json.loads(text))


_SCHEDULE_COLUMNS = "id, ritual, site, recurrence, names, source, paused, created"


def _schedule(row: Any) -> Schedule:
    return Schedule(int(row[0]), row[1], row[2], row[3], _names(row[4]), row[5], bool(row[6]),
                    _utc(row[7]))


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Hearth's data file. Thread-safe (one connection behind a lock); one per process."""

    def __init__(self, path: Path, *, timeout: float = DEFAULT_TIMEOUT,
                 clock: Callable[[], datetime] = _now) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.RLock()
        self._db = self._open(timeout)
        try:
            self._prepare()
        except sqlite3.Error as error:
            self._db.close()
            raise self._error(error) from None
        except BaseException:
            self._db.close()
            raise

    # -- opening ---------------------------------------------------------------------------

    def _open(self, timeout: float) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Created here, not by SQLite, so it is 0600 from its first byte; SQLite gives
            # the -wal and -shm files the same mode as the database.
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass
        except OSError as error:
            raise StoreError(f"cannot create Hearth's data file {self.path}: "
                             f"{error.strerror or error}") from None
        else:
            os.close(fd)
            os.chmod(self.path, 0o600)  # whatever the umask took away, put back
        try:
            # isolation_level=None: no hidden BEGINs; _write says exactly where a transaction
            # starts. check_same_thread=False: threads share the connection under _lock.
            return sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as error:
            raise self._error(error) from None

    def _prepare(self) -> None:
        db = self._db
        db.execute("PRAGMA foreign_keys = ON")
        # Deleted history is overwritten with zeros rather than left in free pages.
        db.execute("PRAGMA secure_delete = ON")
        # The first read of the header: a file that is not SQLite fails here.
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was made by a newer Hearth (data version {version}; this Hearth "
                f"knows up to {SCHEMA_VERSION}). Upgrade Hearth, or use another --data-dir."
            )
        # Persistent in the file; before migrating so that the migrations are WAL writes too.
        db.execute("PRAGMA journal_mode = WAL")
        if version < SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        for target, migration in enumerate(_MIGRATIONS, start=1):
            with self._write() as db:
                # Read again under the write lock: another process may have migrated since.
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                if version >= target:
                    continue
                if version == 0 and db.execute("SELECT count(*) FROM sqlite_master"
                                               ).fetchone()[0]:
                    raise StoreError(f"{self.path} is an SQLite file of some other program, "
                                     "not Hearth's data file")
                migration(db)
                # PRAGMA takes no parameters; target is an int from enumerate, not input.
                # user_version is in the file header, so it commits (or not) with the step.
                db.execute(f"PRAGMA user_version = {target:d}")

    def _error(self, error: sqlite3.Error) -> StoreError:
        name = getattr(error, "sqlite_errorname", None) or ""
        if name == "SQLITE_NOTADB":
            return StoreError(f"{self.path} is not an SQLite database, so not Hearth's data "
                              "file; move it away or use another --data-dir")
        if name.startswith("SQLITE_CORRUPT"):
            return StoreError(f"Hearth's data file {self.path} is damaged ({error}); move it "
                              "away and Hearth starts a new one")
        return StoreError(f"Hearth's data file {self.path}: {error}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; every sqlite3 error comes out as a StoreError."""
        with self._lock:
            try:
                # IMMEDIATE takes the write lock now, waiting up to the timeout. A deferred
                # transaction that reads and then writes can fail at once with SQLITE_BUSY
                # in WAL mode, whatever the timeout.
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as error:
                # A failed COMMIT leaves the transaction open too; a closed store has none.
                with suppress(sqlite3.Error):
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise self._error(error) from None
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # No transaction: in autocommit each SELECT sees the latest commit of any process.
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as error:
                raise self._error(error) from None

    # -- schedules -------------------------------------------------------------------------

    def add_schedule(self, ritual: str, site: str, when: str, names: Sequence[str] = (),
                     source: Source = "cli") -> Schedule:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
        with self._write() as db:
            return self._insert_schedule(db, ritual, site, when, names, source)

    def _insert_schedule(self, db: sqlite3.Connection, ritual: str, site: str, when: str,
                         names: Sequence[str], source: Source) -> Schedule:
        # No RETURNING: it needs SQLite 3.35, and Raspberry Pi OS 11 ships 3.34.
        cursor = db.execute(
            "INSERT INTO schedules (ritual, site, recurrence, names, source, paused, created) "
            "VALUES (?, ?, ?, ?, ?, 0, ?)",
            (ritual, site, when, _names_text(names), source, _utc_text(self._clock())),
        )
        return _schedule(db.execute(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE id = ?",
                                    (cursor.lastrowid,)).fetchone())

    def schedules(self) -> list[Schedule]:
        with self._read() as db:
            rows = db.execute(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules ORDER BY id")
            return [_schedule(row) for row in rows]

    def schedule(self, schedule_id: int) -> Schedule | None:
        with self._read() as db:
            row = db.execute(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE id = ?",
                             (schedule_id,)).fetchone()
            return None if row is None else _schedule(row)

    def remove_schedule(self, schedule_id: int) -> bool:
        """Removes it and its claims; its snoozes stay, with ``schedule_id`` None."""
        with self._write() as db:
            return db.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,)).rowcount == 1

    def set_paused(self, schedule_id: int, paused: bool) -> bool:
        with self._write() as db:
            return db.execute("UPDATE schedules SET paused = ? WHERE id = ?",
                              (int(paused), schedule_id)).rowcount == 1

    def sync_config_schedules(
        self, entries: Sequence[tuple[str, str, str, Sequence[str]]]
    ) -> list[Schedule]:
        """Make the "config" schedules equal to ``entries`` (ritual, site, when, names).

        An entry equal to an existing row keeps that row — its id, its claims (so an
        occurrence already offered is not offered again) and its paused flag; other rows
        are removed and new entries added. Returns the rows in the order of ``entries``.
        Unchanged config changes nothing, so ``changes()`` stays put.
        """
        wanted = [(ritual, site, when, tuple(names)) for ritual, site, when, names in entries]
        with self._write() as db:
            existing: dict[tuple[str, str, str, tuple[str, ...]], list[Schedule]] = {}
            for row in db.execute(f"SELECT {_SCHEDULE_COLUMNS} FROM schedules "
                                  "WHERE source = ? ORDER BY id", ("config",)):
                found = _schedule(row)
                key = (found.ritual, found.site, found.when, found.names)
                existing.setdefault(key, []).append(found)
            result = []
            for entry in wanted:
                same = existing.get(entry)
                result.append(same.pop(0) if same else
                              self._insert_schedule(db, *entry, source="config"))
            db.executemany("DELETE FROM schedules WHERE id = ?",
                           [(stale.id,) for rows in existing.values() for stale in rows])
            return result

    # -- occurrences -----------------------------------------------------------------------

    def claim(self, schedule_id: int, occurrence: str, process: str) -> bool:
        """True for the one caller, in any thread or process, that claims this occurrence.

        False if it was claimed (or skipped) before, or the schedule no longer exists.
        A claim is made before the invitation, so a crash right after it loses that one
        occurrence rather than ever offering it twice.
        """
        with self._write() as db:
            # INSERT … SELECT FROM schedules: a removed schedule inserts nothing rather than
            # failing on the foreign key (OR IGNORE does not cover foreign keys).
            return db.execute(
                "INSERT OR IGNORE INTO claims (schedule_id, occurrence, claimed_at, process) "
                "SELECT id, ?, ?, ? FROM schedules WHERE id = ?",
                (occurrence, _utc_text(self._clock()), process, schedule_id),
            ).rowcount == 1

    def skip_next(self, schedule_id: int, occurrence: str) -> bool:
        """"Not tonight": claim ``occurrence`` in advance for :data:`SKIPPED`.

        A skip is a claim so that every process sees it without being told: the running
        scheduler's own claim for that occurrence simply fails. False if it was already
        claimed (offered or skipped).
        """
        return self.claim(schedule_id, occurrence, SKIPPED)

    def claimed(self, schedule_id: int, occurrence: str) -> bool:
        return self.claimed_by(schedule_id, occurrence) is not None

    def claimed_by(self, schedule_id: int, occurrence: str) -> str | None:
        """The ``process`` that claimed it (:data:`SKIPPED` for a skip), or None."""
        with self._read() as db:
            row = db.execute("SELECT process FROM claims WHERE schedule_id = ? AND occurrence = ?",
                             (schedule_id, occurrence)).fetchone()
            return None if row is None else str(row[0])

    def last_claimed(self, schedule_id: int) -> str | None:
        """The occurrence key claimed most recently (in claim order, skips included)."""
        with self._read() as db:
            row = db.execute("SELECT occurrence FROM claims WHERE schedule_id = ? "
                             "ORDER BY id DESC LIMIT 1", (schedule_id,)).fetchone()
            return None if row is None else str(row[0])

    def prune_claims(self, before: datetime) -> int:
        """Forget claims made before ``before``; keep well over the grace period."""
        with self._write() as db:
            return db.execute("DELETE FROM claims WHERE claimed_at < ?",
                              (_utc_text(before),)).rowcount

    # -- snoozes ---------------------------------------------------------------------------

    def add_snooze(self, schedule_id: int | None, ritual: str, site: str, due: datetime,
                   names: Sequence[str] = ()) -> int:
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO snoozes (schedule_id, ritual, site, due, names) "
                "VALUES (?, ?, ?, ?, ?)",
                (schedule_id, ritual, site, _utc_text(due), _names_text(names)),
            )
            return int(cursor.lastrowid or 0)

    def snoozes(self) -> list[Snooze]:
        """Every pending snooze, the soonest first."""
        with self._read() as db:
            rows = db.execute("SELECT id, schedule_id, ritual, site, due, names FROM snoozes "
                              "ORDER BY due, id")
            return [Snooze(int(r[0]), r[1], r[2], r[3], _utc(r[4]), _names(r[5])) for r in rows]

    def remove_snooze(self, snooze_id: int) -> bool:
        """True for the one caller that removed it: fire a due snooze only if this is True."""
        with self._write() as db:
            return db.execute("DELETE FROM snoozes WHERE id = ?", (snooze_id,)).rowcount == 1

    # -- the holiday pause -----------------------------------------------------------------

    def set_pause(self, until: datetime | None) -> None:
        """Pause every schedule until ``until``; None ends the pause."""
        value = None if until is None else _utc_text(until)
        with self._write() as db:
            db.execute("UPDATE state SET paused_until = ? WHERE id = 1", (value,))

    def paused_until(self) -> datetime | None:
        """As set, even once it has passed: comparing with now is the scheduler's job."""
        with self._read() as db:
            value = db.execute("SELECT paused_until FROM state WHERE id = 1").fetchone()[0]
            return None if value is None else _utc(value)

    # -- noticing changes ------------------------------------------------------------------

    def changes(self) -> int:
        """A number that grows whenever schedules, snoozes or the pause change.

        Kept in the file and bumped by triggers in the changing transaction itself, so a
        change by this connection, another process, or the sqlite3 shell all count (PRAGMA
        data_version would miss this connection's own). One indexed row: cheap to poll.
        Claims, runs and deck history do not count.
        """
        with self._read() as db:
            return int(db.execute("SELECT generation FROM state WHERE id = 1").fetchone()[0])

    # -- ritual history --------------------------------------------------------------------

    def run_started(self, ritual: str, site: str, started: datetime) -> int:
        with self._write() as db:
            cursor = db.execute("INSERT INTO runs (ritual, site, started) VALUES (?, ?, ?)",
                                (ritual, site, _utc_text(started)))
            return int(cursor.lastrowid or 0)

    def run_ended(self, run_id: int, ended: datetime, completed: bool) -> bool:
        """False if there is no such run (say, the history was deleted meanwhile)."""
        with self._write() as db:
            return db.execute("UPDATE runs SET ended = ?, completed = ? WHERE id = ?",
                              (_utc_text(ended), int(completed), run_id)).rowcount == 1

    def save_position(self, run_id: int, position: str, names: Sequence[str]) -> None:
        """Where a run stands now (a :class:`~skill.engine.Position` as JSON)."""
        with self._write() as db:
            db.execute("UPDATE runs SET position = ?, names = ? WHERE id = ? AND ended IS NULL",
                       (position, _names_text(names), run_id))

    def interrupted(self) -> list[tuple[Run, str, tuple[str, ...]]]:
        """Runs that never ended (the process died), with their saved position and names."""
        with self._read() as db:
            rows = db.execute(
                "SELECT id, ritual, site, started, position, names FROM runs "
                "WHERE ended IS NULL AND position IS NOT NULL ORDER BY started, id")
            return [(Run(int(r[0]), r[1], r[2], _utc(r[3]), None, False), r[4],
                     _names(r[5] or "[]")) for r in rows]

    def runs(self, since: datetime | None = None) -> list[Run]:
        """Runs started at or after ``since`` (all of them if None), oldest first."""
        start = None if since is None else _utc_text(since)
        with self._read() as db:
            rows = db.execute(
                "SELECT id, ritual, site, started, ended, completed FROM runs "
                "WHERE ? IS NULL OR started >= ? ORDER BY started, id", (start, start))
            return [Run(int(r[0]), r[1], r[2], _utc(r[3]), None if r[4] is None else _utc(r[4]),
                        bool(r[5])) for r in rows]

    def count_runs(self, since: datetime | None, completed_only: bool = True) -> int:
        start = None if since is None else _utc_text(since)
        with self._read() as db:
            return int(db.execute(
                "SELECT count(*) FROM runs WHERE (? IS NULL OR started >= ?) "
                "AND (? = 0 OR completed = 1)", (start, start, int(completed_only)),
            ).fetchone()[0])

    def delete_history(self) -> int:
        """Delete the ritual history and every deck's history; the number of rows deleted.

        Schedules, snoozes, the pause and claims stay: they are plans, not history, and
        without the claims an occurrence within its grace period could be offered again.
        """
        with self._write() as db:
            deleted = db.execute("DELETE FROM runs").rowcount
            deleted += db.execute("DELETE FROM deck_history").rowcount
        with self._read() as db:
            # secure_delete zeroed the rows in the new pages; copying them into the file and
            # emptying the WAL drops the old copies too (best effort: a reader may hold it).
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return deleted


class StoreDeckHistory:
    """A :class:`skill.decks.DeckHistory` kept in the store, so prompts don't repeat from one
    evening to the next."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def used(self, deck_id: str) -> Sequence[str]:
        """The prompts drawn since the deck was last reset, in the order they were drawn."""
        with self.store._read() as db:
            rows = db.execute("SELECT prompt FROM deck_history WHERE deck = ? ORDER BY id",
                              (deck_id,))
            return tuple(str(row[0]) for row in rows)

    def record(self, deck_id: str, prompt: str) -> None:
        with self.store._write() as db:
            db.execute("INSERT INTO deck_history (deck, prompt) VALUES (?, ?)", (deck_id, prompt))

    def reset(self, deck_id: str) -> None:
        with self.store._write() as db:
            db.execute("DELETE FROM deck_history WHERE deck = ?", (deck_id,))
