"""The documented multi-process set-up: docker-compose.yml and the Dockerfile say what the README promises."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def bot_services() -> dict[str, dict]:
    return {name: s for name, s in compose()["services"].items() if name.startswith("bot")}


def test_postgresql_keeps_its_data_in_a_volume_and_reports_health():
    db = compose()["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert any(v.split(":")[0] in compose()["volumes"] for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_every_bot_waits_for_a_healthy_database_and_the_shards_are_covered_once():
    services = bot_services()
    assert len(services) >= 2
    shards: list[int] = []
    for service in services.values():
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        env = {
            k: re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: m.group(2) or "secret", str(v))
            for k, v in service["environment"].items()
        }
        settings = Settings.from_env({"DATABASE_PATH": "/tmp/x.db", **env})  # the bot accepts these settings
        assert settings.database_url is not None and settings.database_url.startswith("postgresql://")
        assert "@db:5432/" in settings.database_url
        assert settings.shard_ids is not None
        shards.extend(settings.shard_ids)
        count = settings.shard_count
    assert sorted(shards) == list(range(count or 0)), "each shard run by exactly one process"
    assert sum(1 for s in services.values() if s["environment"]["SHARD_IDS"].split(",")[0] == "0") == 1


def test_the_image_is_slim_runs_as_a_user_and_bakes_the_glossary_in():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert stages and all(image.endswith("-slim") or " AS " in image for image in stages)
    assert stages[-1].endswith("-slim")
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")
    assert "COPY data/glossary" in text and "termiknowledge validate" in text
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".venv" in ignored and "data" not in ignored
