"""All configuration in one object, read from the environment (prefix ``SHELLY_``, plus a few
conventional names such as ``TELEGRAM_BOT_TOKEN`` and ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "models"
DEFAULT_PSEUDONYM_SECRET = "change-me-in-production"  # fine for the playground, never for a real bot


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHELLY_", env_file=".env", extra="ignore")

    # --- Telegram -------------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "SHELLY_TELEGRAM_BOT_TOKEN")
    )
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None  # public URL Telegram posts to (webhook mode)
    webhook_secret: SecretStr | None = None  # X-Telegram-Bot-Api-Secret-Token
    webhook_path: str | None = None  # local route, e.g. "/telegram/abc"; None: random per start
    http_host: str = "127.0.0.1"  # webhook / health / metrics server
    http_port: int = Field(default=8081, ge=0, le=65535)
    playground_port: int = Field(default=8080, ge=0, le=65535)

    # --- Vision ---------------------------------------------------------------------------
    detector: Literal["centerface", "yunet"] = "centerface"
    detector_model: Path = MODELS_DIR / "centerface.onnx"
    emotion_model: Path = MODELS_DIR / "shelly-emotion.onnx"
    max_image_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=50_000_000, gt=0)
    inference_workers: int = Field(default=2, ge=1)
    inference_queue_size: int = Field(default=16, ge=0)
    inference_timeout_s: float = Field(default=20.0, gt=0)
    inference_pool: Literal["process", "thread"] = "process"  # see docs/benchmarks.md

    # --- Storage --------------------------------------------------------------------------
    database_url: str = Field(
        default="sqlite+aiosqlite:///shelly.db", validation_alias=AliasChoices("DATABASE_URL", "SHELLY_DATABASE_URL")
    )
    pseudonym_secret: SecretStr = SecretStr(DEFAULT_PSEUDONYM_SECRET)  # HMAC key for user/chat pseudonyms
    auto_migrate: bool = True  # upgrade the schema at start (compose sets 0 and runs `shelly db upgrade` once)
    retention_days: int = Field(default=365, ge=1)
    write_buffer_size: int = Field(default=10_000, ge=1)
    write_flush_interval_s: float = Field(default=1.0, gt=0)
    db_timeout_s: float = Field(default=1.0, gt=0)  # deadline of each database call on a reply's path
    db_breaker_s: float = Field(default=15.0, gt=0)  # after a failure, answer from memory this long, then probe
    db_close_timeout_s: float = Field(default=5.0, ge=0)  # shutdown keeps trying to write buffered events this long
    journal_path: Path | None = None  # shutdown journal; None: shelly-journal.jsonl next to the SQLite file or in ./

    # --- Behaviour ------------------------------------------------------------------------
    default_language: str = "en"
    user_cooldown_s: float = Field(default=10.0, ge=0)
    chat_cooldown_s: float = Field(default=3.0, ge=0)
    # updates PTB handles at once; must be > photo_capacity (inference_workers + inference_queue_size) so that a
    # photo beyond capacity reaches the photo service at once and hears "busy" instead of queueing in PTB
    max_concurrent_updates: int = Field(default=32, ge=1)
    max_faces_in_reply: int = Field(default=10, ge=1)  # faces answered one by one; the rest summed up in one line
    private_burst: int = Field(default=5, ge=1)  # photos at once in a private chat before user_cooldown_s applies
    telegram_retry_attempts: int = Field(default=3, ge=1)  # tries per photo-flow Bot API call (5xx, timeouts, drops)
    telegram_retry_backoff_s: float = Field(default=0.5, ge=0)  # wait before the 2nd try; doubles with each further
    file_download_timeout_s: float = Field(default=15.0, gt=0)  # deadline of one photo download, body included
    redis_url: str | None = None  # shared rate-limit budget across replicas
    rate_limiter: bool = True  # off only to measure the CPU bound (benchmarks.load); Telegram answers 429 anyway
    # weekly mood pulse in groups whose admins turned it on (bot/pulse.py)
    pulse_weekday: int = Field(default=6, ge=0, le=6)  # Weekly mood pulse day, 0 Monday ... 6 Sunday (chat's time zone)
    pulse_hour: int = Field(default=18, ge=0, le=23)  # The pulse is due from this hour of that day until the week ends
    pulse_check_interval_s: float = Field(default=900.0, gt=0)  # How often each replica looks for due pulses
    log_level: str = "INFO"

    @property
    def photo_capacity(self) -> int:
        """Photos admitted at once (downloading, queued or analysed): exactly what the pool can hold, so it
        never has to refuse; beyond it the photo service answers "busy" at once."""
        return max(1, self.inference_workers) + max(1, self.inference_queue_size)

    @model_validator(mode="after")
    def _check_relations(self) -> Settings:
        problems = relation_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def relation_problems(settings: Settings) -> list[str]:
    """Settings that are each valid but make no sense together (empty when all is well)."""
    problems = []
    capacity = settings.photo_capacity
    if settings.max_concurrent_updates <= capacity:
        problems.append(
            f"SHELLY_MAX_CONCURRENT_UPDATES ({settings.max_concurrent_updates}) must exceed "
            f"SHELLY_INFERENCE_WORKERS + SHELLY_INFERENCE_QUEUE_SIZE ({capacity}): otherwise photos beyond the "
            "pool's capacity wait silently in the update queue instead of getting the 'busy' reply")
    if settings.mode == "webhook" and settings.telegram_bot_token is not None and not settings.webhook_url:
        problems.append("webhook mode needs SHELLY_WEBHOOK_URL (the public URL Telegram posts to)")
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        problems.append(f"SHELLY_LOG_LEVEL {settings.log_level!r} is not DEBUG, INFO, WARNING, ERROR or CRITICAL")
    if settings.http_port and settings.http_port == settings.playground_port:
        problems.append(f"SHELLY_HTTP_PORT and SHELLY_PLAYGROUND_PORT are both {settings.http_port}")
    return problems


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"SHELLY_{field.upper()}" if info is not None else field


def settings_error(exc: ValidationError) -> str:
    """One line naming every invalid setting, for ``shelly: settings: ...`` at start."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(_env_name(str(loc)) for loc in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
