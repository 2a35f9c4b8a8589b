"""The caller's own identity as the service understands it."""

from pydantic import Field

from app.core.security import Permission, Role
from app.schemas.common import Schema


class MeRead(Schema):
    sub: str = Field(description="The caller's stable id from the token.")
    roles: list[Role] = Field(description="Known roles from the token; unknown ones are ignored.")
    permissions: list[Permission] = Field(description="Everything those roles allow.")
    name: str | None = None
    email: str | None = None
    beneficiary_category: str | None = None
    locale: str | None = None
