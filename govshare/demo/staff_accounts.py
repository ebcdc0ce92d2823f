"""The demo's named agency staff, who sign in to the agency workspace (/govshare/ui).

Each gets a random password, written (mode 0600) to ``.govshare/demo-staff.json`` beside
Airflow's own generated password file; a rerun keeps the accounts and the file (an account
made by hand under one of these logins is left alone)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from govshare import staff
from govshare.demo import workflow
from govshare.registry.db import session

# login, agency, duties: the subscriber's clerk, the providers' reviewers, the competent department.
DEMO_STAFF = (
    ("li.na", "hb_mzt", ["requester"]),
    ("zhao.lei", "hb_gat", ["reviewer"]),
    ("wu.min", "hb_rst", ["reviewer"]),
    ("zhou.qiang", "hb_scjg", ["reviewer"]),
    ("chen.jing", "hb_sjj", ["approver"]),
)


def ensure(passwords: Path) -> dict[str, str]:
    """The demo's accounts and their passwords (created on a first run)."""
    known = json.loads(passwords.read_text()) if passwords.exists() else {}
    with session() as s:
        existing = {member.login for member in staff.members(s)}
        for login, agency, duties in DEMO_STAFF:
            if login in existing:  # from an earlier run (its password in the file), or made by hand
                continue
            known[login] = secrets.token_urlsafe(12)
            staff.add(s, login, login.replace(".", " ").title(), agency, duties, known[login], workflow.OPERATOR)
    passwords.parent.mkdir(parents=True, exist_ok=True)
    passwords.touch(mode=0o600)
    passwords.write_text(json.dumps(known, indent=2))
    return known
