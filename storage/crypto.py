"""Encryption at rest for free-text columns (DESIGN §6).

Keys come from the `CASUSBOT_ENCRYPTION_KEYS` setting: a comma-separated list of Fernet keys,
newest first. New data is encrypted with the newest key; every listed key still decrypts, so a
key is rotated by putting a new one in front, re-encrypting (`KeyRing.rotate`), and only then
removing the old one. For development, a key is generated into the data dir when none is set.

Key material never appears in messages, logs or reprs: errors name the *position* of a bad key.
"""

from __future__ import annotations

import binascii
import contextlib
import logging
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

SETTING_NAME = "CASUSBOT_ENCRYPTION_KEYS"
KEY_FILE_NAME = "encryption.key"
GENERATE_KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class KeyConfigError(Exception):
    """The configured keys are missing, malformed or stored unsafely. Fix the configuration."""


class DecryptionError(Exception):
    """A stored value cannot be decrypted with any configured key."""


class KeyRing:
    """Fernet keys, newest first: encrypt with the newest, decrypt with any."""

    def __init__(self, keys: Sequence[str | bytes], *, source: str = SETTING_NAME) -> None:
        if not keys:
            raise KeyConfigError(f"{source} contains no keys")
        fernets = []
        for position, key in enumerate(keys, start=1):
            if not key:
                raise KeyConfigError(
                    f"key {position} of {len(keys)} in {source} is empty (check for a stray comma)"
                )
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError, binascii.Error):
                # Deliberately no `from` chain: the original exception may quote the key.
                raise KeyConfigError(
                    f"key {position} of {len(keys)} in {source} is not a valid Fernet key "
                    f"(32 url-safe base64-encoded bytes); generate one with: "
                    f"{GENERATE_KEY_COMMAND}"
                ) from None
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)
        self._count = len(fernets)

    def __repr__(self) -> str:
        return f"KeyRing(<{self._count} key(s)>)"

    @property
    def key_count(self) -> int:
        return self._count

    def encrypt(self, plaintext: str) -> str:
        return self._all.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise DecryptionError(
                "stored value cannot be decrypted with any key in the key ring "
                f"(was a key removed from {SETTING_NAME} before its data was rotated?)"
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` with the newest key (keeps its original timestamp)."""
        try:
            return self._all.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise DecryptionError(
                "cannot rotate: the value is not decryptable with any key in the key ring"
            ) from None

    def needs_rotation(self, token: str) -> bool:
        """True when `token` decrypts only with an older key; raises if no key decrypts it."""
        self.decrypt(token)  # DecryptionError when no key at all fits
        try:
            self._newest.decrypt(token.encode("ascii"))
        except InvalidToken:
            return True
        return False


def parse_keys(value: str, *, source: str = SETTING_NAME) -> KeyRing:
    """A key ring from a comma-separated list of keys, newest first."""
    return KeyRing([part.strip() for part in value.split(",")], source=source)


def load_key_ring(*, env_value: str | None, data_dir: Path, allow_generate: bool) -> KeyRing:
    """The key ring from the setting; else, when allowed, from a generated key in `data_dir`."""
    if env_value and env_value.strip():
        return parse_keys(env_value)
    if not allow_generate:
        raise KeyConfigError(
            f"{SETTING_NAME} is not set. Free text is encrypted at rest and needs a key: "
            f"generate one with {GENERATE_KEY_COMMAND} and set {SETTING_NAME} to it "
            "(to rotate later, put the new key first: new,old)."
        )
    return _load_or_create_key_file(data_dir / KEY_FILE_NAME)


def _load_or_create_key_file(path: Path) -> KeyRing:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if _create_key_file(path):
        log.warning(
            "generated a development encryption key in %s; set %s in production",
            path,
            SETTING_NAME,
        )
    return _read_key_file(path)


def _create_key_file(path: Path) -> bool:
    """Create the key file if absent; False when it already exists.

    The key is written to a private temporary file first and then hard-linked into place:
    link() never overwrites, so two processes starting together cannot each install a key
    (losing data encrypted with the other), and nobody ever reads a half-written file.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(Fernet.generate_key() + b"\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _read_key_file(path: Path) -> KeyRing:
    # O_NOFOLLOW and fstat on the open descriptor: the permissions checked are those of the
    # file actually read, not of whatever a symlink points to.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as error:
        raise KeyConfigError(f"cannot open key file {path}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        mode = os.fstat(file.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise KeyConfigError(f"key file {path} is not a regular file")
        if mode & 0o077:
            raise KeyConfigError(
                f"key file {path} is accessible to group or others "
                f"(mode {stat.S_IMODE(mode):04o}); anyone who can read it can read all case "
                f"notes. Restrict it with: chmod 600 {path}"
            )
        content = file.read().decode("ascii", errors="replace").strip()
    if not content:
        raise KeyConfigError(f"key file {path} is empty; delete it to generate a new key")
    return parse_keys(content, source=f"key file {path}")


# --------------------------------------------------------------------------------------------
# The column type

_active_key_ring: KeyRing | None = None


def set_active_key_ring(ring: KeyRing | None) -> None:
    """Install the process-wide key ring used by `EncryptedText` (None uninstalls it)."""
    global _active_key_ring
    _active_key_ring = ring


def active_key_ring() -> KeyRing:
    if _active_key_ring is None:
        raise RuntimeError(
            "no encryption key ring is active: call storage.crypto.set_active_key_ring("
            "load_key_ring(...)) at start-up before reading or writing encrypted columns"
        )
    return _active_key_ring


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with the active key ring on the way in, decrypted on the way out.

    Every encryption is randomised, so an encrypted column cannot be searched, compared or
    indexed in SQL: filter on other columns and keep such lookups out of free text.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return active_key_ring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return active_key_ring().decrypt(value)
