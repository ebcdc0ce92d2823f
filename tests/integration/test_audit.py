"""The audit log's hash chain: tampering of every kind is found and the first bad entry named."""

from __future__ import annotations

import json

import psycopg
import pytest

from govshare import audit
from govshare.registry.db import session
from tests.conftest import run_cli


@pytest.fixture
def logged(registry):
    """A registry whose audit log holds ten entries."""
    for n in range(1, 11):
        with session() as s:
            audit.append(s, "agency:hb_mzt", "agreement.submit", f"agreement:AGR-{n:04d}", {"n": n, "note": "申请"})
    return registry.replace("postgresql+psycopg://", "postgresql://")


def tamper(url: str, *statements: str) -> None:
    """Change the log behind the application's back, as a database owner could."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE govshare.audit_entry DISABLE TRIGGER audit_append_only")
        for statement in statements:
            conn.execute(statement)
        conn.execute("ALTER TABLE govshare.audit_entry ENABLE TRIGGER audit_append_only")


def verdict(anchor=None):
    with session() as s:
        return audit.verify(s, anchor)


def test_an_intact_log_verifies(logged):
    result = verdict()
    assert result.ok and result.entries == 10 and result.head_seq == 10
    done = run_cli("audit", "verify")
    assert done.returncode == 0 and "audit log intact: 10 entries" in done.stdout


def test_the_database_refuses_to_change_the_log(logged):
    for statement in (
        "UPDATE govshare.audit_entry SET actor = 'x'",
        "DELETE FROM govshare.audit_entry",
        "TRUNCATE govshare.audit_entry",
    ):
        with psycopg.connect(logged) as conn, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute(statement)


def test_an_edited_entry_is_found(logged):
    tamper(logged, """UPDATE govshare.audit_entry SET detail = '{"n": 4, "note": "改"}' WHERE seq = 4""")
    result = verdict()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "does not match its hash: its content was edited" in result.problem
    done = run_cli("audit", "verify")
    assert done.returncode == 1 and "first bad entry: 4" in done.stderr


def test_an_edited_and_rehashed_entry_breaks_the_next_link(logged):
    with session() as s:
        from govshare.registry import models as m

        entry = s.get(m.AuditEntry, 6)
        forged = audit.digest(entry.prev_hash, 6, entry.at, "agency:hb_gat", entry.action, entry.subject, entry.detail)
    tamper(logged, f"UPDATE govshare.audit_entry SET actor = 'agency:hb_gat', hash = '{forged}' WHERE seq = 6")
    result = verdict()
    assert (result.ok, result.first_bad_seq) == (False, 7)
    assert "entry 7 does not follow entry 6" in result.problem


def test_a_deleted_entry_is_found(logged):
    tamper(logged, "DELETE FROM govshare.audit_entry WHERE seq = 5")
    result = verdict()
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "entry 6 does not follow entry 4: an entry was deleted, inserted or moved here" == result.problem


def test_an_inserted_entry_is_found(logged):
    tamper(
        logged,
        "INSERT INTO govshare.audit_entry (seq, at, actor, action, subject, detail, prev_hash, hash) "
        "SELECT 35, at, 'operator:intruder', 'token.create', subject, detail, hash, md5('x') || md5('y') "
        "FROM govshare.audit_entry WHERE seq = 3",
        # put it between 3 and 4 by renumbering, as an insertion into the sequence would look
        "UPDATE govshare.audit_entry SET seq = seq + 100 WHERE seq >= 4 AND seq <= 10",
        "UPDATE govshare.audit_entry SET seq = 4 WHERE seq = 35",
    )
    result = verdict()
    assert not result.ok and result.first_bad_seq == 4


def test_reordered_entries_are_found(logged):
    tamper(
        logged,
        "UPDATE govshare.audit_entry SET seq = 1000 WHERE seq = 3",
        "UPDATE govshare.audit_entry SET seq = 3 WHERE seq = 8",
        "UPDATE govshare.audit_entry SET seq = 8 WHERE seq = 1000",
    )
    result = verdict()
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_a_cut_tail_is_found_with_an_anchor(logged, tmp_path):
    anchor_file = tmp_path / "anchor.json"
    assert run_cli("audit", "anchor", "--out", str(anchor_file)).returncode == 0
    anchor = json.loads(anchor_file.read_text())
    assert anchor["seq"] == 10
    tamper(logged, "DELETE FROM govshare.audit_entry WHERE seq >= 9")
    assert verdict().ok  # the chain alone cannot tell
    result = verdict(anchor)
    assert not result.ok and "the anchored entry 10 is missing or changed" in result.problem
    done = run_cli("audit", "verify", "--anchor", str(anchor_file))
    assert done.returncode == 1 and "cut or rewritten" in done.stderr


def test_token_changes_and_catalogue_filings_are_audited(applied, catalog_copy):
    from govshare import identity
    from tests.helpers import operator
    from tests.integration.test_registry import audit_tail, without_phone

    with session() as s:
        secret = identity.create_token(s, "hb_mzt", operator())
    with session() as s:
        identity.rotate_token(s, "hb_mzt", operator())
    with session() as s:
        identity.revoke_tokens(s, "hb_mzt", operator())
    without_phone(catalog_copy)
    assert run_cli("catalog", "apply", str(catalog_copy / "catalog")).returncode == 0
    actions = [(actor, action, subject) for actor, action, subject, _ in reversed(audit_tail(applied, 5))]
    me = str(operator())
    token = (me, "token.create", "agency:hb_mzt"), (me, "token.revoke", "agency:hb_mzt")
    assert actions[:4] == [*token, *token]  # created; rotated (the old one revoked, a new one made); revoked
    assert actions[4][1:] == ("catalog.file", "catalog:v2")
    assert secret not in json.dumps(audit_tail(applied, 5), ensure_ascii=False)  # the token itself is never logged
    assert verdict().ok
