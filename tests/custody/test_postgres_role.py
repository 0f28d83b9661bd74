"""On PostgreSQL the application role cannot change or remove custody rows."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from forensics.custody import verify_chain
from forensics.database import open_database
from tests.custody.conftest import make_ledger
from tests.custody.test_ledger import add

pytestmark = pytest.mark.postgres


def test_application_role_cannot_update_delete_or_truncate_custody_rows(postgres_server):
    owner_url = postgres_server.new_database("role")
    led = make_ledger(owner_url)
    dbname = led.db.url.database
    # The lab's application role, here even granted every table privilege.
    with psycopg.connect(f"{postgres_server.admin_dsn.rsplit('dbname=', 1)[0]}dbname={dbname}",
                         autocommit=True) as conn:
        conn.execute("CREATE ROLE sealbag_app LOGIN NOSUPERUSER NOBYPASSRLS")
        conn.execute("GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO sealbag_app")
        conn.execute("GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public TO sealbag_app")
    app_url = f"postgresql+psycopg://sealbag_app@127.0.0.1:{postgres_server.port}/{dbname}"
    app = open_database(app_url)
    led.db.close()
    led.db = app
    with app.session() as s:  # the role can append through record_event
        add(s, led, "seized", "asha", 0, received_by="asha")
        add(s, led, "note", "asha", 1, remarks="sealed bag photographed")
    for statement, error in [
        ("UPDATE custody_event SET remarks = 'changed'", "append-only"),
        ("DELETE FROM custody_event", "append-only"),
        ("TRUNCATE custody_event", "append-only"),
        ("ALTER TABLE custody_event DISABLE TRIGGER USER", "must be owner"),
        ("DROP TRIGGER custody_event_no_change ON custody_event", "must be owner"),
    ]:
        with pytest.raises(DBAPIError, match=error), app.session() as s:
            s.execute(text(statement))
    # With the recommended grants the role is refused before the trigger even runs.
    with psycopg.connect(f"{postgres_server.admin_dsn.rsplit('dbname=', 1)[0]}dbname={dbname}",
                         autocommit=True) as conn:
        conn.execute("REVOKE UPDATE, DELETE, TRUNCATE ON custody_event FROM sealbag_app")
    for statement in ("UPDATE custody_event SET remarks = 'changed'", "DELETE FROM custody_event",
                      "TRUNCATE custody_event"):
        with pytest.raises(DBAPIError, match="permission denied"), app.session() as s:
            s.execute(text(statement))
    with app.session() as s:
        add(s, led, "note", "asha", 2, remarks="still appending")
    with app.session() as s:
        case, _, _ = led.load(s)
        report = verify_chain(s, case)
        assert report.valid and report.events == 3
    app.close()
