"""The agreement lifecycle of article 13, as one table: which action moves an agreement from
which states to which, and who may take it. Everything else asks this module.

    draft → submitted → agreed | refused            (provider review; unconditional: agreed at once)
    submitted → coordination                        (the provider let the deadline pass)
    refused → coordination → agreed | joint_decision (competent department)
    joint_decision → approved | rejected            (competent, staffing and secrecy departments)
    agreed | approved → filed → active              (competent department files; platform activates)
    active ⇄ suspended;  active | suspended → revoked;  active → expired
"""

from __future__ import annotations

from dataclasses import dataclass

from govshare.identity import Role
from govshare.registry.statuses import AgreementStatus


@dataclass(frozen=True)
class Move:
    action: str
    sources: frozenset[AgreementStatus]
    target: AgreementStatus | None  # None: the outcome depends on the action's content (a joint vote)
    roles: frozenset[Role]
    meaning: str
    # A standing power over a running agreement (suspend, resume, revoke, expire): open to its
    # holders for as long as the agreement runs, so it is never the step the agreement awaits
    # and puts nothing in anyone's "awaiting my action" queue.
    standing: bool = False


def _move(
    action: str,
    sources: set[AgreementStatus],
    target: AgreementStatus | None,
    roles: set[Role],
    meaning: str,
    *,
    standing: bool = False,
) -> Move:
    return Move(action, frozenset(sources), target, frozenset(roles), meaning, standing)


S, R = AgreementStatus, Role
MOVES: tuple[Move, ...] = (
    _move("submit", {S.DRAFT}, S.SUBMITTED, {R.SUBSCRIBER}, "the subscriber sends its request to the provider"),
    _move("agree", {S.SUBMITTED}, S.AGREED, {R.PROVIDER, R.SYSTEM}, "the provider agrees (automatic if unconditional)"),
    _move("refuse", {S.SUBMITTED}, S.REFUSED, {R.PROVIDER, R.SYSTEM}, "refused (automatic if not_shared)"),
    _move("escalate", {S.REFUSED}, S.COORDINATION, {R.SUBSCRIBER, R.COMPETENT}, "a refusal goes to coordination"),
    _move("escalate", {S.SUBMITTED}, S.COORDINATION, {R.SYSTEM}, "the provider did not answer in time"),
    _move("coordinate", {S.COORDINATION}, S.AGREED, {R.COMPETENT}, "coordination settles the request"),
    _move("refer", {S.COORDINATION}, S.JOINT_DECISION, {R.COMPETENT}, "coordination failed: joint decision"),
    _move(
        "decide", {S.JOINT_DECISION}, None, {R.COMPETENT, R.STAFFING, R.SECRECY, R.SYSTEM}, "joint vote, then outcome"
    ),
    _move("file", {S.AGREED, S.APPROVED}, S.FILED, {R.COMPETENT}, "the competent department files the agreement"),
    _move("activate", {S.FILED}, S.ACTIVE, {R.OPERATOR}, "access is authorised: deliveries start"),
    _move("suspend", {S.ACTIVE}, S.SUSPENDED, {R.OPERATOR, R.COMPETENT, R.SYSTEM}, "deliveries pause", standing=True),
    _move("resume", {S.SUSPENDED}, S.ACTIVE, {R.OPERATOR, R.COMPETENT}, "deliveries resume", standing=True),
    _move(
        "revoke",
        {S.ACTIVE, S.SUSPENDED},
        S.REVOKED,
        {R.OPERATOR, R.COMPETENT, R.SUBSCRIBER},
        "ended for good",
        standing=True,
    ),
    _move("expire", {S.ACTIVE}, S.EXPIRED, {R.SYSTEM}, "the agreement reached its end date", standing=True),
)
JOINT_DEPARTMENTS = (R.COMPETENT, R.STAFFING, R.SECRECY)


def moves_from(status: AgreementStatus) -> list[Move]:
    return [m for m in MOVES if status in m.sources]


def find(action: str, status: AgreementStatus) -> Move | None:
    return next((m for m in MOVES if m.action == action and status in m.sources), None)


def allowed_here(status: AgreementStatus) -> str:
    names = sorted({m.action for m in moves_from(status)})
    return ", ".join(names) if names else "none (it is final)"


def possible_for(status: AgreementStatus, held: set[Role]) -> str:
    """What an actor acting in the roles ``held`` may do now, for a refusal's fix: only its
    own moves (a subscriber is not told it may suspend), or whose move the agreement awaits."""
    moves = moves_from(status)
    if not moves:
        return "none (it is final)"
    mine = sorted({m.action for m in moves if m.roles & held})
    if mine:
        return ", ".join(mine)
    others = sorted({r.value for m in moves for r in m.roles} - {Role.SYSTEM})
    return (
        f"nothing by you; only the {' or '.join(others)} may act now"
        if others
        else "nothing by you; the platform moves it on"
    )
