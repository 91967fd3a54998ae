"""Hearth's SQLite file: what it keeps, across restarts, threads and processes."""

from __future__ import annotations

import multiprocessing
import random
import re
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from skill import store as store_module
from skill.decks import DeckHistory, draw
from skill.errors import HearthError
from skill.ritual import Deck
from skill.store import (
    SCHEMA_VERSION,
    SKIPPED,
    Run,
    Schedule,
    Store,
    StoreDeckHistory,
    StoreError,
)

T0 = datetime(2026, 3, 1, 19, 0, tzinfo=UTC)
PROCESSES = 8
KEYS = 200


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "hearth.db"


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    with Store(path, clock=Clock()) as opened:
        yield opened


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def schema(path: Path) -> list[tuple[str, str]]:
    with raw(path) as db:
        rows = db.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                          "ORDER BY name").fetchall()
    db.close()
    return [(name, re.sub(r"\s+", " ", sql)) for name, sql in rows]


# -- the file -------------------------------------------------------------------------------

def test_creates_folders_and_a_private_file(path: Path) -> None:
    with Store(path) as store:
        store.add_schedule("checkin", "kitchen", "every day at nine")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()  # written in WAL mode, and as private as the database
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_connection_settings(store: Store, path: Path) -> None:
    db = store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert SCHEMA_VERSION >= 2


def test_reopening_keeps_everything(path: Path) -> None:
    with Store(path, clock=Clock()) as store:
        schedule = store.add_schedule("checkin", "kitchen", "weekdays at nine", ("Ana", "Bo"))
        store.set_paused(schedule.id, True)
        assert store.claim(schedule.id, "2026-03-01T21:00", "pid-1")
        snooze = store.add_snooze(schedule.id, "checkin", "kitchen", T0, ("Ana", "Bo"))
        store.set_pause(T0 + timedelta(days=7))
        StoreDeckHistory(store).record("dreams", "What would you do with a free year?")
        run = store.run_started("checkin", "kitchen", T0)
        store.run_ended(run, T0 + timedelta(minutes=10), completed=True)
        changes = store.changes()
    with Store(path) as store:
        assert store.schedules() == [
            Schedule(schedule.id, "checkin", "kitchen", "weekdays at nine", ("Ana", "Bo"),
                     "cli", True, T0)
        ]
        assert not store.claim(schedule.id, "2026-03-01T21:00", "pid-2")
        assert [s.id for s in store.snoozes()] == [snooze]
        assert store.paused_until() == T0 + timedelta(days=7)
        assert StoreDeckHistory(store).used("dreams") == ("What would you do with a free year?",)
        assert store.runs() == [Run(run, "checkin", "kitchen", T0, T0 + timedelta(minutes=10),
                                    True)]
        assert store.changes() == changes


def test_closed_store_says_so(path: Path) -> None:
    store = Store(path)
    store.close()
    with pytest.raises(StoreError, match=re.escape(str(path))):
        store.schedules()
    with pytest.raises(StoreError):
        store.add_schedule("checkin", "kitchen", "daily at nine")


def test_a_file_from_a_newer_hearth_is_refused_untouched(path: Path) -> None:
    Store(path).close()
    with raw(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="made by a newer Hearth") as caught:
        Store(path)
    assert str(path) in str(caught.value)
    assert isinstance(caught.value, HearthError)
    with raw(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    db.close()


def test_a_file_that_is_not_sqlite_is_refused(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"Dear diary, today we talked about the garden.\n" * 200)
    with pytest.raises(StoreError, match="not an SQLite database") as caught:
        Store(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes().startswith(b"Dear diary")  # left as it was


def test_a_damaged_database_is_refused(path: Path) -> None:
    Store(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the first page's b-tree: sqlite_master
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="is damaged") as caught:
        Store(path)
    assert str(path) in str(caught.value)


def test_a_folder_in_the_way_is_refused(path: Path) -> None:
    path.mkdir(parents=True)
    with pytest.raises(StoreError, match=re.escape(str(path))):
        Store(path)


def test_another_programs_sqlite_file_is_refused(path: Path) -> None:
    path.parent.mkdir(parents=True)
    with raw(path) as db:
        db.execute("CREATE TABLE recipes (name TEXT)")
    db.close()
    with pytest.raises(StoreError, match="some other program"):
        Store(path)


# -- migrations -----------------------------------------------------------------------------

V1_DDL = [
    # What Hearth 0.1 (schema version 1) created. Frozen: never edit this to match the code.
    """CREATE TABLE state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        generation INTEGER NOT NULL,
        paused_until TEXT
    )""",
    "INSERT INTO state (id, generation, paused_until) VALUES (1, 0, NULL)",
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
    *(
        f"CREATE TRIGGER {table}_{event.lower()} AFTER {event} ON {table} "
        "BEGIN UPDATE state SET generation = generation + 1 WHERE id = 1; END"
        for table in ("schedules", "snoozes")
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
    "CREATE TRIGGER state_pause AFTER UPDATE OF paused_until ON state "
    "BEGIN UPDATE state SET generation = generation + 1 WHERE id = 1; END",
]


def make_v1_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = raw(path)
    db.execute("PRAGMA journal_mode = WAL")
    for statement in V1_DDL:
        db.execute(statement)
    db.execute("INSERT INTO schedules (ritual, site, recurrence, names, source, paused, created) "
               "VALUES ('hug', 'bedroom', 'daily at ten', '[\"Ana\"]', 'config', 0, ?)",
               (T0.isoformat(timespec="microseconds"),))
    db.execute("INSERT INTO claims (schedule_id, occurrence, claimed_at, process) "
               "VALUES (1, '2026-03-01T22:00', ?, 'pid-7')", (T0.isoformat(),))
    db.execute("PRAGMA user_version = 1")
    db.close()


def test_a_version_1_file_is_migrated(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    make_v1_file(old)
    with Store(old) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (schedule,) = store.schedules()
        assert (schedule.id, schedule.ritual, schedule.names, schedule.created) == (
            1, "hug", ("Ana",), T0)
        assert store.claimed_by(1, "2026-03-01T22:00") == "pid-7"
        assert not store.claim(1, "2026-03-01T22:00", "pid-8")
    # Step by step from version 1 ends exactly where a new file starts.
    Store(tmp_path / "new.db").close()
    assert schema(old) == schema(tmp_path / "new.db")
    assert ("claims_claimed_at", "CREATE INDEX claims_claimed_at ON claims (claimed_at)"
            ) in schema(old)


def test_a_failed_migration_changes_nothing(path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    Store(path).close()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x INTEGER)")
        db.execute("THIS IS NOT SQL")

    monkeypatch.setattr(store_module, "_MIGRATIONS", [*store_module._MIGRATIONS, broken])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match=re.escape(str(path))):
        Store(path)
    with raw(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'"
                          ).fetchone()[0] == 0
    db.close()


# -- schedules ------------------------------------------------------------------------------

def test_schedules(store: Store) -> None:
    first = store.add_schedule("checkin", "kitchen", "weekdays at nine")
    second = store.add_schedule("hug", "bedroom", "every day at 22:30", ["Ana", "Bo"], "voice")
    assert first == Schedule(first.id, "checkin", "kitchen", "weekdays at nine", (), "cli",
                             False, T0)
    assert second.names == ("Ana", "Bo") and second.source == "voice"
    assert second.created.tzinfo is UTC
    assert store.schedules() == [first, second]
    assert store.schedule(second.id) == second
    assert store.set_paused(first.id, True)
    assert store.schedule(first.id) == Schedule(first.id, "checkin", "kitchen",
                                                "weekdays at nine", (), "cli", True, T0)
    assert store.remove_schedule(first.id)
    assert not store.remove_schedule(first.id)
    assert not store.set_paused(first.id, False)
    assert store.schedule(first.id) is None
    assert store.schedules() == [second]
    # Ids are never reused, so an id read from an old listing can't hit a new schedule.
    assert store.add_schedule("hug", "hall", "daily at eight").id > second.id


def test_the_when_phrase_is_kept_as_given(store: Store) -> None:
    phrase = "  Every TUESDAY at half past nine; 'quoted' -- ; DROP TABLE schedules  "
    added = store.add_schedule("x", "y", phrase)
    assert added.when == phrase
    assert store.schedules()[0].when == phrase


def test_an_unknown_source_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="source"):
        store.add_schedule("x", "y", "daily", source="email")  # type: ignore[arg-type]


def test_config_sync_keeps_the_ids_of_unchanged_entries(store: Store) -> None:
    voice = store.add_schedule("hug", "bedroom", "daily at ten", source="voice")
    kept, changed, dropped = store.sync_config_schedules([
        ("checkin", "kitchen", "weekdays at nine", ()),
        ("dreams", "lounge", "sundays at eight", ("Ana", "Bo")),
        ("quiet", "lounge", "daily at seven", ()),
    ])
    assert store.claim(kept.id, "2026-03-02T21:00", "pid-1")
    store.set_paused(kept.id, True)
    before = store.changes()
    assert store.sync_config_schedules([
        ("checkin", "kitchen", "weekdays at nine", ()),
        ("dreams", "lounge", "sundays at eight", ("Ana", "Bo")),
        ("quiet", "lounge", "daily at seven", []),
    ]) == [store.schedule(kept.id), changed, dropped]
    assert store.changes() == before  # nothing changed, nothing to reload

    result = store.sync_config_schedules([
        ("dreams", "lounge", "sundays at nine", ("Ana", "Bo")),  # a new time: a new schedule
        ("checkin", "kitchen", "weekdays at nine", ()),
    ])
    assert store.changes() > before
    assert result[1].id == kept.id and result[1].paused  # unchanged: same id, still paused
    assert result[0].id not in (kept.id, changed.id, dropped.id)
    assert not store.claim(kept.id, "2026-03-02T21:00", "pid-2")  # its claim still holds
    assert {s.id for s in store.schedules()} == {voice.id, kept.id, result[0].id}
    assert store.schedule(voice.id) == voice  # only config rows are touched

    assert store.sync_config_schedules([]) == []
    assert store.schedules() == [voice]


def test_config_sync_with_repeated_entries(store: Store) -> None:
    entry = ("hug", "hall", "daily at eight", ())
    twice = store.sync_config_schedules([entry, entry])
    assert len({s.id for s in twice}) == 2
    once = store.sync_config_schedules([entry])
    assert once == [twice[0]]
    assert len(store.schedules()) == 1


# -- occurrences ----------------------------------------------------------------------------

def test_an_occurrence_is_claimed_once(store: Store) -> None:
    schedule = store.add_schedule("checkin", "kitchen", "daily at nine")
    other = store.add_schedule("hug", "kitchen", "daily at nine")
    assert store.last_claimed(schedule.id) is None
    assert not store.claimed(schedule.id, "2026-03-01T21:00")
    assert store.claim(schedule.id, "2026-03-01T21:00", "pid-1")
    assert not store.claim(schedule.id, "2026-03-01T21:00", "pid-1")
    assert not store.claim(schedule.id, "2026-03-01T21:00", "pid-2")
    assert store.claimed(schedule.id, "2026-03-01T21:00")
    assert store.claimed_by(schedule.id, "2026-03-01T21:00") == "pid-1"
    assert store.claim(other.id, "2026-03-01T21:00", "pid-2")  # per schedule
    assert store.claim(schedule.id, "2026-03-02T21:00", "pid-1")
    assert store.last_claimed(schedule.id) == "2026-03-02T21:00"
    assert store.last_claimed(other.id) == "2026-03-01T21:00"


def test_a_removed_schedule_cannot_be_claimed_and_loses_its_claims(store: Store) -> None:
    schedule = store.add_schedule("checkin", "kitchen", "daily at nine")
    store.claim(schedule.id, "2026-03-01T21:00", "pid-1")
    store.remove_schedule(schedule.id)
    assert not store.claimed(schedule.id, "2026-03-01T21:00")
    assert not store.claim(schedule.id, "2026-03-02T21:00", "pid-1")
    assert not store.claim(999, "2026-03-02T21:00", "pid-1")


def test_skipping_is_claiming_for_nobody(store: Store) -> None:
    schedule = store.add_schedule("checkin", "kitchen", "daily at nine")
    assert store.skip_next(schedule.id, "2026-03-01T21:00")
    assert not store.skip_next(schedule.id, "2026-03-01T21:00")
    assert not store.claim(schedule.id, "2026-03-01T21:00", "pid-1")  # the scheduler's try
    assert store.claimed_by(schedule.id, "2026-03-01T21:00") == SKIPPED
    assert store.claim(schedule.id, "2026-03-02T21:00", "pid-1")
    assert not store.skip_next(schedule.id, "2026-03-02T21:00")  # already offered


def test_old_claims_are_pruned(path: Path) -> None:
    clock = Clock()
    with Store(path, clock=clock) as store:
        schedule = store.add_schedule("checkin", "kitchen", "daily at nine")
        store.claim(schedule.id, "old", "pid-1")
        clock.now = T0 + timedelta(days=40)
        store.claim(schedule.id, "new", "pid-1")
        assert store.prune_claims(T0 + timedelta(days=10)) == 1
        assert not store.claimed(schedule.id, "old")
        assert store.claimed(schedule.id, "new")
        assert store.prune_claims(T0 + timedelta(days=10)) == 0


def test_threads_claim_each_occurrence_once(path: Path) -> None:
    shared = Store(path)
    schedule = shared.add_schedule("checkin", "kitchen", "daily at nine")
    keys = [f"2026-03-{day:02d}T21:00" for day in range(1, 29)]
    won: list[str] = []
    barrier = threading.Barrier(8)

    def worker(index: int) -> None:
        # Half the threads share one Store, half open their own connection.
        store = shared if index % 2 else Store(path)
        barrier.wait()
        for key in random.Random(index).sample(keys, len(keys)):
            if store.claim(schedule.id, key, f"thread-{index}"):
                won.append(key)
        if store is not shared:
            store.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shared.close()
    assert sorted(won) == keys


def _race(path: Path, schedule_id: int, index: int, start: object, results: object) -> None:
    # Runs in a spawned process: a fresh interpreter, its own connection to the file.
    with Store(path) as store:
        start.wait()  # type: ignore[attr-defined]
        keys = random.Random(index).sample(range(KEYS), KEYS)
        won = [key for key in keys if store.claim(schedule_id, str(key), f"proc-{index}")]
        results.put((index, won))  # type: ignore[attr-defined]


def test_processes_claim_each_occurrence_once(path: Path) -> None:
    with Store(path) as store:
        schedule = store.add_schedule("checkin", "kitchen", "daily at nine")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [context.Process(target=_race, args=(path, schedule.id, i, start, results))
                 for i in range(PROCESSES)]
    for process in processes:
        process.start()
    outcome = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    won = [key for keys in outcome.values() for key in keys]
    assert sorted(won) == list(range(KEYS))  # every key once, none twice
    with Store(path) as store:
        for key in range(KEYS):
            winner = store.claimed_by(schedule.id, str(key))
            assert winner is not None
            assert key in outcome[int(winner.removeprefix("proc-"))]


# -- snoozes and the holiday pause ----------------------------------------------------------

def test_snoozes(path: Path) -> None:
    with Store(path) as store:
        schedule = store.add_schedule("checkin", "kitchen", "daily at nine")
        later = store.add_snooze(schedule.id, "checkin", "kitchen", T0 + timedelta(minutes=20),
                                 ("Ana", "Bo"))
        sooner = store.add_snooze(None, "hug", "hall", T0 + timedelta(minutes=10), ())
    with Store(path) as store:  # snoozes survive a restart
        first, second = store.snoozes()
        assert (first.id, first.schedule_id, first.ritual, first.site, first.names) == (
            sooner, None, "hug", "hall", ())
        assert first.due == T0 + timedelta(minutes=10) and first.due.tzinfo is UTC
        assert (second.id, second.schedule_id, second.names) == (later, schedule.id,
                                                                 ("Ana", "Bo"))
        # A snooze outlives its schedule: the couple was promised a second ask.
        store.remove_schedule(schedule.id)
        assert store.snoozes()[1].schedule_id is None
        assert store.remove_snooze(sooner)
        assert not store.remove_snooze(sooner)  # so only one process fires it
        assert [s.id for s in store.snoozes()] == [later]


def test_the_holiday_pause(store: Store) -> None:
    assert store.paused_until() is None
    local = datetime(2026, 8, 1, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    store.set_pause(local)
    assert store.paused_until() == local
    assert store.paused_until().tzinfo is UTC  # type: ignore[union-attr]
    store.set_pause(None)
    assert store.paused_until() is None


def test_times_are_utc_text_in_the_file(store: Store, path: Path) -> None:
    store.set_pause(datetime(2026, 8, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))))
    with raw(path) as db:
        assert db.execute("SELECT paused_until FROM state").fetchone()[0] == (
            "2026-08-01T00:00:00.000000+00:00")
    db.close()


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="time zone"):
        store.set_pause(datetime(2026, 8, 1))
    with pytest.raises(ValueError, match="time zone"):
        store.add_snooze(None, "hug", "hall", datetime(2026, 8, 1), ())


# -- deck history ---------------------------------------------------------------------------

def test_deck_history_is_a_deck_history(path: Path) -> None:
    with Store(path) as store:
        history: DeckHistory = StoreDeckHistory(store)
        assert history.used("dreams") == ()
        for prompt in ("c", "a", "b"):
            history.record("dreams", prompt)
        history.record("fears", "a")
        assert history.used("dreams") == ("c", "a", "b")  # in the order of use
        history.reset("dreams")
        assert history.used("dreams") == ()
        assert history.used("fears") == ("a",)


def test_decks_do_not_repeat_across_evenings(path: Path) -> None:
    deck = Deck("dreams", ("one", "two", "three", "four"))
    with Store(path) as store:
        first = [draw(deck, StoreDeckHistory(store), random.Random(1)) for _ in range(2)]
    with Store(path) as store:  # the next evening
        second = [draw(deck, StoreDeckHistory(store), random.Random(1)) for _ in range(2)]
        assert sorted(first + second) == sorted(deck.prompts)
        assert list(StoreDeckHistory(store).used("dreams")) == first + second


# -- ritual history -------------------------------------------------------------------------

def test_runs(store: Store) -> None:
    monday = store.run_started("checkin", "kitchen", T0)
    store.run_ended(monday, T0 + timedelta(minutes=12), completed=True)
    tuesday = store.run_started("hug", "hall", T0 + timedelta(days=1))
    store.run_ended(tuesday, T0 + timedelta(days=1, minutes=1), completed=False)
    wednesday = store.run_started("checkin", "kitchen", T0 + timedelta(days=2))
    assert not store.run_ended(999, T0, completed=True)
    assert [r.id for r in store.runs()] == [monday, tuesday, wednesday]
    assert store.runs(T0 + timedelta(days=1)) == [
        Run(tuesday, "hug", "hall", T0 + timedelta(days=1),
            T0 + timedelta(days=1, minutes=1), False),
        Run(wednesday, "checkin", "kitchen", T0 + timedelta(days=2), None, False),
    ]
    assert store.count_runs(None) == 1
    assert store.count_runs(None, completed_only=False) == 3
    assert store.count_runs(T0 + timedelta(hours=1), completed_only=False) == 2
    assert store.count_runs(T0 + timedelta(hours=1)) == 0


def test_deleting_history(store: Store, path: Path) -> None:
    schedule = store.add_schedule("checkin", "kitchen", "daily at nine")
    store.claim(schedule.id, "2026-03-01T21:00", "pid-1")
    store.add_snooze(schedule.id, "checkin", "kitchen", T0, ())
    for day in range(3):
        store.run_started("checkin", "kitchen", T0 + timedelta(days=day))
    history = StoreDeckHistory(store)
    history.record("dreams", "What would you do with a free year?")
    history.record("fears", "What keeps you up at night?")
    assert store.delete_history() == 5
    assert store.runs() == [] and store.count_runs(None, completed_only=False) == 0
    assert history.used("dreams") == () and history.used("fears") == ()
    # Plans stay: they are not history, and the claims keep occurrences from firing twice.
    assert store.schedules() == [schedule]
    assert store.claimed(schedule.id, "2026-03-01T21:00")
    assert len(store.snoozes()) == 1
    assert store.delete_history() == 0
    # Not left behind in the file's free pages or its write-ahead log either.
    for name in (path.name, path.name + "-wal"):
        file = path.with_name(name)
        assert not file.exists() or b"free year" not in file.read_bytes()


# -- noticing changes -----------------------------------------------------------------------

def test_changes_counts_this_connections_changes(store: Store) -> None:
    seen = [store.changes()]

    def changed() -> bool:
        now = store.changes()
        grew = now > seen[-1]
        seen.append(now)
        return grew

    schedule = store.add_schedule("checkin", "kitchen", "daily at nine")
    assert changed()
    store.set_paused(schedule.id, True)
    assert changed()
    snooze = store.add_snooze(schedule.id, "checkin", "kitchen", T0, ())
    assert changed()
    store.remove_snooze(snooze)
    assert changed()
    store.set_pause(T0)
    assert changed()
    store.set_pause(None)
    assert changed()
    store.sync_config_schedules([("hug", "hall", "daily at eight", ())])
    assert changed()
    store.remove_schedule(schedule.id)
    assert changed()
    # What is not a plan does not make a running Hearth reload.
    other = store.add_schedule("hug", "bedroom", "daily at ten")
    changed()
    store.claim(other.id, "2026-03-01T22:00", "pid-1")
    store.skip_next(other.id, "2026-03-02T22:00")
    run = store.run_started("hug", "bedroom", T0)
    store.run_ended(run, T0, completed=True)
    StoreDeckHistory(store).record("dreams", "one")
    store.delete_history()
    assert not changed()


def test_changes_by_another_connection_are_seen(path: Path) -> None:
    with Store(path) as running, Store(path) as shell:
        before = running.changes()
        shell.add_schedule("checkin", "kitchen", "daily at nine")
        after_add = running.changes()
        assert after_add > before
        shell.set_pause(T0)
        assert running.changes() > after_add
        assert running.paused_until() == T0
        # Even an edit made by hand with the sqlite3 shell.
        last = running.changes()
        with raw(path) as db:
            db.execute("UPDATE schedules SET recurrence = 'daily at ten'")
        db.close()
        assert running.changes() > last
        assert running.schedules()[0].when == "daily at ten"
