"""The job queue: Huey on Redis when REDIS_URL is set, else on a SQLite file in the instance folder.

Feature modules declare jobs with `@queue.task()` / `@queue.periodic_task(crontab(...))`
at import time; the real Huey instance is only built by `init_app`, from config, so
importing the package opens no connection. Jobs run inside an app context (and so with
their own database session). Enqueue them only after the transaction commits (see
`core.after_commit`) and pass ids, never ORM objects.

The database stays the source of truth: a lost job only delays work, because periodic
reconcile jobs pick up every row still marked pending.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, RedisHuey, SqliteHuey, crontab  # noqa: F401  (crontab re-exported for job modules)
from huey.storage import SqliteStorage

log = logging.getLogger(__name__)


class _SqliteStorage(SqliteStorage):
    """Huey's SQLite storage with `synchronous=NORMAL`, like the app's own database.

    Huey leaves SQLite's default (FULL: an fsync per enqueue, the slowest step of a
    registration). In WAL mode NORMAL never corrupts the file; at worst the last jobs
    enqueued before a power cut are lost, and the reconcile sweeps re-create their work
    from the database, the source of truth.
    """

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=1")
        return conn


class _SqliteHuey(SqliteHuey):
    storage_class = _SqliteStorage


class _Job:
    """A declared job; `.enqueue(*args)` schedules it on the configured queue."""

    def __init__(self, queue: JobQueue, fn: Callable[..., Any], options: dict):
        self._queue = queue
        self.fn = fn
        self.options = options
        self.name = f"{fn.__module__}.{fn.__qualname__}"
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        """Run the job body directly, in the caller's context (for tests and commands)."""
        return self.fn(*args, **kwargs)

    def enqueue(self, *args, delay: float | None = None, eta=None, **kwargs):
        """Schedule the job now, or after `delay` seconds, or at `eta` (aware datetime)."""
        task = self._queue.huey_task(self)
        if delay is None and eta is None:
            return task(*args, **kwargs)
        return task.schedule(args=args, kwargs=kwargs, delay=delay, eta=eta)


class _Binding:
    """One app's Huey instance and its bound tasks (kept in `app.extensions["job_queue"]`)."""

    def __init__(self, app: Flask, huey: Huey):
        self.app = app
        self.huey = huey
        self.tasks: dict[str, Any] = {}


class JobQueue:
    """Registry of declared jobs; each app binds them to its own Huey instance.

    Lookups (`huey`, enqueueing) use the current app's binding when an app context is
    active, else the most recently bound app (the worker command, scripts).
    """

    def __init__(self):
        self._jobs: list[_Job] = []
        self._periodic: list[tuple[Callable, Any, dict]] = []
        self._last: _Binding | None = None

    def task(self, **options) -> Callable[[Callable], _Job]:
        """Declare a job. Options go to Huey (retries, retry_delay, priority...)."""

        def decorate(fn: Callable) -> _Job:
            job = _Job(self, fn, options)
            self._jobs.append(job)
            if self._last is not None:
                self._bind(self._last, job)
            return job

        return decorate

    def periodic_task(self, validate_datetime, **options) -> Callable[[Callable], Callable]:
        """Declare a job the consumer runs on a schedule (e.g. `crontab(minute="*/5")`)."""

        def decorate(fn: Callable) -> Callable:
            self._periodic.append((fn, validate_datetime, options))
            if self._last is not None:
                self._bind_periodic(self._last, fn, validate_datetime, options)
            return fn

        return decorate

    def init_app(self, app: Flask) -> None:
        cfg = app.config
        immediate = bool(cfg.get("HUEY_IMMEDIATE"))
        name = cfg.get("HUEY_NAME", "panel")
        if cfg.get("REDIS_URL") and not immediate:
            huey = RedisHuey(name, url=cfg["REDIS_URL"], utc=True)
        else:
            huey = _SqliteHuey(name, filename=cfg["HUEY_SQLITE_PATH"], utc=True, immediate=immediate, timeout=30)
        binding = _Binding(app, huey)
        for job in self._jobs:
            self._bind(binding, job)
        for fn, validate, options in self._periodic:
            self._bind_periodic(binding, fn, validate, options)
        app.extensions["job_queue"] = binding
        self._last = binding

    @property
    def _binding(self) -> _Binding | None:
        if has_app_context():
            binding = current_app.extensions.get("job_queue")
            if binding is not None:
                return binding
        return self._last

    @property
    def huey(self) -> Huey | None:
        """The Huey instance of the current app (or of the last app bound)."""
        binding = self._binding
        return binding.huey if binding else None

    @staticmethod
    def _in_app_context(app: Flask, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            from panel_app.extensions import db

            with app.app_context():
                try:
                    return fn(*args, **kwargs)
                finally:
                    db.session.remove()

        return run

    def _bind(self, binding: _Binding, job: _Job) -> None:
        task = binding.huey.task(name=job.name, **job.options)(self._in_app_context(binding.app, job.fn))
        binding.tasks[job.name] = task

    def _bind_periodic(self, binding: _Binding, fn: Callable, validate, options: dict) -> None:
        name = f"{fn.__module__}.{fn.__qualname__}"
        task = binding.huey.periodic_task(validate, name=name, **options)(self._in_app_context(binding.app, fn))
        binding.tasks[name] = task

    def huey_task(self, job: _Job):
        binding = self._binding
        if binding is None:
            raise RuntimeError("the job queue is not initialised; call queue.init_app(app) in create_app")
        return binding.tasks[job.name]


queue = JobQueue()
