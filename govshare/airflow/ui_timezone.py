"""Airflow's UI in the platform's time zone.

Airflow 3's UI shows times in the browser's own zone until the user picks another in its user
menu (it keeps the choice in the browser's localStorage under ``timezone``); there is no
server setting for it. An operator's browser on a UTC machine would show every delivery eight
hours off from the DAGs' Asia/Shanghai schedules. This middleware, mounted on Airflow's
api-server by the govshare plugin, adds one line to the UI's HTML page: unless the user has
chosen a zone, Airflow's ``[core] default_timezone`` is it. A user's own choice still wins.
"""

from __future__ import annotations

import json

# Everything the api-server serves that is not the UI's page itself.
_NOT_THE_UI = ("/api/", "/execution/", "/govshare", "/static/", "/auth/", "/pluginsv2/")


def script(zone: str) -> bytes:
    key, value = json.dumps("timezone"), json.dumps(json.dumps(zone))
    return f"<script>localStorage.getItem({key})||localStorage.setItem({key},{value})</script>".encode()


class PlatformTimezone:
    """ASGI middleware: the UI's page gets :func:`script` for ``zone`` (default: Airflow's
    ``[core] default_timezone``) at the top of its ``<head>``."""

    def __init__(self, app, zone: str | None = None):
        self.app = app
        if zone is None:
            from airflow.configuration import conf

            zone = conf.get("core", "default_timezone", fallback="Asia/Shanghai")
        self.line = script(zone)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(_NOT_THE_UI):
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        body: list[bytes] = []

        async def rewrite(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html") or b"content-encoding" in headers:
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = b"".join(body).replace(b"<head>", b"<head>" + self.line, 1)
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, rewrite)
