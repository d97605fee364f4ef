"""All configuration in one object, read from the environment (prefix ``SHELLY_``, plus a few
conventional names such as ``TELEGRAM_BOT_TOKEN`` and ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
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
    http_port: int = 8081
    playground_port: int = 8080

    # --- Vision ---------------------------------------------------------------------------
    detector: Literal["centerface", "yunet"] = "centerface"
    detector_model: Path = MODELS_DIR / "centerface.onnx"
    emotion_model: Path = MODELS_DIR / "shelly-emotion.onnx"
    max_image_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    inference_workers: int = 2
    inference_queue_size: int = 16
    inference_timeout_s: float = 20.0
    inference_pool: Literal["process", "thread"] = "process"  # see docs/benchmarks.md

    # --- Storage --------------------------------------------------------------------------
    database_url: str = Field(
        default="sqlite+aiosqlite:///shelly.db", validation_alias=AliasChoices("DATABASE_URL", "SHELLY_DATABASE_URL")
    )
    pseudonym_secret: SecretStr = SecretStr(DEFAULT_PSEUDONYM_SECRET)  # HMAC key for user/chat pseudonyms
    auto_migrate: bool = False  # upgrade the schema at start instead of refusing to start
    retention_days: int = 365
    write_buffer_size: int = 10_000
    write_flush_interval_s: float = 1.0
    db_timeout_s: float = Field(default=1.0, gt=0)  # deadline of each database call on a reply's path
    db_breaker_s: float = Field(default=15.0, gt=0)  # after a failure, answer from memory this long, then probe
    db_close_timeout_s: float = Field(default=5.0, ge=0)  # shutdown keeps trying to write buffered events this long
    journal_path: Path | None = None  # shutdown journal; None: shelly-journal.jsonl next to the SQLite file or in ./

    # --- Behaviour ------------------------------------------------------------------------
    default_language: str = "en"
    user_cooldown_s: float = 10.0
    chat_cooldown_s: float = 3.0
    max_concurrent_updates: int = 8  # updates (photos) handled at the same time
    max_faces_in_reply: int = Field(default=10, ge=1)  # faces answered one by one; the rest summed up in one line
    redis_url: str | None = None  # shared rate-limit budget across replicas
    log_level: str = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
