"""Encryption at rest: key ring, key configuration, and the EncryptedText column type."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import crypto
from storage.crypto import (
    GENERATE_KEY_COMMAND,
    KEY_FILE_NAME,
    DecryptionError,
    EncryptedText,
    KeyConfigError,
    KeyRing,
    load_key_ring,
    parse_keys,
    set_active_key_ring,
)

NOTE = "Moeder meldt dreiging door ex-partner; kinderen logeren bij oma. Zorg: hoog — één 😟"
POSTGRES_URL = os.environ.get("CASUSBOT_TEST_POSTGRES_URL")


def new_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch) -> KeyRing:
    """A key ring installed as the active one for this test only."""
    key_ring = KeyRing([new_key()])
    monkeypatch.setattr(crypto, "_active_key_ring", key_ring)
    return key_ring


# --------------------------------------------------------------------------------------------
# KeyRing


def test_round_trip_hides_the_plaintext() -> None:
    key_ring = KeyRing([new_key()])
    token = key_ring.encrypt(NOTE)
    assert "dreiging" not in token
    assert key_ring.decrypt(token) == NOTE
    # Randomised: equal notes do not produce equal tokens (no guessing by comparing rows).
    assert key_ring.encrypt(NOTE) != token


def test_a_different_key_cannot_read_the_data() -> None:
    token = KeyRing([new_key()]).encrypt(NOTE)
    with pytest.raises(DecryptionError, match="cannot be decrypted") as caught:
        KeyRing([new_key()]).decrypt(token)
    assert token not in str(caught.value)


@pytest.mark.parametrize("garbage", ["", "not a token", "gAAAAAB-broken", "ünïcode"])
def test_garbage_is_a_clear_decryption_error(garbage: str) -> None:
    with pytest.raises(DecryptionError):
        KeyRing([new_key()]).decrypt(garbage)


def test_old_data_still_decrypts_after_a_new_key_is_put_first() -> None:
    old, new = new_key(), new_key()
    token = KeyRing([old]).encrypt(NOTE)

    rotated_ring = KeyRing([new, old])
    assert rotated_ring.decrypt(token) == NOTE
    assert rotated_ring.needs_rotation(token)
    # Without the old key the old data is lost: that is why rotate() must run before removal.
    with pytest.raises(DecryptionError):
        KeyRing([new]).decrypt(token)

    rotated = rotated_ring.rotate(token)
    assert KeyRing([new]).decrypt(rotated) == NOTE
    assert not rotated_ring.needs_rotation(rotated)


def test_new_data_is_encrypted_with_the_newest_key() -> None:
    old, new = new_key(), new_key()
    token = KeyRing([new, old]).encrypt(NOTE)
    assert KeyRing([new]).decrypt(token) == NOTE
    with pytest.raises(DecryptionError):
        KeyRing([old]).decrypt(token)


def test_needs_rotation_refuses_foreign_tokens() -> None:
    foreign = KeyRing([new_key()]).encrypt(NOTE)
    with pytest.raises(DecryptionError):
        KeyRing([new_key()]).needs_rotation(foreign)
    with pytest.raises(DecryptionError):
        KeyRing([new_key()]).rotate(foreign)


def test_repr_does_not_show_keys() -> None:
    key = new_key()
    assert key not in repr(KeyRing([key, new_key()]))
    assert repr(KeyRing([key, new_key()])) == "KeyRing(<2 key(s)>)"


# --------------------------------------------------------------------------------------------
# Parsing the setting


def test_setting_with_spaces_around_commas_is_accepted() -> None:
    first, second = new_key(), new_key()
    token = KeyRing([second]).encrypt(NOTE)
    key_ring = parse_keys(f" {first} ,\t{second} ")
    assert key_ring.key_count == 2
    assert key_ring.decrypt(token) == NOTE


@pytest.mark.parametrize(
    ("bad", "position"),
    [("not-a-key", 2), ("c2VjcmV0LWJ1dC10b28tc2hvcnQ=", 2), ("", 2)],
)
def test_bad_key_names_its_position_but_never_the_key(bad: str, position: int) -> None:
    value = f"{new_key()},{bad},{new_key()}"
    with pytest.raises(KeyConfigError) as caught:
        parse_keys(value)
    message = str(caught.value)
    assert f"key {position} of 3" in message
    assert "CASUSBOT_ENCRYPTION_KEYS" in message
    if bad:
        assert bad not in message
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__


def test_a_truncated_key_is_not_printed() -> None:
    key = new_key()
    with pytest.raises(KeyConfigError, match="key 1 of 1") as caught:
        parse_keys(key[:-4])
    assert key[:-4] not in str(caught.value)
    assert GENERATE_KEY_COMMAND in str(caught.value)


# --------------------------------------------------------------------------------------------
# load_key_ring


def test_the_setting_wins_and_no_key_file_is_written(tmp_path: Path) -> None:
    key = new_key()
    key_ring = load_key_ring(env_value=key, data_dir=tmp_path, allow_generate=True)
    assert KeyRing([key]).decrypt(key_ring.encrypt(NOTE)) == NOTE
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("env_value", [None, "", "  "])
def test_missing_setting_without_generation_explains_what_to_do(
    tmp_path: Path, env_value: str | None
) -> None:
    with pytest.raises(KeyConfigError) as caught:
        load_key_ring(env_value=env_value, data_dir=tmp_path, allow_generate=False)
    message = str(caught.value)
    assert "CASUSBOT_ENCRYPTION_KEYS" in message
    assert GENERATE_KEY_COMMAND in message
    assert list(tmp_path.iterdir()) == []


def test_generated_key_file_is_owner_only_even_with_a_lax_umask(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    previous = os.umask(0)  # a umask must not be what keeps the key private
    try:
        key_ring = load_key_ring(env_value=None, data_dir=data_dir, allow_generate=True)
    finally:
        os.umask(previous)
    key_file = data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert KeyRing([key_file.read_text().strip()]).decrypt(key_ring.encrypt(NOTE)) == NOTE
    assert sorted(p.name for p in data_dir.iterdir()) == [KEY_FILE_NAME]  # no temp files left


def test_generated_key_is_reused_on_the_next_start(tmp_path: Path) -> None:
    first = load_key_ring(env_value="", data_dir=tmp_path, allow_generate=True)
    token = first.encrypt(NOTE)
    content = (tmp_path / KEY_FILE_NAME).read_bytes()

    second = load_key_ring(env_value="", data_dir=tmp_path, allow_generate=True)
    assert second.decrypt(token) == NOTE
    assert (tmp_path / KEY_FILE_NAME).read_bytes() == content


def test_processes_starting_together_agree_on_one_generated_key(tmp_path: Path) -> None:
    def start(_: int) -> KeyRing:
        return load_key_ring(env_value=None, data_dir=tmp_path, allow_generate=True)

    with ThreadPoolExecutor(max_workers=8) as pool:
        rings = list(pool.map(start, range(16)))
    tokens = [r.encrypt(NOTE) for r in rings]
    assert all(r.decrypt(t) == NOTE for r in rings for t in tokens)
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE_NAME]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    load_key_ring(env_value=None, data_dir=tmp_path, allow_generate=True)
    key_file = tmp_path / KEY_FILE_NAME
    key = key_file.read_text().strip()
    key_file.chmod(mode)
    with pytest.raises(KeyConfigError, match="chmod 600") as caught:
        load_key_ring(env_value=None, data_dir=tmp_path, allow_generate=True)
    assert key not in str(caught.value)
    assert key_file.read_text().strip() == key  # refused, not silently replaced


def test_a_symlinked_key_file_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.key"
    elsewhere.write_text(new_key())
    elsewhere.chmod(0o600)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / KEY_FILE_NAME).symlink_to(elsewhere)
    with pytest.raises(KeyConfigError, match="cannot open key file"):
        load_key_ring(env_value=None, data_dir=data_dir, allow_generate=True)


@pytest.mark.parametrize(("content", "problem"), [("", "is empty"), ("garbage\n", "key 1 of 1")])
def test_a_damaged_key_file_is_named(tmp_path: Path, content: str, problem: str) -> None:
    key_file = tmp_path / KEY_FILE_NAME
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(content)
    with pytest.raises(KeyConfigError, match=problem) as caught:
        load_key_ring(env_value=None, data_dir=tmp_path, allow_generate=True)
    assert str(key_file) in str(caught.value)


# --------------------------------------------------------------------------------------------
# EncryptedText in a database


def notes_table(name: str) -> Table:
    # Own MetaData, not SQLModel's: a test table must not join the application's schema.
    return Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("note", EncryptedText, nullable=True),
    )


def test_using_the_column_without_a_key_ring_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(crypto, "_active_key_ring", None)
    with pytest.raises(RuntimeError, match="set_active_key_ring"):
        EncryptedText().process_bind_param(NOTE, None)


def test_set_active_key_ring_is_what_the_column_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_active_key_ring", None)
    key_ring = KeyRing([new_key()])
    set_active_key_ring(key_ring)
    token = EncryptedText().process_bind_param(NOTE, None)
    assert token is not None
    assert key_ring.decrypt(token) == NOTE
    assert EncryptedText().process_result_value(token, None) == NOTE


async def _store_and_read_back(engine: AsyncEngine, table: Table) -> list[str | None]:
    """Write a note and a NULL, check the raw column, and return what reads back."""
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
        await conn.execute(insert(table), [{"id": 1, "note": NOTE}, {"id": 2, "note": None}])
    async with engine.connect() as conn:
        raw = (await conn.execute(text(f"SELECT note FROM {table.name} ORDER BY id"))).all()
        assert raw[0][0] != NOTE and "dreiging" not in raw[0][0]
        assert raw[0][0].startswith("gAAAAA")  # a Fernet token
        assert raw[1][0] is None
        return list((await conn.execute(select(table.c.note).order_by(table.c.id))).scalars())


def _bytes_of_files_starting_with(directory: Path, prefix: str) -> bytes:
    return b"".join(p.read_bytes() for p in directory.iterdir() if p.name.startswith(prefix))


async def test_sqlite_file_never_contains_the_plaintext(ring: KeyRing, tmp_path: Path) -> None:
    db_file = tmp_path / "notes.sqlite3"
    engine = create_async_engine(f"sqlite+aiosqlite:///{db_file}")
    try:
        assert await _store_and_read_back(engine, notes_table("notes")) == [NOTE, None]
    finally:
        await engine.dispose()
    stored = _bytes_of_files_starting_with(tmp_path, "notes")  # database, journal and WAL
    assert b"notes" in stored  # the table really is in the file we inspect
    assert b"dreiging" not in stored
    assert NOTE.encode() not in stored


async def test_postgresql_stores_only_ciphertext(ring: KeyRing) -> None:
    if not POSTGRES_URL:
        pytest.skip("CASUSBOT_TEST_POSTGRES_URL is not set (CI sets it)")
    url = POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)
    table = notes_table(f"crypto_test_{uuid.uuid4().hex[:12]}")
    engine = create_async_engine(url)
    try:
        assert await _store_and_read_back(engine, table) == [NOTE, None]
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.drop_all)
        await engine.dispose()


@pytest.fixture(autouse=True)
def _no_key_ring_leaks_between_tests() -> Iterator[None]:
    before = crypto._active_key_ring
    yield
    assert crypto._active_key_ring is before
