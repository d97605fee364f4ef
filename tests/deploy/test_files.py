"""Static checks of the deployment files (Docker cannot run here): docker-compose.yml, Dockerfile,
.dockerignore, deploy/Caddyfile, deploy/env.example and the settings table in docs/deploy.md."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

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


def _interpolate(value: str) -> str:
    """Compose's ``${VAR}`` / ``${VAR:?message}`` with a placeholder for each variable from .env."""
    return re.sub(r"\$\{(\w+)[^}]*\}", lambda m: f"placeholder-{m.group(1).lower()}", value)


def _settings_from(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    """The Settings a process would build from exactly ``env`` (nothing from this test process's environment)."""
    for key in list(os.environ):
        if key.startswith("SHELLY_") or key in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, _interpolate(value))
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_compose_bot_environments_are_valid_settings(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose["services"]
    postgres_env = _env(services["postgres"])
    fields = {f"SHELLY_{n.upper()}" for n in Settings.model_fields}
    for name, mode in (("shelly", "polling"), ("shelly-webhook", "webhook"), ("migrate", "polling")):
        env = _env(services[name])
        assert {k for k in env if k.startswith("SHELLY_")} <= fields, name  # no typo silently ignored
        with monkeypatch.context() as patch:
            settings = _settings_from(patch, env)
        assert settings.mode == mode, name
        # the bots do not migrate by themselves: the migrate job does, once, before any bot starts
        assert not settings.auto_migrate, f"{name}: set SHELLY_AUTO_MIGRATE=0 (compose has a migrate job)"
        db = make_url(settings.database_url)
        assert (db.drivername, db.host, db.port) == ("postgresql+asyncpg", "postgres", 5432), name
        assert (db.username, db.database) == (postgres_env["POSTGRES_USER"], postgres_env["POSTGRES_DB"]), name
        assert db.password == "placeholder-postgres_password"  # from .env, never written in compose
        if name == "migrate":
            continue
        # the healthcheck asks /healthz on the port the bot listens on
        code = services[name]["healthcheck"]["test"]
        assert code[:3] == ["CMD", "python", "-c"]
        compile(code[3], "healthcheck", "exec")
        assert f"http://127.0.0.1:{settings.http_port}/healthz" in code[3], name
        assert settings.http_host == "0.0.0.0"
    with monkeypatch.context() as patch:
        web = _settings_from(patch, _env(services["shelly-webhook"]))
    redis = make_url(web.redis_url or "")
    assert redis.host in services and services[redis.host]["command"][0] == "redis-server"
    assert f"path {web.webhook_path}" in CADDYFILE.read_text()  # the proxy forwards the route the bot serves
    assert f"{web.http_port}" in services["shelly-webhook"]["expose"]


def test_compose_services_and_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "migrate", "shelly", "shelly-webhook", "proxy", "redis"} <= set(services)

    pg = services["postgres"]
    kind, command = pg["healthcheck"]["test"]
    probe = shlex.split(command)
    assert kind == "CMD-SHELL" and probe[0] == "pg_isready"
    # it probes the database the bots use, as the user they use
    assert (probe[probe.index("-U") + 1], probe[probe.index("-d") + 1]) == (
        _env(pg)["POSTGRES_USER"], _env(pg)["POSTGRES_DB"])
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


@dataclass
class Stage:
    image: str
    name: str
    instructions: list[tuple[str, str]]  # (INSTRUCTION, arguments)

    def args(self, instruction: str) -> list[str]:
        return [rest for op, rest in self.instructions if op == instruction]

    def index(self, instruction: str, containing: str) -> int:
        return next(i for i, (op, rest) in enumerate(self.instructions) if op == instruction and containing in rest)

    def env(self) -> dict[str, str]:
        return dict(token.split("=", 1) for rest in self.args("ENV") for token in shlex.split(rest))


def _dockerfile_stages() -> list[Stage]:
    """The Dockerfile as build stages of instructions (continuations joined, global ARGs substituted)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in (ln.strip() for ln in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        op, rest = op.upper(), rest.strip()
        if op == "ARG" and not stages:
            key, _, value = rest.partition("=")
            args[key] = value
        elif op == "FROM":
            image, _, name = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], rest).partition(" AS ")
            stages.append(Stage(image.strip(), name.strip(), []))
        else:
            stages[-1].instructions.append((op, rest))
    return stages


def test_dockerfile_builds_in_two_pinned_stages_and_runs_unprivileged() -> None:
    stages = _dockerfile_stages()
    assert [s.name for s in stages] == ["build", "runtime"]
    for stage in stages:  # pinned slim Python, never :latest
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", stage.image), stage.image
    build, runtime = stages
    # the models are fetched and verified after the package is installed, in the build stage only
    # runtime dependencies only, pinned to what CI tested
    assert build.index("RUN", "pip install -c requirements/runtime.lock .") < build.index("RUN", "shelly setup-models")
    assert not any("pip install" in run or "setup-models" in run for run in runtime.args("RUN"))
    copied = {rest.split()[-1]: rest.split()[1] for rest in runtime.args("COPY") if rest.startswith("--from=build")}
    assert copied == {"/opt/venv": "/opt/venv", "/app/models": "/opt/shelly/models"}
    # nothing runs as root after USER; the user is not root
    user = runtime.args("USER")[-1].split(":")[0]
    assert user not in ("root", "0")
    assert runtime.index("USER", "") > max(i for i, (op, _) in enumerate(runtime.instructions) if op == "RUN")


def test_dockerfile_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = _dockerfile_stages()[-1]
    env = runtime.env()
    shelly_keys = {k for k in env if k.startswith("SHELLY_")}
    assert shelly_keys <= {f"SHELLY_{n.upper()}" for n in Settings.model_fields}, shelly_keys
    settings = _settings_from(monkeypatch, env)
    assert settings.http_host == "0.0.0.0"  # reachable by the proxy and the healthcheck inside the container
    assert str(settings.detector_model).startswith("/app/models/")
    assert str(settings.emotion_model).startswith("/app/models/")
    assert settings.database_url.startswith("sqlite+aiosqlite:////app/data/")
    assert runtime.args("EXPOSE") == [str(settings.http_port)]
    # the healthcheck is exec form, needs no curl (slim has none) and asks /healthz on that port
    health = runtime.args("HEALTHCHECK")[0]
    argv = json.loads(health[health.index("CMD") + 3:])
    assert argv[:2] == ["python", "-c"]
    compile(argv[2], "healthcheck", "exec")
    assert "/healthz" in argv[2] and "SHELLY_HTTP_PORT" in argv[2]
    assert runtime.args("STOPSIGNAL") == ["SIGTERM"]
    assert json.loads(runtime.args("CMD")[-1]) == ["shelly", "run"]


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
