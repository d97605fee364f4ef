"""Static checks of the deployment files (Docker cannot run here): docker-compose.yml, Dockerfile,
.dockerignore, deploy/Caddyfile, deploy/env.example and the settings table in docs/deploy.md."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
SECRET_KEYS = re.compile(r"PASSWORD|SECRET|TOKEN|DATABASE_URL", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def test_compose_services_and_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "migrate", "shelly", "shelly-webhook", "proxy", "redis"} <= set(services)

    pg = services["postgres"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert any(str(v).startswith("pgdata:") for v in pg["volumes"])
    assert "pgdata" in compose["volumes"]

    migrate = services["migrate"]
    assert migrate["command"] == ["shelly", "db", "upgrade"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart") == "no"
    assert "profiles" not in migrate  # runs with every profile

    for name in ("shelly", "shelly-webhook"):
        bot = services[name]
        assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert bot["stop_signal"] == "SIGTERM"
        assert bot["stop_grace_period"]
        assert "/healthz" in " ".join(bot["healthcheck"]["test"])
        assert bot["env_file"] == ".env"
        assert bot["build"]["context"] == "."
        assert _env(bot)["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in _env(bot)["DATABASE_URL"]
        assert bot.get("read_only") is True


def test_compose_profiles_for_polling_and_scale_out(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["shelly"]["profiles"] == ["polling"]
    assert _env(services["shelly"])["SHELLY_MODE"] == "polling"
    for name in ("shelly-webhook", "proxy", "redis"):
        assert services[name]["profiles"] == ["scale"], name
    web = services["shelly-webhook"]
    env = _env(web)
    assert env["SHELLY_MODE"] == "webhook"
    assert env["SHELLY_REDIS_URL"].startswith("redis://redis:")
    assert env["SHELLY_WEBHOOK_PATH"] == "/telegram/webhook"
    assert web["deploy"]["replicas"] >= 2
    assert "ports" not in web  # only the proxy is reachable from outside
    assert "container_name" not in web  # replicas need generated names
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "redis-cli" in " ".join(services["redis"]["healthcheck"]["test"])
    proxy = services["proxy"]
    assert any(v.startswith("./deploy/Caddyfile:") for v in proxy["volumes"])
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    # the polling bot's health/metrics port is published on loopback only
    assert all(str(p).startswith("127.0.0.1:") for p in services["shelly"].get("ports", []))


def test_compose_has_no_inline_secrets_and_pinned_images(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in _env(service).items():
            if SECRET_KEYS.search(key):
                # secrets only by reference to .env (interpolation), never literally
                secret_part = value.split("@")[0] if key == "DATABASE_URL" else value
                assert "${" in secret_part, (name, key)
        image = service.get("image", "")
        if image and "build" not in service:
            repo, _, tag = image.rpartition(":")
            assert repo and tag and tag != "latest", (name, image)
    text = COMPOSE.read_text()
    assert "TELEGRAM_BOT_TOKEN=" not in text and "123456" not in text


def test_dockerfile() -> None:
    text = DOCKERFILE.read_text()
    lines = [ln.strip() for ln in re.sub(r"\\\n", " ", text).splitlines() if ln.strip() and not ln.startswith("#")]
    instructions = [ln.split(None, 1) for ln in lines]
    names = [i[0].upper() for i in instructions]
    args = {k: v for k, v in (ln.split(None, 1)[1].split("=", 1) for ln in lines if ln.startswith("ARG ")
                                                                       and "=" in ln)}
    froms = [i[1] for i in instructions if i[0].upper() == "FROM"]
    assert froms, "no FROM"
    for spec in froms:
        image = spec.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), image)
        assert image.startswith("python:3.11") and "slim" in image, image
        assert not image.endswith(":latest") and ":" in image
    runs = " ".join(i[1] for i in instructions if i[0].upper() == "RUN")
    assert "pip install ." in runs
    assert "shelly setup-models" in runs
    assert runs.index("pip install .") < runs.index("shelly setup-models")
    user = [i[1] for i in instructions if i[0].upper() == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert names.index("USER") > max(i for i, n in enumerate(names) if n == "RUN")  # no RUN as root after USER
    health = next(i[1] for i in instructions if i[0].upper() == "HEALTHCHECK")
    assert "/healthz" in health and "urllib" in health and "curl" not in health
    assert ["STOPSIGNAL", "SIGTERM"] in [[i[0].upper(), i[1]] for i in instructions]
    assert any(n == "CMD" for n in names)
    env = " ".join(i[1] for i in instructions if i[0].upper() == "ENV")
    assert "SHELLY_HTTP_HOST=0.0.0.0" in env  # reachable by the proxy / healthcheck inside the container
    assert "SHELLY_DETECTOR_MODEL=/app/models/centerface.onnx" in env


def test_dockerignore_keeps_secrets_and_junk_out() -> None:
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines[0] == "*"  # allow-list
    for needed in ("!pyproject.toml", "!bot", "!inference", "!advice", "!migrations", "!models"):
        assert needed in lines
    assert not any(ln.startswith("!") and (".env" in ln or ".venv" in ln or "test" in ln) for ln in lines)
    assert "**/.env" in lines


def test_caddyfile_sanity() -> None:
    text = CADDYFILE.read_text()
    assert text.count("{") == text.count("}")
    assert "{$SHELLY_PUBLIC_HOST}" in text
    assert "path /telegram/webhook" in text and "method POST" in text
    assert "dynamic a shelly-webhook 8081" in text
    assert "lb_policy round_robin" in text
    assert "request>headers delete" in text  # never log the secret header


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy binary not installed (apt-get install caddy)")
def test_caddyfile_validates_with_caddy() -> None:
    env = {**os.environ, "SHELLY_PUBLIC_HOST": "shelly.example.org", "ACME_EMAIL": "ops@example.org"}
    result = subprocess.run(["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
                            capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "shelly-webhook" in result.stdout


def test_env_example_covers_what_compose_needs(compose: dict[str, Any]) -> None:
    keys = {}
    for ln in ENV_EXAMPLE.read_text().splitlines():
        if ln.strip() and not ln.lstrip().startswith("#"):
            key, _, value = ln.partition("=")
            keys[key.strip()] = value.strip()
    for needed in ("TELEGRAM_BOT_TOKEN", "POSTGRES_PASSWORD", "SHELLY_PSEUDONYM_SECRET", "SHELLY_WEBHOOK_SECRET",
                   "SHELLY_PUBLIC_HOST", "ACME_EMAIL", "SHELLY_WEBHOOK_URL", "COMPOSE_PROFILES"):
        assert needed in keys, needed
    for secret in ("TELEGRAM_BOT_TOKEN", "POSTGRES_PASSWORD", "SHELLY_PSEUDONYM_SECRET", "SHELLY_WEBHOOK_SECRET"):
        assert keys[secret] == "", f"{secret} must be left empty in the example"
    # every ${VAR} the compose file interpolates is documented in the example
    for var in set(re.findall(r"\$\{(\w+)", COMPOSE.read_text())):
        assert var in keys, var
    # every SHELLY_* key in the example is a real setting
    fields = {f"SHELLY_{n.upper()}" for n in Settings.model_fields}
    for key in keys:
        if key.startswith("SHELLY_") and key not in ("SHELLY_PUBLIC_HOST",):
            assert key in fields, key


def test_deploy_doc_lists_every_setting() -> None:
    from tests.deploy.envtable import BEGIN, END, render

    doc = (ROOT / "docs" / "deploy.md").read_text()
    table = doc[doc.index(BEGIN) + len(BEGIN):doc.index(END)].strip()
    assert table == render(), "docs/deploy.md settings table is stale: python -m tests.deploy.envtable --write"
    for heading in ("BotFather", "/setprivacy", "Polling or webhook", "Numbers", "Data and privacy", "Backups"):
        assert heading in doc, heading


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client")
def test_docker_compose_config_if_available(tmp_path: Path) -> None:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    # a throw-away project directory: the compose file, the proxy config and the example env as .env
    shutil.copy(COMPOSE, tmp_path / "docker-compose.yml")
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    example = ENV_EXAMPLE.read_text()
    (tmp_path / ".env").write_text(re.sub(r"^(POSTGRES_PASSWORD|TELEGRAM_BOT_TOKEN)=$", r"\1=x", example,
                                          flags=re.MULTILINE))
    for profile in ("polling", "scale"):
        result = subprocess.run(["docker", "compose", "--profile", profile, "config", "-q"], cwd=tmp_path,
                                capture_output=True, text=True, check=False, timeout=60)
        assert result.returncode == 0, result.stderr
