"""Who is signed in to the Airflow UI, from its session token (the ``_token`` cookie): operators
following a report link from the UI need no agency token."""

from __future__ import annotations


async def user_name(token: str) -> str | None:
    """The signed-in user's name, or None (no auth manager in this process, a bad or expired
    session)."""
    try:
        from airflow.api_fastapi.app import get_auth_manager  # only inside Airflow's api-server

        user = await get_auth_manager().get_user_from_token(token)
        return user.get_name()
    except Exception:
        return None
