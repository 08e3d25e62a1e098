"""Schema migrations: an old laptop database upgrades with no loss; models and migrations agree."""

import sqlite3

from sqlalchemy import inspect, text

from sweet17.adapters.storage import migrate
from sweet17.adapters.storage.db import sqlite_engine
from sweet17.domain.audit import verify_chain


def _rows(path, table):
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    finally:
        con.close()


def test_first_schema_filled_then_upgraded_keeps_every_row(tmp_path):
    db = tmp_path / "old.db"
    engine = sqlite_engine(db)
    migrate.upgrade(engine, target=1)
    assert migrate.current_version(engine) == 1
    from sweet17.services.workspace import append_audit

    with engine.begin() as c:
        for i in range(50):
            c.execute(text("INSERT INTO workspace_meta (key, value) VALUES (:k, :v)"), {"k": f"k{i}", "v": f"v{i}é"})
            c.execute(text("INSERT INTO drive (slug, name, year, regency_code, path, registered_at) "
                           "VALUES (:s, :n, 2026, '6311', :p, '2026-11-01T00:00:00+00:00')"),
                      {"s": f"d{i}", "n": f"Drive {i}", "p": f"/x/{i}"})
            append_audit(c, "tester", "test.action", f"obj{i}", {"i": i, "nik": None})
    before = {t: _rows(db, t) for t in ("workspace_meta", "drive", "audit_log")}
    assert all(len(v) == 50 for v in before.values())

    applied = migrate.upgrade(engine, backup_dir=tmp_path, db_path=db)
    assert [m.version for m in applied] == [m.version for m in migrate.available() if m.version > 1]
    assert migrate.current_version(engine) == migrate.head()
    for table, rows in before.items():
        assert _rows(db, table) == rows, table
    # the audit chain still verifies after the upgrade
    with engine.connect() as c:
        entries = c.execute(text("SELECT seq, ts, actor, action, object, details, prev_hash, hash FROM audit_log "
                                 "ORDER BY seq")).all()
    assert verify_chain([tuple(e) for e in entries]) == []
    # a consistent copy was taken before upgrading
    backup = tmp_path / "old.db.before-v0002" if any(m.version == 2 for m in applied) else None
    if backup is not None:
        assert _rows(backup, "drive") == before["drive"]
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_each_migration_applies_alone_and_is_recorded(tmp_path):
    engine = sqlite_engine(tmp_path / "step.db")
    for m in migrate.available():
        done = migrate.upgrade(engine, target=m.version)
        assert [d.version for d in done] == [m.version]
        assert migrate.current_version(engine) == m.version
    assert migrate.upgrade(engine) == []  # idempotent


def test_failed_migration_rolls_back_whole(tmp_path, monkeypatch):
    engine = sqlite_engine(tmp_path / "fail.db")
    migrate.upgrade(engine, target=1)
    mig = migrate.available()[1] if len(migrate.available()) > 1 else None
    if mig is None:
        return
    real = mig.module.upgrade

    def broken(conn):
        real(conn)
        raise RuntimeError("power cut in the middle")

    monkeypatch.setattr(mig.module, "upgrade", broken)
    try:
        migrate.upgrade(engine, target=mig.version)
    except RuntimeError:
        pass
    assert migrate.current_version(engine) == 1
    names = set(inspect(engine).get_table_names())
    fresh = sqlite_engine(tmp_path / "ref.db")
    migrate.upgrade(fresh, target=1)
    assert names == set(inspect(fresh).get_table_names())  # no half-created tables


def test_models_match_migrated_schema(tmp_path):
    from sqlmodel import SQLModel

    import sweet17.adapters.storage.models  # noqa: F401  (registers every table)

    engine = sqlite_engine(tmp_path / "m.db")
    migrate.upgrade(engine)
    insp = inspect(engine)
    tables = set(insp.get_table_names()) - {migrate.TABLE}
    model_tables = set(SQLModel.metadata.tables)
    assert model_tables <= tables, f"models without a migration: {model_tables - tables}"
    assert tables <= model_tables, f"tables without a model: {tables - model_tables}"
    for name, table in SQLModel.metadata.tables.items():
        db_cols = {c["name"]: c for c in insp.get_columns(name)}
        assert set(db_cols) == set(table.columns.keys()), name
        db_pk = set(insp.get_pk_constraint(name)["constrained_columns"])
        assert db_pk == {c.name for c in table.primary_key.columns}, name
