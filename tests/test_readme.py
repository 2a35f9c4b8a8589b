"""The README documents every stable error code and every setting."""

from pathlib import Path

from app.core.config import Settings
from app.core.i18n import CATALOGUE

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_error_code_is_documented() -> None:
    missing = [code for code in CATALOGUE if f"`{code}`" not in README]
    assert missing == []


def test_every_setting_is_documented() -> None:
    missing = [
        name for name in Settings.model_fields if f"`BENEFICIARY_{name.upper()}`" not in README
    ]
    assert missing == []
