"""`python -m bot rotate-keys`: after rotating, the old key can go and nothing is lost."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import text

from storage.crypto import KeyRing
from storage.db import Database
from tests.admin.conftest import SECRET_REPLY, SECRET_VIEW, Admin, seed_case


async def raw_tokens(db: Database) -> dict[str, list[str]]:
    """The stored ciphertexts as they are on disk, per table."""
    async with db.engine.connect() as conn:
        replies = (await conn.execute(text("SELECT text FROM contribution"))).scalars().all()
        views = (await conn.execute(text("SELECT text FROM involved_view"))).scalars().all()
    return {"contribution": list(replies), "involved_view": list(views)}


def readable_with(tokens: dict[str, list[str]], key: str) -> list[str]:
    ring = KeyRing([key])
    return [ring.decrypt(t) for values in tokens.values() for t in values]


def test_rotation_moves_every_value_to_the_new_key_and_the_old_key_can_go(admin: Admin) -> None:
    old = admin.env["CASUSBOT_ENCRYPTION_KEYS"]
    admin.db_call(lambda db: seed_case(db))
    new = Fernet.generate_key().decode()
    admin.set_env("CASUSBOT_ENCRYPTION_KEYS", f"{new},{old}")

    code, out, err = admin.run("rotate-keys", "--dry-run")
    assert code == 0, err
    assert "2 value(s) would be re-encrypted" in out
    before = admin.db_call(raw_tokens)
    assert readable_with(before, old)  # a dry run changed nothing

    code, out, err = admin.run("rotate-keys")
    assert code == 0, err
    # Counts per table, including the votes module's table nobody listed here by hand.
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1].islower()}
    assert lines["contribution"][:3] == ["1", "1", "0"]
    assert lines["involved_view"][:3] == ["1", "1", "0"]
    assert SECRET_REPLY not in out and new not in out and old not in out

    after = admin.db_call(raw_tokens)
    assert sorted(readable_with(after, new)) == sorted([SECRET_REPLY, SECRET_VIEW])

    # Running it again finds nothing to do: it is safe to repeat after an interruption.
    code, out, _ = admin.run("rotate-keys")
    assert code == 0 and "0 value(s) re-encrypted; 2 already current" in out
    assert "older key(s) may leave" in out


def test_a_value_no_configured_key_can_read_is_reported_in_one_line(admin: Admin) -> None:
    admin.db_call(lambda db: seed_case(db))
    stranger = Fernet.generate_key().decode()
    admin.set_env("CASUSBOT_ENCRYPTION_KEYS", stranger)
    code, out, err = admin.run("rotate-keys")
    assert code == 2
    assert err.count("\n") == 1 and "cannot be decrypted with any configured key" in err
    assert "Traceback" not in err + out
    assert stranger not in err + out
