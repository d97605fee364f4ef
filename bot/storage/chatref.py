"""Sealed chat references: the one place a Telegram chat id is kept, and only encrypted.

The weekly pulse has to post to a group on its own, so for groups whose admins turned it on the chat id is
stored sealed with AES-GCM (``cryptography``) under a key derived from the pseudonym secret: a database dump
alone reveals nothing, and turning the pulse off deletes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_INFO = b"shelly chat-ref v1"
_NONCE_BYTES = 12


class ChatRefs:
    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        self._aead = AESGCM(hmac.new(raw, _INFO, hashlib.sha256).digest())

    def seal(self, chat_id: int) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, str(int(chat_id)).encode(), _INFO)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, ref: str) -> int | None:
        """The chat id, or None for a reference sealed under another secret (or damaged)."""
        try:
            blob = base64.urlsafe_b64decode(ref.encode())
            return int(self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _INFO))
        except (InvalidTag, ValueError):
            return None
