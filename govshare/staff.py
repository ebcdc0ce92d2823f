"""Named members of an agency's staff (article 14: the agency acts through its people): their
accounts, passwords and workspace sessions.

A password is kept only as a salted scrypt hash (memory-hard, in the standard library: no
extra dependency to pin). A session is a 256-bit random cookie whose SHA-256 is kept with its
expiry, so signing out, disabling a member or the clock passing ``session_hours`` ends it on
the server, whatever the browser still holds. Everything here is audited with the person.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare import audit, clock
from govshare.errors import NotAuthenticated, NotFound, RequestRefused, SignInLocked
from govshare.identity import Actor
from govshare.registry import models as m
from govshare.settings import setting

# scrypt with r=8, p=1 and N=2**password_cost (default 16: 64 MiB, about 0.1 s a check here,
# far beyond guessing at scale). Each hash keeps its own parameters, so raising the cost
# leaves existing hashes checkable; a member's moves to the new cost at their next sign-in.
_R, _P = 8, 1
LOCK_WINDOW = timedelta(minutes=15)  # failed sign-ins older than this no longer count
STAFF_DUTIES = ("requester", "reviewer", "approver")
SIGN_IN_REFUSED = NotAuthenticated("unknown login or wrong password", "check both, or ask the platform's operators")


def hash_password(password: str) -> str:
    salt, n = secrets.token_bytes(16), 2 ** setting("password_cost")
    digest = _scrypt(password, salt, n, _R, _P)
    return "$".join(("scrypt", str(n), str(_R), str(_P), _b64(salt), _b64(digest)))


def password_matches(password: str, stored: str) -> bool:
    kind, n, r, p, salt, digest = stored.split("$")
    again = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    return kind == "scrypt" and hmac.compare_digest(again, base64.b64decode(digest))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # scrypt needs 128 * r * n bytes; OpenSSL refuses more than maxmem (default 32 MiB).
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * r * n * p)


def _outdated(stored: str) -> bool:
    return stored.split("$")[1] != str(2 ** setting("password_cost"))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@functools.cache
def _dummy() -> str:
    """Checked when the login is unknown, so a refusal takes as long either way (made on first
    use: a hash costs 0.17 s, which every `govshare` command would pay at import)."""
    return hash_password(secrets.token_urlsafe(16))


def add(session: Session, login: str, name: str, agency_code: str, duties: list[str], password: str, by: Actor):
    """A new member of ``agency_code``'s staff."""
    if session.get(m.Agency, agency_code) is None:
        raise NotFound(f"unknown agency '{agency_code}'", "use a code from `govshare catalog agencies`")
    unknown = sorted(set(duties) - set(STAFF_DUTIES))
    if unknown:
        raise RequestRefused(f"unknown duties: {', '.join(unknown)}", f"choose from {', '.join(STAFF_DUTIES)}")
    if not login.strip() or login != login.strip().lower():
        raise RequestRefused(f"login {login!r} must be lower case, without spaces around it", "e.g. zhang.wei")
    if len(password) < 12:
        raise RequestRefused("the password is shorter than 12 characters", "choose a longer one")
    if session.scalars(select(m.StaffMember).where(m.StaffMember.login == login)).first():
        raise RequestRefused(f"login '{login}' is taken", "choose another login")
    member = m.StaffMember(
        login=login,
        name=name,
        agency_code=agency_code,
        duties=sorted(set(duties)),
        password_hash=hash_password(password),
        created_by=str(by),
    )
    session.add(member)
    session.flush()
    audit.append(session, str(by), "staff.add", f"agency:{agency_code}", {"login": login, "duties": member.duties})
    return member


def disable(session: Session, login: str, by: Actor) -> m.StaffMember:
    member = _member(session, login)
    member.disabled_at = clock.now()
    for live in _live_sessions(session, member.id):
        live.ended_at = member.disabled_at
    audit.append(session, str(by), "staff.disable", f"agency:{member.agency_code}", {"login": login})
    return member


def unlock(session: Session, login: str, by: Actor) -> m.StaffMember:
    """Let the member sign in again at once, whatever failed before (an operator's act, for an
    owner a guesser keeps locked out)."""
    member = _member(session, login)
    member.unlocked_at = clock.now()
    audit.append(session, str(by), "staff.unlock", f"agency:{member.agency_code}", {"login": login})
    return member


def members(session: Session, agency_code: str | None = None) -> list[m.StaffMember]:
    query = select(m.StaffMember).order_by(m.StaffMember.agency_code, m.StaffMember.login)
    if agency_code:
        query = query.where(m.StaffMember.agency_code == agency_code)
    return list(session.scalars(query))


def actor_of(session: Session, member: m.StaffMember) -> Actor:
    return Actor.of_agency(session.get(m.Agency, member.agency_code), member.login, frozenset(member.duties))


def sign_in(session: Session, login: str, password: str) -> tuple[str, Actor]:
    """A new session's cookie value and who it is, or NotAuthenticated (never saying which part
    was wrong); SignInLocked while the account's recent failures lock it. Refusals are audited
    by the caller (``refused_sign_in``)."""
    member = session.scalars(select(m.StaffMember).where(m.StaffMember.login == login)).first()
    if member is not None and (until := locked_until(session, member)):
        raise SignInLocked(
            f"this account takes no password after {setting('sign_in_attempts')} failed sign-ins"
            f" in {LOCK_WINDOW.seconds // 60} minutes",
            f"try again after {until.astimezone(clock.TIMEZONE):%H:%M} Beijing time, or ask the platform's operators"
            " to unlock it",
        )
    if not password_matches(password, member.password_hash if member else _dummy()) or member is None:
        raise SIGN_IN_REFUSED
    if member.disabled_at is not None or session.get(m.Agency, member.agency_code) is None:
        raise SIGN_IN_REFUSED
    if _outdated(member.password_hash):  # the right password: kept again at today's cost
        member.password_hash = hash_password(password)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    expires = now + timedelta(hours=setting("session_hours"))
    session.add(m.StaffSession(token_hash=_hash(token), member_id=member.id, created_at=now, expires_at=expires))
    actor = actor_of(session, member)
    audit.append(session, str(actor), "staff.sign_in", f"agency:{member.agency_code}", {"expires_at": str(expires)})
    return token, actor


def refused_sign_in(session: Session, login: str, locked: bool = False) -> None:
    """Audit a refused sign-in to a member's account. Attempts on logins nobody has are not
    audited, as the API does not audit requests without a valid token: they name no identity,
    and auditing them would let anyone fill the log. An attempt on a locked account is marked
    so, and does not count towards the lock (else a guesser could keep the owner out for good)."""
    member = session.scalars(select(m.StaffMember).where(m.StaffMember.login == login)).first()
    if member is not None:
        detail = {"action": "staff.sign_in", **({"locked": True} if locked else {})}
        audit.append(session, _who(member), "denied", f"agency:{member.agency_code}", detail)


def locked_until(session: Session, member: m.StaffMember) -> datetime | None:
    """When the account takes passwords again, or None if it does now: locked while its last
    ``sign_in_attempts`` sign-ins within the window all failed (read from the audit log, where
    each sign-in and each refusal is already recorded). Failures before an operator's unlock
    do not count."""
    attempts = setting("sign_in_attempts")
    since = clock.now() - LOCK_WINDOW
    if member.unlocked_at is not None and member.unlocked_at > since:
        since = member.unlocked_at
    e = m.AuditEntry
    recent = session.scalars(
        select(e)
        .where(
            e.actor == _who(member),
            e.at > since,
            (e.action == "staff.sign_in")
            | ((e.action == "denied") & (e.detail["action"].astext == "staff.sign_in") & ~e.detail.has_key("locked")),
        )
        .order_by(e.seq.desc())
        .limit(attempts)
    ).all()
    if len(recent) < attempts or any(entry.action == "staff.sign_in" for entry in recent):
        return None
    return recent[-1].at + LOCK_WINDOW


def _who(member: m.StaffMember) -> str:
    return f"agency:{member.agency_code}/{member.login}"


def session_actor(session: Session, token: str | None) -> Actor:
    """Who a session cookie belongs to, while it lasts; else NotAuthenticated."""
    refusal = NotAuthenticated("not signed in, or the session has ended", "sign in again")
    live = session.get(m.StaffSession, _hash(token)) if token else None
    if live is None or live.ended_at is not None or live.expires_at <= clock.now():
        raise refusal
    member = session.get(m.StaffMember, live.member_id)
    if member.disabled_at is not None or session.get(m.Agency, member.agency_code) is None:
        raise refusal
    return actor_of(session, member)


def sign_out(session: Session, token: str) -> None:
    live = session.get(m.StaffSession, _hash(token))
    if live is not None and live.ended_at is None:
        live.ended_at = clock.now()
        member = session.get(m.StaffMember, live.member_id)
        audit.append(
            session, f"agency:{member.agency_code}/{member.login}", "staff.sign_out", f"agency:{member.agency_code}", {}
        )


def csrf_token(secret: str) -> str:
    """The token every form of a session carries: derived from the session's secret cookie, so a
    page of another site, which cannot read the cookie, cannot forge it."""
    return hmac.new(secret.encode(), b"govshare-csrf", hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _member(session: Session, login: str) -> m.StaffMember:
    member = session.scalars(select(m.StaffMember).where(m.StaffMember.login == login)).first()
    if member is None:
        raise NotFound(f"no staff member '{login}'", "list them with `govshare staff list`")
    return member


def _live_sessions(session: Session, member_id: int) -> list[m.StaffSession]:
    query = select(m.StaffSession).where(m.StaffSession.member_id == member_id, m.StaffSession.ended_at.is_(None))
    return list(session.scalars(query))
