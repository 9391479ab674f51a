"""Slack tokens encrypted at rest: Fernet, with a list of keys so a key can be rotated.

``TOKEN_ENCRYPTION_KEY`` holds one key, or several separated by commas. The first
encrypts; every one of them decrypts (``cryptography``'s ``MultiFernet``). To rotate:
put a new key first, keep the old ones after it, run ``emailstatus-bot workspaces
rotate-key`` (every stored token is re-encrypted with the first key), then remove the
old keys. Fernet is AES-128-CBC with an HMAC-SHA256 over it: a token cannot be read
without the key, nor changed without it being noticed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.store.protocols import InstallationRecords

MAKE_ONE = "make one with `emailstatus-bot workspaces new-key`"


class TokenKeyError(ValueError):
    """The key setting is missing or not a Fernet key (the message says which)."""


class UnreadableToken(ValueError):
    """Stored text that none of the keys decrypts (wrong key, or a changed row)."""


def new_key() -> str:
    """A fresh random key, as TOKEN_ENCRYPTION_KEY takes it."""
    return Fernet.generate_key().decode()


def split_keys(setting: str) -> list[str]:
    return [key.strip() for key in setting.split(",") if key.strip()]


def key_problems(setting: str) -> list[str]:
    """One line per problem with TOKEN_ENCRYPTION_KEY (for `config check`)."""
    keys = split_keys(setting)
    if not keys:
        return [
            "TOKEN_ENCRYPTION_KEY is missing: multi-workspace mode keeps each workspace's "
            f"tokens in the database, encrypted with this key; {MAKE_ONE}."
        ]
    found = []
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            which = "" if len(keys) == 1 else f" (key {number} of {len(keys)})"
            found.append(
                f"TOKEN_ENCRYPTION_KEY{which} is not a Fernet key (32 random bytes, URL-safe "
                f"base64, 44 characters); {MAKE_ONE}."
            )
    return found


class TokenCipher:
    """Encrypts with the first key, decrypts with any."""

    def __init__(self, setting: str) -> None:
        problems = key_problems(setting)
        if problems:
            raise TokenKeyError(problems[0])
        self._fernet = MultiFernet([Fernet(key) for key in split_keys(setting)])

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise UnreadableToken(
                "a stored token cannot be decrypted with TOKEN_ENCRYPTION_KEY "
                "(was the key changed without keeping the old one after it?)"
            ) from None

    def rotate(self, stored: str) -> str:
        """The same text, encrypted again with the first key."""
        try:
            return self._fernet.rotate(stored.encode()).decode()
        except InvalidToken:
            raise UnreadableToken("a stored token cannot be decrypted with any key") from None


@dataclass(frozen=True)
class Rotation:
    rows: int  # installations re-encrypted with the first key
    changed_meanwhile: int  # rewritten by the bot during the run (already on the new key)


def reencrypt(records: InstallationRecords, cipher: TokenCipher) -> Rotation:
    """Encrypt every stored token again with the first key (``workspaces rotate-key``).

    Raises ``UnreadableToken`` before writing anything when a row cannot be decrypted
    with any key, so a mistyped key list changes nothing. A row the running bot
    rewrites meanwhile (a token refresh) is left as the bot wrote it, with the first
    key already.
    """
    rows = records.all()
    sealed = [(row, _rotated(cipher, row.bot_secrets), _rotated(cipher, row.user_secrets))
              for row in rows]  # fmt: skip
    done = sum(records.reseal(row, bot, user) for row, bot, user in sealed)
    return Rotation(done, len(rows) - done)


def _rotated(cipher: TokenCipher, stored: str | None) -> str | None:
    return cipher.rotate(stored) if stored else None


def unreadable(records: InstallationRecords, cipher: TokenCipher) -> int:
    """How many stored installations none of the keys opens (checked before serving)."""
    count = 0
    for row in records.all():
        try:
            for sealed in (row.bot_secrets, row.user_secrets):
                if sealed:
                    cipher.decrypt(sealed)
        except UnreadableToken:
            count += 1
    return count
