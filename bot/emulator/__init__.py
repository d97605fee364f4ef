"""A local Telegram Bot API emulator (aiohttp, binds 127.0.0.1): the parts of the Bot API Shelly uses.

The real python-telegram-bot ``Application`` talks to it over HTTP exactly as it talks to Telegram
(``ApplicationBuilder().base_url(emu.base_url).base_file_url(emu.base_file_url)``), so end-to-end tests
and the local playground exercise the real request/response code paths.

Bot side (HTTP, GET or POST; form-encoded, JSON or multipart bodies; nested fields JSON-encoded as PTB
sends them): getMe, getUpdates (offset, limit, long-poll ``timeout``), sendMessage, sendPhoto (multipart
upload and ``file_id`` reuse), sendDocument, sendChatAction, getFile + ``GET /file/bot<token>/<file_path>``,
setWebhook/deleteWebhook/getWebhookInfo (updates are then POSTed to the webhook with the
``X-Telegram-Bot-Api-Secret-Token`` header, in order, retried with back-off), getChatMember,
getChatAdministrators, setMyCommands/getMyCommands/deleteMyCommands (stored per scope),
deleteMessage, editMessageText, editMessageCaption, editMessageReplyMarkup, answerCallbackQuery,
close, logOut. Answers like Telegram: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {"retry_after": N}}``; it enforces
the 4096-character text, 1024-character caption and 20 MB getFile limits (``telegram.constants``).

User side (Python, used by tests/e2e and bot/playground)::

    from bot.emulator import BotApiEmulator, Chat, User

    emu = BotApiEmulator(token, host="127.0.0.1", port=0, bot_username="shelly_test_bot",
                         privacy_mode=False)
    await emu.start(); ...; await emu.stop()
    emu.base_url            # "http://127.0.0.1:PORT/bot"   -> ApplicationBuilder().base_url(...)
    emu.base_file_url       # "http://127.0.0.1:PORT/file/bot"
    emu.bot_user            # the bot's User dict (id, is_bot, first_name, username)

    chat = Chat(id=42, type="private")                       # or "group"/"supergroup", title=, is_forum=
    user = User(id=42, first_name="Ann", username=None, language_code="en")
    msg = emu.user_sends_text(chat, user, "/start", reply_to_message_id=None, message_thread_id=None,
                              sender_chat=None)              # -> the Message dict the bot receives
    msg = emu.user_sends_photo(chat, user, jpeg_bytes, caption=None, reply_to_message_id=None,
                               message_thread_id=None)       # PhotoSizes 90/320/800/1280 px like Telegram
    msg = emu.user_sends_document(chat, user, data, "x.png", "image/png", caption=None,
                                  reply_to_message_id=None, message_thread_id=None, sender_chat=None)
    cq  = emu.user_presses_button(chat, user, message_id, callback_data)   # -> CallbackQuery dict
    emu.bot_messages(chat_id)           # Bot API Message dicts the bot sent (edits applied, deleted removed)
    await emu.wait_for_bot_messages(chat_id, count, timeout=10.0)          # -> list[dict]; TimeoutError
    await emu.wait_for_calls(method, count, timeout=10.0)                  # -> list[dict]
    emu.file_bytes(file_id)             # bytes of any file (user's or bot's)
    emu.set_member_status(chat_id, user_id, "administrator")   # "creator"/"administrator"/"member"/...

    # groups: several simulated people; who speaks is the ``user`` of each call (switch sender freely)
    emu.add_member(chat, user, status="member")   # known before they speak (names in getChatMember)
    emu.members(chat_id)                # ChatMember dicts of everyone the chat has seen
    emu.set_privacy_mode(True)          # BotFather's /setprivacy, at any time; getMe reports it
    emu.chat_history(chat_id)           # every message (people's and the bot's) in order
    emu.calls("sendPhoto")              # recorded request params (files as {"filename", "size"})
    emu.my_commands()                   # {scope key: [{"command", "description"}]}; scope key like
                                        # "all_private_chats", "all_group_chats",
                                        # "all_chat_administrators", "default", "chat:<id>" (+ ":<lang>")
    emu.pending_updates()               # updates not yet confirmed by getUpdates
    queue = emu.subscribe()             # asyncio.Queue of events:
        # {"type": "message"|"edited"|"deleted"|"chat_action"|"callback_answer"|"user_message",
        #  "chat_id": int, "message": dict | None, ...}
        # and {"type": "fault", "method": "sendphoto"|"file"|..., "fault": "stall"|"drop"|"fail"|"slow_body"
        #      |"slow_body_done", "chat_id": None, "message": None} when an injected fault fires
    emu.unsubscribe(queue)

Injected faults (``method`` is a Bot API method name, any case, or ``"file"`` for the downloads
``GET /file/bot<token>/<file_path>``; each applies to the next ``times`` requests of that method, in
this order per request)::

    emu.stall_next("getFile", seconds=5.0, times=1)      # wait, then go on (with the faults below)
    emu.drop_next("sendPhoto", times=1)                  # close the connection, no answer, not executed
    emu.fail_next("sendPhoto", status=429, retry_after=1, times=1, description=None)
                                                         # error answer, not executed; 5xx, 400 ...
                                                         # (retry_after only with 429)
    emu.slow_body_next("file", seconds=25.0, times=1)    # executed; headers at once, body trickled so
                                                         # the last byte leaves after ``seconds``
    emu.calls("file")                                    # downloads seen: [{"file_path": ...}]

In a group with ``privacy_mode=True`` the bot only receives commands, replies to its own messages and
everything once it is an administrator (``set_member_status(chat_id, emu.bot_user["id"], "administrator")``),
as Telegram does; with ``privacy_mode=False`` (default) it receives every message.

Inside: ``state`` (chats, members, messages, files, updates, calls, events), ``api/`` (the Bot API
methods: ``messages``, ``chats`` (getMe, getFile, members, command menus), ``updates`` (getUpdates and the
webhook)), ``transport`` (aiohttp, parameter parsing, errors, applying ``faults``), ``payloads`` (objects
built with python-telegram-bot's own classes) and ``emulator`` (the facade and the user side).
"""

from bot.emulator.emulator import BotApiEmulator
from bot.emulator.payloads import Chat, User

__all__ = ["BotApiEmulator", "Chat", "User"]
