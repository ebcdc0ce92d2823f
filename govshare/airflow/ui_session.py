"""Who is signed in to the Airflow UI, from its session token (the ``_token`` cookie): operators
following a link from the UI need no agency token.

Roles map by what the Airflow user may do, so the mapping holds for any auth manager: a user
who may change connections (Admin and Op, in both the simple and the FAB auth manager) is a
platform operator; any other signed-in user (User, Viewer) reads everything and acts on nothing.
"""

from __future__ import annotations

from govshare.identity import Actor


async def airflow_operator(token: str) -> Actor | None:
    """The signed-in Airflow user as an operator, or None (no auth manager in this process, a bad
    or expired session)."""
    try:
        from airflow.api_fastapi.app import get_auth_manager  # only inside Airflow's api-server

        manager = get_auth_manager()
        user = await manager.get_user_from_token(token)
        may_operate = manager.is_authorized_connection(method="PUT", user=user)
        return Actor.operator(f"airflow:{user.get_name()}", read_only=not may_operate)
    except Exception:
        return None
