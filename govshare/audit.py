"""The tamper-evident audit log (article 18): every lifecycle action, refused action, catalogue
filing, token change and delivery, each entry chained to the one before by a SHA-256 hash.

An entry's hash covers its own content and the previous entry's hash, so editing an entry
breaks its own hash, and deleting, inserting or reordering entries breaks the link of the
entry after. The database refuses UPDATE, DELETE and TRUNCATE on the table (a trigger), but
the chain does not rely on that: it catches whoever can drop the trigger.

What a chain cannot show on its own is a cut tail (the newest entries removed) or a tail
rewritten with fresh hashes. For that the head of the log is *anchored* outside the
database: ``govshare audit anchor`` prints the newest entry's sequence number and hash (the
platform DAG ``platform_audit_anchor`` mails it to the competent department every day), and
``govshare audit verify --anchor FILE`` checks that this entry is still there with that hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from govshare import clock
from govshare.registry import models as m

GENESIS = "0" * 64


def _canonical(detail: dict) -> dict:
    # What JSONB gives back is what gets hashed: round-trip through JSON once, up front.
    return json.loads(json.dumps(detail, ensure_ascii=False, default=str))


def digest(prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str, detail: dict) -> str:
    content = json.dumps(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "subject": subject,
            "detail": detail,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def append(session: Session, actor: str, action: str, subject: str, detail: dict | None = None) -> m.AuditEntry:
    """Add an entry in the caller's transaction: it commits with the action it records."""
    # Appends must be strictly sequential for the chain; the lock is held until commit.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('govshare.audit'))"))
    last = _head(session)
    prev_hash = last.hash if last else GENESIS
    seq = session.execute(text("SELECT nextval(pg_get_serial_sequence('govshare.audit_entry', 'seq'))")).scalar_one()
    at = clock.now().astimezone(UTC)
    detail = _canonical(detail or {})
    entry = m.AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        detail=detail,
        prev_hash=prev_hash,
        hash=digest(prev_hash, seq, at, actor, action, subject, detail),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    head_seq: int | None
    head_hash: str | None
    first_bad_seq: int | None = None
    problem: str = ""


def verify(session: Session, anchor: dict | None = None) -> Verdict:
    """Walk the chain from the first entry; name the first entry that does not check out."""
    prev_hash, count, last = GENESIS, 0, None
    for entry in session.scalars(select(m.AuditEntry).order_by(m.AuditEntry.seq)).yield_per(1000):
        count += 1
        if entry.prev_hash != prev_hash:
            after = f"entry {last.seq}" if last else "the start of the log"
            return Verdict(
                False,
                count,
                None,
                None,
                entry.seq,
                f"entry {entry.seq} does not follow {after}: an entry was deleted, inserted or moved here",
            )
        expected = digest(entry.prev_hash, entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.detail)
        if expected != entry.hash:
            return Verdict(
                False,
                count,
                None,
                None,
                entry.seq,
                f"entry {entry.seq} does not match its hash: its content was edited",
            )
        prev_hash, last = entry.hash, entry
    if anchor is not None and int(anchor["seq"]) > 0:
        anchored = session.get(m.AuditEntry, int(anchor["seq"]))
        if anchored is None or anchored.hash != anchor["hash"]:
            return Verdict(
                False,
                count,
                last.seq if last else None,
                prev_hash,
                int(anchor["seq"]),
                f"the anchored entry {anchor['seq']} is missing or changed: the log was cut or rewritten after it",
            )
    return Verdict(True, count, last.seq if last else None, prev_hash if last else None)


def anchor(session: Session) -> dict:
    """The head of the log, to keep somewhere the database's owners cannot rewrite."""
    head = _head(session)
    if head is None:
        return {"seq": 0, "hash": GENESIS, "at": None}
    return {"seq": head.seq, "hash": head.hash, "at": head.at.astimezone(UTC).isoformat()}


def _head(session: Session) -> m.AuditEntry | None:
    """The newest entry of the log."""
    return session.scalars(select(m.AuditEntry).order_by(m.AuditEntry.seq.desc()).limit(1)).first()
