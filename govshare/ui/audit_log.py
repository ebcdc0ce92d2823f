"""The audit log: whether the hash chain verifies, its latest anchor, and entries by subject.
Operators see every entry; an agency sees those about itself and its agreements."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from govshare import audit
from govshare.lifecycle import service
from govshare.registry import models as m
from govshare.registry.db import session
from govshare.ui.auth import Viewer
from govshare.ui.render import view

router = APIRouter()


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, viewer: Viewer, subject: str = "", limit: int = 200):
    with session() as s:
        query = select(m.AuditEntry).order_by(m.AuditEntry.seq.desc())
        if not viewer.is_operator:
            mine = [f"agreement:{a.code}" for a in service.visible(s, viewer.actor)] + [f"agency:{viewer.actor.name}"]
            query = query.where(m.AuditEntry.subject.in_(mine))
        if subject:
            query = query.where(m.AuditEntry.subject == subject.strip())
        entries = list(s.scalars(query.limit(min(max(limit, 1), 1000))))
        verdict = audit.verify(s) if viewer.is_operator else None
        anchor = s.scalars(
            select(m.AuditEntry).where(m.AuditEntry.action == "audit.anchor").order_by(m.AuditEntry.seq.desc())
        ).first()
    return view(request, viewer, "audit_index.html", entries=entries, verdict=verdict, anchor=anchor, subject=subject)
