"""Public facts about this deployment, used by the bot's greeting and the widget."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SettingsDep
from api.schemas import AssistantInfo

router = APIRouter(prefix="/api/v1", tags=["assistant"])


@router.get("/assistant", response_model=AssistantInfo, summary="Name, province and office hours of this deployment")
def assistant_info(settings: SettingsDep) -> AssistantInfo:
    return AssistantInfo(name=settings.assistant_name, province=settings.province_name,
                         office_hours=settings.office_hours)
