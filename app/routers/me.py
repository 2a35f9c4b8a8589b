"""The caller's own account view."""

from fastapi import APIRouter

from app.dependencies import PrincipalDep
from app.schemas.me import MeRead
from app.schemas.problems import problem_responses

router = APIRouter(prefix="/v1/me", tags=["me"], responses=problem_responses(401))


@router.get("", summary="Who am I")
async def get_me(principal: PrincipalDep) -> MeRead:
    """Return the caller's sub, roles and effective permissions (any authenticated caller)."""
    return MeRead(
        sub=principal.sub,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
        name=principal.name,
        email=principal.email,
        beneficiary_category=principal.beneficiary_category,
        locale=principal.locale,
    )
