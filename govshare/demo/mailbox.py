"""A local SMTP server for the demo: every message it receives is saved as an .eml file, so
the notifications the platform sends can be opened in any mail client."""

from __future__ import annotations

import json
import logging
import socket
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

from govshare import clock

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


class _SaveToFolder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.received: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(message)
        (self.folder / f"{len(self.received):03d}.eml").write_bytes(envelope.content)
        return "250 OK"


class Mailbox:
    """``with Mailbox(folder) as box:`` serves SMTP on 127.0.0.1:``box.port`` until the block ends,
    saving into ``folder`` (which must not hold mail yet: nothing received before is overwritten)."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.glob("*.eml")):
            raise FileExistsError(f"{folder} already holds mail: give each mailbox a folder of its own")
        self.folder = folder
        self.handler = _SaveToFolder(folder)
        with socket.socket() as probe:  # a free port, chosen by the OS
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @classmethod
    def for_run(cls, root: Path) -> Mailbox:
        """A mailbox in a new folder under ``root``, named by when this run started (Beijing
        time), so a rerun keeps every earlier run's mail."""
        stamp = f"{clock.now():%Y%m%d-%H%M%S}"
        folder, n = root / stamp, 1
        while folder.exists():
            n += 1
            folder = root / f"{stamp}-{n}"
        return cls(folder)

    @property
    def received(self) -> list:
        return self.handler.received

    @property
    def connection(self) -> str:
        """An Airflow SMTP connection to this mailbox, as ``AIRFLOW_CONN_<ID>`` takes it (JSON)."""
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {"disable_tls": True, "disable_ssl": True},
            }
        )

    def __enter__(self) -> Mailbox:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()
