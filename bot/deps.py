"""What handlers need, reachable from ``context.application.bot_data`` through a typed accessor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext

from bot.gates import AdminCache
from bot.handlers.delivery import RetryPolicy
from bot.metrics import Metrics
from bot.photo_service import Analyzer, PhotoService
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.storage import Storage

DEPS_KEY = "shelly.deps"

__all__ = ["DEPS_KEY", "Analyzer", "Deps", "get_deps"]


@dataclass
class Deps:
    settings: Settings
    pool: Analyzer
    storage: Storage
    metrics: Metrics
    admins: AdminCache
    photos: PhotoService
    retry: RetryPolicy


def get_deps(context: CallbackContext[Any, Any, Any, Any] | Application[Any, Any, Any, Any, Any, Any]) -> Deps:
    app = context if isinstance(context, Application) else context.application
    deps: Deps = app.bot_data[DEPS_KEY]
    return deps
