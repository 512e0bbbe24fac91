"""Shared fixtures: a real app on a temporary SQLite file, a fake clock, a fake Bot API.

`--database=postgresql` builds the `app` fixture on a fresh migrated PostgreSQL database (the
throwaway server of tests/pgserver.py) instead, and skips the tests marked `sqlite_only`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import App
from tests.fakes.telegram_api import FakeBotApi
from tests.harness import Chat, FakeClock, make_officer, new_app

DATABASES = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--database`: the backend the `app` fixture is built on."""
    parser.addoption(
        "--database",
        choices=DATABASES,
        default="sqlite",
        help="backend of the app fixture: sqlite (a temporary file) or postgresql (throwaway)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With `--database=postgresql`, skip the tests about the SQLite file itself."""
    if config.getoption("--database") != "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
            item.add_marker(pytest.mark.skip(reason=f"needs the SQLite file: {reason}".strip()))


@pytest.fixture(scope="session", autouse=True)
def matcher_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The trained matcher is cached in this run's temporary folder, not the user's cache.

    Set in the environment, so the bots the tests start as subprocesses share it.
    """
    folder = tmp_path_factory.mktemp("matcher-cache")
    previous = os.environ.get("GIAMNGHEO_CACHE_DIR")
    os.environ["GIAMNGHEO_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("GIAMNGHEO_CACHE_DIR", None)
    else:
        os.environ["GIAMNGHEO_CACHE_DIR"] = previous


@pytest.fixture
def clock() -> FakeClock:
    """A clock set to 21/11/2026 10:00 (Hà Nội)."""
    return FakeClock()


@pytest.fixture
async def app(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[App]:
    """The real composition root on a fresh SQLite file, with demo data.

    With `--database=postgresql`, on a fresh migrated PostgreSQL database instead.
    """
    url = ""
    if request.config.getoption("--database") == "postgresql":
        url = request.getfixturevalue("pg_migrated_url")
    application = await new_app(tmp_path / "test.sqlite3", clock, database_url=url)
    try:
        yield application
    finally:
        await application.close()


@pytest.fixture
def resident(app: App) -> Chat:
    """A resident talking to the core."""
    return Chat(app, "resident-1")


@pytest.fixture
async def officer(app: App) -> Chat:
    """An officer of the demo ward."""
    chat = Chat(app, "officer-1")
    await make_officer(app, chat)
    return chat


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeBotApi]:
    """A fake Telegram Bot API on 127.0.0.1."""
    async with FakeBotApi() as fake:
        yield fake


# -- The throwaway PostgreSQL (tests/pgserver.py): started only when a test asks for it. --------

import asyncio  # noqa: E402
import concurrent.futures  # noqa: E402
import itertools  # noqa: E402

from storage.db import open_database  # noqa: E402
from tests.pgserver import ThrowawayPostgres  # noqa: E402

_PG_DATABASE_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[ThrowawayPostgres]:
    """One throwaway PostgreSQL for this pytest process, stopped and removed at the end.

    Missing server programs fail the test with what to run (scripts/ensure_postgres.sh).
    """
    with ThrowawayPostgres() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: ThrowawayPostgres) -> Iterator[str]:
    """The URL of a fresh empty database ``t_<n>`` on the throwaway server, dropped after."""
    name = f"t_{next(_PG_DATABASE_NUMBERS)}"
    url = pg_server.create_database(name)
    try:
        yield url
    finally:
        pg_server.drop_database(name)


@pytest.fixture(scope="session")
def pg_template(pg_server: ThrowawayPostgres) -> str:
    """A database migrated once per run, the template of every `pg_migrated_url`."""
    name = "t_migrated"
    url = pg_server.create_database(name)

    async def migrate() -> None:
        async with open_database(url):
            pass

    # On a thread of its own: this fixture may be first asked for inside a running loop.
    with concurrent.futures.ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, migrate()).result()
    return name


@pytest.fixture
def pg_migrated_url(pg_server: ThrowawayPostgres, pg_template: str) -> Iterator[str]:
    """The URL of a fresh database with every migration applied (a copy of `pg_template`)."""
    name = f"t_{next(_PG_DATABASE_NUMBERS)}"
    url = pg_server.create_database(name, template=pg_template)
    try:
        yield url
    finally:
        pg_server.drop_database(name)
