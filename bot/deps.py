"""What handlers need, reachable from ``context.application.bot_data`` through a typed accessor."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from telegram.ext import Application, CallbackContext

from bot.gates import AdminCache, Cooldowns, RecentAdvice
from bot.metrics import Metrics
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.storage import Storage
    from inference.types import Analysis

DEPS_KEY = "shelly.deps"


class Analyzer(Protocol):
    async def analyze(self, data: bytes, annotate: bool = True) -> Analysis: ...


@dataclass
class Deps:
    settings: Settings
    pool: Analyzer
    storage: Storage
    metrics: Metrics
    cooldowns: Cooldowns
    admins: AdminCache
    recent: RecentAdvice
    rng: random.Random = field(default_factory=random.Random)


def get_deps(context: CallbackContext[Any, Any, Any, Any] | Application[Any, Any, Any, Any, Any, Any]) -> Deps:
    app = context if isinstance(context, Application) else context.application
    deps: Deps = app.bot_data[DEPS_KEY]
    return deps
