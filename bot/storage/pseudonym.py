"""Keyed pseudonyms for Telegram ids.

``HMAC-SHA256(secret, "<domain>:<id>")`` as 64 lowercase hex characters. The domain prefix keeps a user's key,
their private chat's key (same numeric id in Telegram) and update keys unrelated, so one table can never be joined
to another by a shared id. Without the secret the keys cannot be reversed or recomputed from an id; rotating the
secret makes all earlier statistics unlinkable (opt-outs and chat settings then reset).
"""

from __future__ import annotations

import hashlib
import hmac

KEY_LEN = 64  # hex characters of a SHA-256 HMAC


class Pseudonymizer:
    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        if not key:
            raise ValueError("pseudonym_secret must not be empty")
        self._key = key

    def _key_for(self, domain: str, *values: int) -> str:
        message = ":".join([domain, *(str(int(v)) for v in values)])
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def user(self, user_id: int) -> str:
        return self._key_for("user", user_id)

    def chat(self, chat_id: int) -> str:
        return self._key_for("chat", chat_id)

    def update(self, update_id: int, chat_id: int) -> str:
        """Idempotency key of one update. Update ids are per-bot counters, not personal data, but they are
        sequential: stored raw they would order events inside an hour and undo the hour rounding. The chat id
        is mixed in because Telegram picks the next id at random after a week without updates, which could
        otherwise collide with an old update and be taken for a redelivery. (Two bots sharing one database need
        different pseudonym secrets.)"""
        return self._key_for("update", update_id, chat_id)
