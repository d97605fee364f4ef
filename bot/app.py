"""The Telegram application, wired in one place: ``build_application(settings, pool, storage)``."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from advice import RECENT_MEMORY, command_menu, supported_languages, text
from advice.language import FALLBACK_LANGUAGE, resolve_language
from bot import autodelete, pulse
from bot.autodelete import SentMessageHook
from bot.deps import DEPS_KEY, Analyzer, Deps, get_deps
from bot.gates import AdminCache, Cooldowns, RecentAdvice
from bot.handlers import commands, group_controls, photos, privacy, settings_menu, stats
from bot.handlers.delivery import RetryPolicy
from bot.handlers.details import on_details_button
from bot.log_setup import install_redaction
from bot.metrics import Metrics
from bot.photo_service import PhotoService
from bot.ratelimit_redis import make_rate_limiter
from bot.settings import Settings
from bot.storage.errors import StorageUnavailable
from bot.telegram_http import AiohttpRequest
from inference.pool import InferencePool

if TYPE_CHECKING:
    from bot.storage import Storage

log = logging.getLogger(__name__)

def command_scopes() -> list[tuple[Any, str | None, list[BotCommand]]]:
    """(scope, language_code, commands) for every setMyCommands call made at start-up; the texts are in the
    advice corpus (``[commands.*]``), English is the default for every other language."""
    out: list[tuple[Any, str | None, list[BotCommand]]] = []
    for lang in supported_languages():
        code = None if lang == FALLBACK_LANGUAGE else lang
        private, group = command_menu(lang, "private"), command_menu(lang, "group")
        admin = group + command_menu(lang, "admin")
        out.append((BotCommandScopeAllPrivateChats(), code, [BotCommand(c, d) for c, d in private]))
        out.append((BotCommandScopeAllGroupChats(), code, [BotCommand(c, d) for c, d in group]))
        out.append((BotCommandScopeAllChatAdministrators(), code, [BotCommand(c, d) for c, d in admin]))
    return out


async def register_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    for scope, language_code, cmds in command_scopes():
        try:
            await application.bot.set_my_commands(cmds, scope=scope, language_code=language_code)
        except TelegramError as exc:  # the menu is a nicety; never refuse to start over it
            log.warning("setMyCommands(%s) failed: %s", scope.type, exc)


async def _count_update(update: object, context: Any) -> None:
    if not isinstance(update, Update):
        return
    kind = "other"
    for attr in ("message", "edited_message", "callback_query", "my_chat_member", "chat_member",
                 "channel_post", "inline_query"):
        if getattr(update, attr, None) is not None:
            kind = attr
            break
    if update.message is not None and (update.message.photo or update.message.document):
        kind = "photo"
    get_deps(context).metrics.updates.labels(kind).inc()


async def _on_error(update: object, context: Any) -> None:
    error = context.error
    kind = type(error).__name__ if error is not None else "unknown"
    with contextlib.suppress(Exception):
        get_deps(context).metrics.errors.labels(kind).inc()
    if isinstance(error, StorageUnavailable) and isinstance(update, Update):
        # a command that needed the database while it is down or hung (the breaker answers at once): say so
        # kindly instead of leaving the person without an answer; the photo flow never gets here
        log.warning("update %d: the database is unavailable (%s)", update.update_id, error)
        await _tell_storage_unavailable(update)
        return
    log.error("error while handling an update: %s", error, exc_info=error)


async def _tell_storage_unavailable(update: Update) -> None:
    user = update.effective_user
    notice = text("storage_unavailable", resolve_language(user.language_code if user else None))
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            await update.callback_query.answer(notice[:200], show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(notice)


def build_application(
    settings: Settings, pool: Analyzer, storage: Storage, *, metrics: Metrics | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The python-telegram-bot Application with every handler registered and the dependencies in ``bot_data``.

    Starts nothing: ``bot.runtime.start_shelly`` owns the lifecycle (and registers the command menus).
    """
    install_redaction()
    if settings.telegram_bot_token is None:
        raise ValueError("build_application needs settings.telegram_bot_token")
    builder: Any = Application.builder()  # its type parameters change with .rate_limiter()
    # every message sent passes this hook (auto-delete); the rate limiter inside it is optional
    sent_hook = SentMessageHook(make_rate_limiter(settings) if settings.rate_limiter else None)
    builder = builder.rate_limiter(sent_hook)
    application = (
        builder
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        # more than the photo service admits, so a photo beyond capacity reaches its gate and hears "busy"
        .concurrent_updates(max(1, settings.max_concurrent_updates))
        .request(AiohttpRequest(connect_timeout=10, read_timeout=15, write_timeout=30, media_write_timeout=60))
        .get_updates_request(AiohttpRequest(connection_pool_size=1, connect_timeout=10, read_timeout=35,
                                            write_timeout=30))
        .build()
    )

    async def fetch_status(chat_id: int, user_id: int) -> str:
        return str((await application.bot.get_chat_member(chat_id, user_id)).status)

    metrics = metrics or Metrics()
    photo_service = PhotoService(
        pool, storage, capacity=settings.photo_capacity, max_image_bytes=settings.max_image_bytes,
        private_burst=settings.private_burst, max_faces=settings.max_faces_in_reply, metrics=metrics,
        cooldowns=Cooldowns(), recent=RecentAdvice(per_chat=RECENT_MEMORY),
    )
    retry = RetryPolicy(attempts=settings.telegram_retry_attempts, backoff_s=settings.telegram_retry_backoff_s,
                        download_timeout_s=settings.file_download_timeout_s)
    deps = Deps(settings=settings, pool=pool, storage=storage, metrics=metrics,
                admins=AdminCache(fetch_status, ttl_s=60.0), photos=photo_service, retry=retry)
    metrics.bind_gauges(
        queue_depth=(lambda: float(pool.queue_depth)) if isinstance(pool, InferencePool) else None,
        storage_pending=lambda: float(storage.pending),
    )
    application.bot_data[DEPS_KEY] = deps
    autodelete.install(application, sent_hook, storage)
    pulse.install(application, settings, storage)

    group = filters.ChatType.GROUPS
    private = filters.ChatType.PRIVATE
    images = filters.PHOTO | filters.Document.ALL
    application.add_handler(TypeHandler(Update, _count_update), group=-1)
    handlers: list[Any] = [
        CommandHandler("start", commands.on_start),
        CommandHandler("help", commands.on_help),
        CommandHandler("privacy", commands.on_privacy),
        CommandHandler("stats", stats.on_stats),
        CommandHandler("forget", privacy.on_forget),
        CommandHandler("optout", privacy.on_optout),
        CommandHandler("optin", privacy.on_optin),
        CommandHandler("language", settings_menu.on_language),
        CommandHandler("settings", settings_menu.on_settings),
        CommandHandler("mood", photos.on_mood),
        CallbackQueryHandler(privacy.on_forget_button, pattern=r"^forget:"),
        CallbackQueryHandler(settings_menu.on_settings_button, pattern=r"^set:"),
        CallbackQueryHandler(group_controls.on_admin_button, pattern=r"^grp:"),
        CallbackQueryHandler(settings_menu.on_language_button, pattern=r"^lang:"),
        CallbackQueryHandler(on_details_button, pattern=r"^details:"),
        MessageHandler(images & (private | group) & ~filters.UpdateType.EDITED, photos.on_photo),
        MessageHandler(private & (filters.Sticker.ALL | filters.VIDEO | filters.ANIMATION | filters.VOICE
                                  | filters.AUDIO | filters.VIDEO_NOTE), photos.on_unsupported),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED,
                       commands.on_private_text),
        ChatMemberHandler(commands.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
    for handler in handlers:
        application.add_handler(handler)
    application.add_error_handler(_on_error)
    return application

