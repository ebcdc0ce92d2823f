"""Message and content ids of the platform's emails never look like an ID number: agencies'
mail gateways scan for 18-digit runs, and so do the leak tests."""

from __future__ import annotations

import base64

from govshare.airflow.mail import compose
from govshare.registry import models as m
from tests.helpers import ID_NUMBER

PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


def test_ids_in_an_email_carry_no_long_digit_runs():
    for n in range(300):  # email.utils.make_msgid's ids had one about every twentieth time
        message = m.Notification(
            id=n,
            subject="[govshare] test",
            recipients=["a@example.gov.cn"],
            body=f"<p>图</p><img src='data:image/png;base64,{PIXEL}'>",
            text_body="图",
        )
        mime = compose(message, None)
        ids = [mime["Message-ID"], *(part["Content-ID"] for part in mime.walk() if part["Content-ID"])]
        assert len(ids) == 2 and mime["Message-ID"].startswith(f"<govshare-{n}.")
        assert not any(ID_NUMBER.search(i) for i in ids), ids
