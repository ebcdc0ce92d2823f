"""Who is acting (article 14): agencies with API tokens, platform operators, the platform itself.

An agency proves who it is with its own token; the registry keeps only the token's SHA-256.
Operators act through the CLI on the platform's host, which is their authentication. What an
identity may do is decided per agreement by ``roles``: deny by default, an agreement is the
only grant.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare import audit, clock
from govshare.errors import NotAuthenticated, NotFound, Remedy
from govshare.registry import models as m


class Role(StrEnum):
    SUBSCRIBER = "subscriber"
    PROVIDER = "provider"
    COMPETENT = "competent_department"
    STAFFING = "staffing_department"
    SECRECY = "secrecy_department"
    OPERATOR = "operator"
    SYSTEM = "system"  # the platform itself: deadlines, expiry, catalogue changes


TOKEN_PREFIX = "gs_"
_AGENCY_ROLES = {
    "competent_department": Role.COMPETENT,
    "staffing_department": Role.STAFFING,
    "secrecy_department": Role.SECRECY,
    "resource_centre": Role.OPERATOR,
}
_JURISDICTION_DIGITS = {"province": 2, "city": 4, "county": 6}


# What a named member of an agency's staff may do in the agency's name, by the roles the agency
# holds: a requester speaks as the subscriber, a reviewer as the provider or the authoritative
# source, an approver for an oversight department. Everyone who may sign in may read.
DUTIES: dict[str, frozenset[str]] = {
    "requester": frozenset({"subscriber"}),
    "reviewer": frozenset({"provider", "authority"}),
    "approver": frozenset({"competent_department", "staffing_department", "secrecy_department"}),
    "operator": frozenset({"operator"}),
}


@dataclass(frozen=True)
class Actor:
    kind: str  # "agency", "operator" or "system"
    name: str  # agency code, operator login, or "platform"
    agency_kind: str | None = None
    level: str | None = None
    region_code: str | None = None
    person: str | None = None  # the signed-in member of the agency's staff, if a person acts
    duties: frozenset[str] | None = None  # None: every role it holds (a system account, an operator)

    @classmethod
    def of_agency(cls, agency: m.Agency, person: str | None = None, duties: frozenset[str] | None = None) -> Actor:
        return cls("agency", agency.code, agency.kind, agency.level, agency.region_code, person, duties)

    @classmethod
    def operator(cls, login: str, read_only: bool = False) -> Actor:
        return cls("operator", login, duties=frozenset() if read_only else None)

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "platform")

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" + (f"/{self.person}" if self.person else "")

    def acting(self, held: set) -> set:
        """The roles in ``held`` this actor may act in (all of them, unless its duties say less)."""
        if self.duties is None:
            return set(held)
        allowed = set().union(*(DUTIES.get(duty, frozenset()) for duty in self.duties))
        return {role for role in held if str(role) in allowed}

    def may_act_as(self, role: str) -> bool:
        return bool(self.acting({role}))

    def governs(self, region_code: str) -> bool:
        """Whether a department of this level and region oversees an agency in ``region_code``."""
        digits = _JURISDICTION_DIGITS.get(self.level or "", 6)
        return bool(self.region_code) and self.region_code[:digits] == region_code[:digits]


def roles(session: Session, actor: Actor, agreement: m.Agreement) -> set[Role]:
    """Every role ``actor`` holds towards ``agreement``; empty means it may do nothing with it."""
    if actor.kind == "system":
        return {Role.SYSTEM}
    if actor.kind == "operator":
        return {Role.OPERATOR}
    held: set[Role] = set()
    resource = session.get(m.Resource, agreement.resource_code)
    if actor.name == agreement.subscriber_code:
        held.add(Role.SUBSCRIBER)
    if resource is not None and actor.name == resource.provider_code:
        held.add(Role.PROVIDER)
    oversight = _AGENCY_ROLES.get(actor.agency_kind or "")
    subscriber = session.get(m.Agency, agreement.subscriber_code)
    if oversight is not None and (oversight == Role.OPERATOR or (subscriber and actor.governs(subscriber.region_code))):
        held.add(oversight)
    return held


def may_read(session: Session, actor: Actor, agreement: m.Agreement) -> bool:
    return bool(roles(session, actor, agreement))  # the platform itself holds SYSTEM on every agreement


# --- tokens -------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, agency_code: str, by: Actor, member: str | None = None) -> str:
    """A new token for a system account of the agency, or for one named ``member`` of its staff
    (who then acts with their own duties); shown once, stored only as a hash."""
    if session.get(m.Agency, agency_code) is None:
        raise NotFound(f"unknown agency '{agency_code}'", "use a code from `govshare catalog agencies`")
    member_id = None
    if member is not None:
        found = session.scalars(
            select(m.StaffMember).where(m.StaffMember.login == member, m.StaffMember.agency_code == agency_code)
        ).first()
        if found is None:
            raise NotFound(f"no staff member '{member}' of {agency_code}", "list them with `govshare staff list`")
        member_id = found.id
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = m.AgencyToken(
        agency_code=agency_code, token_hash=_hash(token), prefix=token[:10], created_by=str(by), member_id=member_id
    )
    session.add(row)
    session.flush()
    detail = {"token_id": row.id, "prefix": row.prefix, "member": member}
    audit.append(session, str(by), "token.create", f"agency:{agency_code}", detail)
    return token


def revoke_tokens(session: Session, agency_code: str, by: Actor, token_id: int | None = None) -> int:
    """Revoke the agency's live tokens (or just one); returns how many."""
    query = select(m.AgencyToken).where(m.AgencyToken.agency_code == agency_code, m.AgencyToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(m.AgencyToken.id == token_id)
    revoked = 0
    now = clock.now()
    for row in session.scalars(query.with_for_update()):
        row.revoked_at = now
        revoked += 1
        audit.append(session, str(by), "token.revoke", f"agency:{agency_code}", {"token_id": row.id})
    return revoked


def rotate_token(session: Session, agency_code: str, by: Actor) -> str:
    """Revoke every live token of the agency and issue a new one, in one transaction."""
    revoke_tokens(session, agency_code, by)
    return create_token(session, agency_code, by)


def tokens(session: Session, agency_code: str | None = None) -> list[m.AgencyToken]:
    query = select(m.AgencyToken).order_by(m.AgencyToken.agency_code, m.AgencyToken.id)
    if agency_code:
        query = query.where(m.AgencyToken.agency_code == agency_code)
    return list(session.scalars(query))


def authenticate(session: Session, token: str | None) -> Actor:
    """The agency a token belongs to, or NotAuthenticated (without saying which check failed)."""
    refusal = NotAuthenticated("missing, unknown or revoked token", remedy=Remedy(token=True))
    if not token or not token.startswith(TOKEN_PREFIX):
        raise refusal
    row = session.scalars(
        select(m.AgencyToken).where(m.AgencyToken.token_hash == _hash(token), m.AgencyToken.revoked_at.is_(None))
    ).first()
    agency = session.get(m.Agency, row.agency_code) if row else None
    if agency is None:  # the agency may have left the catalogue since its token was issued
        raise refusal
    member = session.get(m.StaffMember, row.member_id) if row.member_id is not None else None
    if member is not None and member.disabled_at is not None:
        raise refusal
    row.last_used_at = clock.now()
    if member is None:
        return Actor.of_agency(agency)
    return Actor.of_agency(agency, member.login, frozenset(member.duties))
