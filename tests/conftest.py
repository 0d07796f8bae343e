"""Shared fixtures: a fresh store per test on SQLite, and on PostgreSQL when
``PAPERBOT_TEST_DATABASE_URL`` is set (each test in its own schema)."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import pytest
from store_templates import PgTemplates, SqliteTemplates, schema_url

from bot.settings import Settings
from recommender.store import Store

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("PAPERBOT_TEST_DATABASE_URL")


def shared_dir() -> Path | None:
    """``../shared`` beside the repo (or ``$PAPERBOT_SHARED_DIR``), when present."""
    path = Path(os.environ.get("PAPERBOT_SHARED_DIR", REPO.parent / "shared"))
    return path if path.is_dir() else None


@pytest.fixture
def shared() -> Path:
    path = shared_dir()
    if path is None:
        pytest.skip("../shared (real samples and eval data) is not present")
    return path


@pytest.fixture
def sample_digests() -> Path:
    return REPO / "samples" / "digests"


BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
STORE_FIXTURES = {"papers_store": "papers", "store": "schema"}
"""The fixtures opening a store on ``db_url``, and the content of the template its database is a copy of."""


@pytest.fixture(scope="session")
def _sqlite_templates(tmp_path_factory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="session")
def _pg_templates():
    templates = PgTemplates(PG_URL)
    yield templates
    templates.close()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A SQLAlchemy URL for a database of the test's own: a SQLite file, or a fresh PostgreSQL schema.

    Empty, unless the test uses ``store`` or ``papers_store``: then it is a copy of a template migrated (and
    filled) once per session, exactly what those fixtures would otherwise make for each test by migrating and
    ingesting (``tests/store_templates.py``). Tests of migrations, and of what opening an empty database does,
    ask for ``db_url`` alone.
    """
    contents = [content for name, content in STORE_FIXTURES.items() if name in request.fixturenames]
    if request.param == "sqlite":
        path = tmp_path / "paperbot.db"
        if contents:
            request.getfixturevalue("_sqlite_templates").copy_to(contents[0], path)
        yield f"sqlite:///{path}"
        return
    pg = request.getfixturevalue("_pg_templates")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    if contents:
        pg.create(contents[0], schema)
    else:
        pg.execute(f'CREATE SCHEMA "{schema}"')
    yield schema_url(PG_URL, schema)
    pg.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def second_db_url(db_url, request, tmp_path):
    """A second empty database of ``db_url``'s backend: a SQLite file beside it, or a fresh PostgreSQL schema."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    pg = request.getfixturevalue("_pg_templates")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    pg.execute(f'CREATE SCHEMA "{schema}"')
    yield schema_url(PG_URL, schema)
    pg.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store(db_url):
    """An empty store on ``db_url``, at Alembic's head (a copy of a session template: see ``db_url``)."""
    st = Store(db_url)
    yield st
    st.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def papers_store(db_url):
    """A store on ``db_url`` holding the 216 papers of the bundled sample digests and the TF-IDF model fitted on them
    (a copy of a session template)."""
    st = Store(db_url)
    yield st
    st.dispose()


# -- strict logs: adapter tests run at INFO and fail on any logged error ----------------------------


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "strict_logs: run at INFO (the shipped level) and fail the test on any ERROR record, logged "
        "exception or record that cannot be formatted (allow expected ones with the strict_logs fixture)",
    )
    config.addinivalue_line(
        "markers", "semantic: rank with the shipped sentence-embedding model (the suite's default is TF-IDF alone)")


class _StrictHandler(logging.Handler):
    """Collects what must not happen: ERROR records, records with an exception, records that do not format."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.problems: list[str] = []
        self.allowed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception as exc:  # noqa: BLE001 - a record that breaks formatting is the failure we look for
            self.problems.append(f"unformattable record from {record.name}: {type(exc).__name__}: {exc}")
            return
        if (record.levelno >= logging.ERROR or record.exc_info) and not any(a in line for a in self.allowed):
            self.problems.append(line)


class StrictLogs:
    """What the ``strict_logs`` fixture gives a test: ``allow("text")`` accepts error records containing it."""

    def __init__(self, handler: _StrictHandler):
        self._handler = handler

    def allow(self, text: str) -> None:
        self._handler.allowed.append(text)

    @property
    def problems(self) -> list[str]:
        return list(self._handler.problems)


@pytest.fixture
def strict_logs(request):
    """Root logging at INFO with a handler that fails the test on any logged error or exception.

    ``logging`` raises from the logging call itself when a record cannot be made
    (``extra={"message": …}``): the event handler then fails, and discord.py or
    Bolt log that failure at ERROR, which this handler catches.
    """
    root = logging.getLogger()
    handler = _StrictHandler()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield StrictLogs(handler)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    if handler.problems:
        pytest.fail("logged at ERROR or with an exception:\n" + "\n".join(handler.problems), pytrace=False)


@pytest.fixture(autouse=True)
def _strict_logs_marker(request):
    """Apply the ``strict_logs`` fixture to tests marked ``strict_logs``."""
    if request.node.get_closest_marker("strict_logs") is not None:
        request.getfixturevalue("strict_logs")
    yield


@pytest.fixture(autouse=True)
def _semantic_off_unless_asked(request, monkeypatch):
    """Tests rank with TF-IDF alone (the environment reaches child processes too): loading the
    sentence model and embedding the samples costs seconds per process. Tests of the hybrid path
    give a ``PaperEmbedder`` explicitly, or are marked ``semantic`` to use the shipped default."""
    if request.node.get_closest_marker("semantic") is None:
        monkeypatch.setenv("PAPERBOT_RECOMMENDER__SEMANTIC", "false")


@pytest.fixture(autouse=True)
def _embedding_cache(tmp_path_factory, monkeypatch):
    """Dataset embeddings computed by tests are cached in a temporary folder, never in ~/.cache."""
    monkeypatch.setenv("PAPERBOT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True)
def _root_logger_restored():
    """A CLI run in-process installs its stderr handler on the root logger; CliRunner closes that stream
    when the run ends, so a later test logging through it printed 'Logging error'. Each test starts
    with the root logger's handlers and level as they were."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _no_job_context_left_behind():
    """Every test starts without an installed JobContext (tests that install one need not clean up):
    with tests spread over workers, a context left by an earlier test would change what a later one sees."""
    from bot.service.context import set_context

    yield
    set_context(None)


@pytest.fixture
def cli(db_url):
    """``paperbot`` run in-process on the test database, at WARNING: ``cli("users", "add", "mia")`` (``env``: variables
    set for the run, as ``CliRunner.invoke`` takes them)."""
    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()

    def run(*args, input=None, env=None):
        return runner.invoke(app, ["--database-url", db_url, "--log-level", "WARNING", *map(str, args)], input=input,
                             env=env)

    return run


@pytest.fixture
def slack_fake():
    """A local Slack Web API (``tests/slack_fake.py``) serving one workspace, T1 (bot user UBOT), for
    ``slack_requests.BOT_TOKEN``; afterwards, every message it took is checked to be valid Block Kit."""
    from slack_requests import BOT_TOKEN

    from slack_fake import FakeSlack, Team

    with FakeSlack(teams={BOT_TOKEN: Team("T1", "UBOT", "BBOT")}) as fake:
        yield fake
        assert fake.invalid_blocks() == []


@pytest.fixture
def slack_bolt(papers_store, settings, slack_fake):
    """``(commands, app)``: the command layer on ``papers_store`` and its Bolt app calling ``slack_fake``,
    answering before ``app.dispatch`` returns (``process_before_response``)."""
    from slack_requests import BOT_TOKEN, SIGNING_SECRET

    from bot.commands import Commands
    from bot.settings import Secrets
    from bot.slack.app import build_app

    settings.slack.api_url = slack_fake.api_url
    commands = Commands(papers_store, settings)
    secrets = Secrets(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    return commands, build_app(commands, settings, secrets=secrets, process_before_response=True)
