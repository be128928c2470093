"""The SQLite rate-limit storage (panel_app/core/ratelimit_storage.py): counters shared by
every process on the machine, windows that end on time, and the default configuration."""

from __future__ import annotations

import multiprocessing

import pytest
from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from config import load_config
from panel_app.core.ratelimit_storage import SQLiteStorage, path_from_uri


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, now: float = 1_790_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def uri(tmp_path):
    return f"sqlite:///{tmp_path / 'instance' / 'ratelimit.sqlite3'}"


def _hit_many(uri: str, key: str, times: int, results) -> None:
    storage = storage_from_string(uri)
    results.put([storage.incr(key, 60) for _ in range(times)])


def test_processes_counting_at_once_never_lose_or_repeat_a_count(uri):
    SQLiteStorage(uri)  # create the file first, as the app does at start-up
    context = multiprocessing.get_context("spawn")  # fresh interpreters: nothing shared but the file
    results = context.Queue()
    workers = [context.Process(target=_hit_many, args=(uri, "login/198.51.100.7", 50, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    seen = [value for _ in workers for value in results.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(seen) == list(range(1, 201))  # each increment got its own number
    assert SQLiteStorage(uri).get("login/198.51.100.7") == 200


def test_a_fixed_window_starts_again_once_it_has_expired(uri):
    clock = Clock()
    limiter = FixedWindowRateLimiter(SQLiteStorage(uri, clock=clock))
    limit = RateLimitItemPerMinute(3)
    assert [limiter.hit(limit, "198.51.100.7") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "203.0.113.9")  # another client has its own count
    reset, remaining = limiter.get_window_stats(limit, "198.51.100.7")
    assert (reset, remaining) == (clock.now + 60, 0)
    clock.now += 59.5
    assert not limiter.hit(limit, "198.51.100.7")
    clock.now += 0.5
    assert limiter.hit(limit, "198.51.100.7")
    assert limiter.get_window_stats(limit, "198.51.100.7").remaining == 2


def test_a_moving_window_counts_only_the_last_minute(uri):
    clock = Clock()
    limiter = MovingWindowRateLimiter(SQLiteStorage(uri, clock=clock))
    limit = RateLimitItemPerMinute(2)
    assert limiter.hit(limit, "a")
    clock.now += 30
    assert limiter.hit(limit, "a")
    assert not limiter.hit(limit, "a")
    assert limiter.get_window_stats(limit, "a").remaining == 0
    clock.now += 30.5  # the first hit has left the window, the second has not
    assert limiter.hit(limit, "a")
    assert not limiter.hit(limit, "a")
    assert not limiter.hit(RateLimitItemPerMinute(5), "b", cost=6)


def test_clearing_and_resetting(uri):
    storage = SQLiteStorage(uri)
    for key in ("x", "y"):
        storage.incr(key, 60)
    storage.acquire_entry("z", 5, 60)
    storage.clear("x")
    assert (storage.get("x"), storage.get("y")) == (0, 1)
    assert storage.reset() == 2
    assert storage.get("y") == 0 and storage.get_moving_window("z", 5, 60)[1] == 0
    assert storage.check()


def test_expired_counters_are_swept_from_the_file(uri):
    clock = Clock()
    storage = SQLiteStorage(uri, clock=clock)
    for n in range(20):
        storage.incr(f"client{n}", 60)
    clock.now += 3600
    storage.incr("latest", 60)
    rows = storage._connection().execute("SELECT count(*) FROM counters").fetchone()[0]
    assert rows == 1


@pytest.mark.parametrize("bad", ["sqlite://", "sqlite:///", "memory://", "sqlite://host/file"])
def test_a_storage_uri_without_a_file_is_refused(bad):
    with pytest.raises(ValueError):
        path_from_uri(bad)


def test_without_redis_the_limits_live_in_the_instance_folder_and_with_redis_in_redis(tmp_path):
    embedded = load_config({"INSTANCE_PATH": str(tmp_path)})
    assert embedded.RATELIMIT_STORAGE_URI == f"sqlite:///{tmp_path.resolve() / 'ratelimit.sqlite3'}"
    assert isinstance(storage_from_string(embedded.RATELIMIT_STORAGE_URI), SQLiteStorage)
    scaled = load_config({"INSTANCE_PATH": str(tmp_path), "REDIS_URL": "redis://10.0.0.5:6379/0"})
    assert scaled.RATELIMIT_STORAGE_URI == "redis://10.0.0.5:6379/0"


def test_the_app_counts_in_the_sqlite_file_by_default(make_isolated_app, tmp_path):
    from panel_app.extensions import limiter

    app = make_isolated_app(RATELIMIT_ENABLED=True, RATELIMIT_ERASE="2 per minute")
    assert isinstance(limiter.storage, SQLiteStorage)
    assert limiter.storage.path == tmp_path / "instance0" / "ratelimit.sqlite3"
    client = app.test_client()
    assert [client.post("/registrations/x/erase").status_code for _ in range(3)] == [404, 404, 429]
