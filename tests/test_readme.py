"""The README documents every stable error code and every setting."""

import re
import time
import uuid
from pathlib import Path
from typing import Any

from app.core.config import Settings
from app.core.i18n import CATALOGUE
from app.services import webhooks
from app.services.webhook_sending import Message, headers_for

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_error_code_is_documented() -> None:
    missing = [code for code in CATALOGUE if f"`{code}`" not in README]
    assert missing == []


def test_every_setting_is_documented() -> None:
    missing = [
        name for name in Settings.model_fields if f"`BENEFICIARY_{name.upper()}`" not in README
    ]
    assert missing == []


def _python_block_defining(name: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    (block,) = [block for block in blocks if f"def {name}(" in block]
    return block


def test_the_documented_receiver_verifies_a_real_delivery_and_nothing_else() -> None:
    namespace: dict[str, Any] = {}
    exec(_python_block_defining("verify"), namespace)  # noqa: S102 (the README's own example)
    verify = namespace["verify"]
    secret = webhooks.generate_secret()
    message = Message(event_id=str(uuid.uuid4()), body=b'{"type":"request.answered"}')
    now = int(time.time())
    headers = headers_for(secret, message, now)

    assert verify(secret, headers, message.body)
    assert not verify(secret, headers, message.body.replace(b"answered", b"refused"))
    assert not verify(webhooks.generate_secret(), headers, message.body)
    stale = headers_for(secret, message, now - 600)
    assert not verify(secret, stale, message.body)
