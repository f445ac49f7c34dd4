"""`giliran serve` hands its settled settings to each worker inside uvicorn's config (which
uvicorn pickles to start a worker process), not through the environment: a worker's app
answers with the admin token serve generated, though no environment variable names it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from giliran.bootstrap import migrate
from giliran.config import Settings
from giliran.entrypoints.api.edge import EdgeLimits
from giliran.entrypoints.http_protocol import ServerConfig

API = "/api/v1"
GENERATED = "gl_admin_" + "k" * 32  # as serve generates one


def test_a_worker_builds_its_app_from_the_settings_serve_settled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GILIRAN_ADMIN_TOKEN", raising=False)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", admin_token=GENERATED,
                        scheduler=False, outbox=False)
    migrate(settings)
    sent = ServerConfig(settings, edge=EdgeLimits.of(settings), workers=2)
    worker = pickle.loads(pickle.dumps(sent))  # what a spawned worker process receives
    worker.load()
    with TestClient(worker.loaded_app) as client:
        r = client.get(f"{API}/agents", headers={"Authorization": f"Bearer {GENERATED}"})
        assert r.status_code == 200, r.text
        assert client.get(f"{API}/agents", headers={
            "Authorization": "Bearer gl_admin_" + "x" * 32}).status_code == 401
