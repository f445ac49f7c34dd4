"""What a real server writes to its log never holds a secret: the access log redacts secret
query parameters (Meta's hub.verify_token), and SQL errors never carry bound parameters."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from giliran.adapters.sql.database import connect
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
VERIFY_TOKEN = "verify-token-that-must-not-be-logged"


def test_the_access_log_redacts_the_whatsapp_verify_token(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    server = ServerProcess(database_url, log_path=log, access_log=True, env={
        "GILIRAN_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "GILIRAN_WHATSAPP_APP_SECRET": "app-secret-0123456789"})
    server.start()
    try:
        for token in (VERIFY_TOKEN, VERIFY_TOKEN + "-wrong"):
            r = httpx.get(server.base_url + "/api/v1/webhooks/whatsapp", params={
                "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42",
                "other": "kept"})
            assert r.status_code in (200, 403)
    finally:
        server.stop()
    written = log.read_text()
    assert "/api/v1/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=***" in written
    assert "other=kept" in written
    assert VERIFY_TOKEN not in written


def test_sql_errors_never_carry_bound_parameters(database_url: str) -> None:
    db = connect(database_url)
    try:
        with db.engine.connect() as conn, pytest.raises(SQLAlchemyError) as failed:
            conn.execute(text("SELECT :secret + no_such_column"),
                         {"secret": "webhook-secret-0123"})
    finally:
        db.dispose()
    assert "webhook-secret-0123" not in str(failed.value)
