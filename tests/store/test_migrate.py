"""Migrations: the schema comes up on both dialects, and replicas starting together migrate once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from sqlalchemy import inspect, text

from bot.store import open_store
from bot.store.migrate import HEAD, current_revisions, head_revisions
from tests.support import REPO_ROOT, cablebot_env

TABLES = {"cables", "paragraphs", "corpus_terms", "corpus_stats", "queue", "alembic_version"}


def test_a_fresh_database_is_migrated_to_the_newest_revision(store):
    with store.read() as conn:
        tables = set(inspect(conn).get_table_names())
        versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        read_without_alembic = current_revisions(conn)
    assert tables >= TABLES
    assert versions == head_revisions() == read_without_alembic
    assert "0001_cables" in _ancestry(versions)


def test_head_names_the_newest_migration_so_a_current_store_opens_without_alembic():
    # A new migration updates HEAD too: a stale one would take a store one revision behind for current.
    assert head_revisions() == {HEAD}


def test_opening_a_current_store_does_not_load_alembic(store_url):
    open_store(store_url).close()
    script = textwrap.dedent("""
        import sys
        from bot.store import open_store
        open_store(sys.argv[1]).close()
        print("alembic" in sys.modules)
    """)
    opened = subprocess.run(
        [sys.executable, "-c", script, store_url],
        cwd=REPO_ROOT,
        env=cablebot_env(),
        capture_output=True,
        text=True,
    )
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "False"


def test_the_next_paragraph_index_covers_only_postable_paragraphs(store):
    with store.read() as conn:
        indexes = {i["name"]: i for i in inspect(conn).get_indexes("paragraphs")}
    assert "ix_paragraphs_next" in indexes


def test_opening_a_migrated_store_again_changes_nothing(store_url):
    with open_store(store_url) as first:
        first.save_cables([])
    with open_store(store_url) as again, again.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_replicas_starting_together_on_postgresql_migrate_once(postgres_store_url):
    _start_together(postgres_store_url, replicas=6)
    _assert_migrated_once(postgres_store_url)


def test_processes_starting_together_on_sqlite_migrate_once(sqlite_url):
    _start_together(sqlite_url, replicas=4)
    _assert_migrated_once(sqlite_url)


def _start_together(url: str, replicas: int) -> None:
    # Each process imports cablebot first, then waits for the same instant, so their migrations collide.
    start = time.time() + 4
    script = textwrap.dedent(f"""
        import time
        from bot.store import open_store
        time.sleep(max(0, {start!r} - time.time()))
        open_store({url!r}).close()
    """)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            env=cablebot_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(replicas)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [code for code, _ in outcomes] == [0] * replicas, [err for _, err in outcomes if err]


def _assert_migrated_once(url: str) -> None:
    with open_store(url) as store, store.read() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == sorted(
            head_revisions()
        )
        assert set(inspect(conn).get_table_names()) >= TABLES


def _ancestry(versions: set[str]) -> set[str]:
    from alembic.script import ScriptDirectory

    from bot.store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for head in versions for rev in script.iterate_revisions(head, "base")}


def test_revision_0004_lays_corpus_terms_out_for_upserts_and_keeps_every_count(store_url):
    from alembic import command

    from bot.store.engine import create_store_engine
    from bot.store.migrate import alembic_config, upgrade

    engine = create_store_engine(store_url)
    try:
        upgrade(engine, "0003_worker")
        counts = [("zanzibar", 3), ("cloves", 1), ("a" * 128, 2)]
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO corpus_terms (term, df) VALUES (:t, :n)"),
                [{"t": t, "n": n} for t, n in counts],
            )
        assert not _laid_out_for_upserts(engine)

        upgrade(engine)
        assert _laid_out_for_upserts(engine)
        assert _terms(engine) == sorted(counts)

        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003_worker")
        assert not _laid_out_for_upserts(engine)
        assert _terms(engine) == sorted(counts)
    finally:
        engine.dispose()


def _laid_out_for_upserts(engine) -> bool:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'corpus_terms'")).scalar_one()
            return "WITHOUT ROWID" in sql.upper()
        options = conn.execute(
            text("SELECT reloptions FROM pg_class WHERE oid = to_regclass('corpus_terms')")
        ).scalar_one()
        return "fillfactor=50" in (options or [])


def _terms(engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT term, df FROM corpus_terms ORDER BY term"))]


def test_revision_0005_puts_all_that_next_weighs_of_a_paragraph_in_its_index(store_url):
    from alembic import command

    from bot.store.engine import create_store_engine
    from bot.store.migrate import alembic_config, upgrade

    engine = create_store_engine(store_url)
    try:
        upgrade(engine, "0004_corpus_terms")
        assert not _next_index_covers_candidates(engine)

        upgrade(engine)
        assert _next_index_covers_candidates(engine)

        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004_corpus_terms")
        assert not _next_index_covers_candidates(engine)
        assert "WHERE" in _next_index(engine).upper()  # still only the postable paragraphs
    finally:
        engine.dispose()


def test_next_weighs_candidates_on_the_index_alone_on_sqlite(sqlite_url):
    # The next-paragraph query walks the index, and reads of each paragraph only what the index holds
    # (its WHERE's anchored and blocked are the index's own condition): SQLite then never reads a
    # candidate's row. (PostgreSQL plans an empty table its own way; its index-only scan is checked on
    # the full store with bench/next.py.)
    from datetime import UTC, datetime

    from sqlalchemy import event

    from bot.picks.settings import PickSettings
    from bot.store.schema import paragraphs
    from bot.worker.choose import _candidates, _columns

    statements = []
    with open_store(sqlite_url) as store:
        event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2:4]))
        with store.read() as conn:
            _candidates(conn, "news", PickSettings(), set(), datetime.now(UTC))
            statement, params = statements[-1]
            plan = [r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)]
    assert plan[0].startswith("SEARCH paragraphs USING") and "INDEX ix_paragraphs_next (score>?)" in plan[0]
    [index] = [i for i in paragraphs.indexes if i.name == "ix_paragraphs_next"]
    indexed = {"id", "score"} | {c.name for c in index.columns}
    assert {c.name for c in _columns() if c.table is paragraphs} <= indexed


def _next_index(engine) -> str:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE name = 'ix_paragraphs_next'"
        else:
            query = (
                "SELECT indexdef FROM pg_indexes "
                "WHERE indexname = 'ix_paragraphs_next' AND schemaname = current_schema()"
            )
        return conn.execute(text(query)).scalar_one()


def _next_index_covers_candidates(engine) -> bool:
    definition = _next_index(engine)
    covered = "number" in definition
    if engine.dialect.name == "postgresql":
        covered = covered and "INCLUDE (id)" in definition
    return covered
