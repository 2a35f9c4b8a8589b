"""Personal data at rest: Fernet tokens under the newest key, readable with any configured key."""

from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class PersonalDataCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def encrypt(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(orjson.dumps(value)).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            value = orjson.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken as exc:
            raise ValueError("personal data cannot be decrypted with the configured keys") from exc
        if not isinstance(value, dict):
            raise ValueError("stored personal data is not an object")
        return value

    def rotate(self, token: str) -> str:
        """Re-encrypt under the newest key (the first configured)."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")
