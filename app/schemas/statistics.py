"""Public statistics: every figure with its suppression flag, grouped figures, the period.

Group models list every key as a required field, so a group with no items still appears (as
zero) and the contract names the keys.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import Schema
from app.services import aggregates


class Figure(Schema):
    """A published figure. ``value`` is null when suppressed (a group of 1 to 4, or a rate or
    median resting on fewer than 5 items) and, unsuppressed, when there is nothing to measure
    (a rate over zero items)."""

    value: int | float | None
    suppressed: bool

    @classmethod
    def of(cls, figure: aggregates.Figure) -> Self:
        return cls(value=figure.value, suppressed=figure.suppressed)


class Groups(Schema):
    """Figures per group; every field is a Figure (the CSV lists one row per group)."""


class FiguresByOutcome(Groups):
    answered: Figure
    partially_answered: Figure
    refused: Figure
    not_held: Figure


class FiguresByLegalGround(Groups):
    national_security: Figure
    protected_personal_data: Figure
    classified_record: Figure
    other_law: Figure


class FiguresByChannel(Groups):
    tafaul: Figure
    website: Figure
    mobile_app: Figure
    social_media: Figure
    portal_form: Figure
    email: Figure


class FiguresByTopic(Groups):
    government_services: Figure
    development_initiatives: Figure
    strategic_plans_infrastructure: Figure
    local_policies_regulations: Figure
    unclassified: Figure = Field(description="Inputs with no topic (not yet classified).")


class FiguresByCategory(Groups):
    development_plans: Figure
    services_procedures: Figure
    open_data: Figure
    reports_statistics: Figure
    regulations_decisions: Figure
    other: Figure


class Period(Schema):
    """The calendar month or year in the service's time zone, as a half-open interval."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    year: int
    month: int | None = Field(description="Null for a whole year.")
    from_: dt.datetime = Field(alias="from", description="First instant of the period.")
    to: dt.datetime = Field(description="First instant after the period (excluded).")


class InformationRequestStatistics(Schema):
    """How requests and appeals were handled in the period, and the open workload now."""

    period: Period
    generated_at: dt.datetime
    received: Figure = Field(description="Requests received in the period.")
    decided: Figure = Field(
        description="Requests decided in the period (answered, partially answered, refused or "
        "not held), by their latest decision."
    )
    by_outcome: FiguresByOutcome = Field(description="The decided requests per outcome.")
    refusals_by_legal_ground: FiguresByLegalGround = Field(
        description="Refused or partially answered requests decided in the period that cite "
        "each legal ground (a request citing two grounds counts under both)."
    )
    on_time_rate: Figure = Field(
        description="Share of the decided requests decided by their due date."
    )
    median_working_days_to_decision: Figure = Field(
        description="Median working days elapsed from the start day to the decision date, "
        "clarification pauses included."
    )
    open_now: Figure = Field(
        description="Requests submitted, in progress or awaiting clarification now."
    )
    overdue_now: Figure = Field(
        description="Requests submitted or in progress now whose due date has passed."
    )
    appeals_filed: Figure = Field(description="Appeals received in the period.")
    appeals_decided: Figure = Field(description="Appeals decided in the period.")
    upheld_rate: Figure = Field(
        description="Share of the appeals decided in the period upheld in whole or in part."
    )


class ProactiveDisclosure(Schema):
    """The dataset catalogue now: published datasets and those whose next release is late."""

    as_of: dt.date = Field(description="Today in the service's time zone.")
    datasets_published: Figure
    releases_overdue: Figure
    published_by_category: FiguresByCategory
    release_overdue_by_category: FiguresByCategory


class ParticipationStatistics(Schema):
    """Consultations, input and feedback in the year, and proactive disclosure now."""

    period: Period
    generated_at: dt.datetime
    consultations_held: Figure = Field(
        description="Published, not cancelled consultations that opened in the year."
    )
    submissions_by_channel: FiguresByChannel = Field(
        description="Inputs received in the year (withdrawn ones excluded), per channel."
    )
    submissions_by_topic: FiguresByTopic = Field(
        description="The same inputs per topic (the officer's override, else the automatic one)."
    )
    feedback_reports_published: Figure = Field(
        description="Feedback reports published in the year."
    )
    feedback_reports_on_time: Figure = Field(
        description="Those published within the feedback period."
    )
    feedback_on_time_rate: Figure
    median_days_to_feedback: Figure = Field(
        description="Median calendar days from the consultation's closing date to the "
        "report's publication date."
    )
    share_of_inputs_adopted: Figure = Field(
        description="Decided suggestions and comments received in the year that were adopted "
        "or partially adopted, over all decided suggestions and comments received in the year."
    )
    proactive_disclosure: ProactiveDisclosure


FigureRow = tuple[str, str, Figure]


def figure_rows(document: BaseModel, prefix: str = "") -> Iterator[FigureRow]:
    """``(figure, group, Figure)`` for every figure, in field order; nested names are dotted."""
    for name, value in document:
        if isinstance(value, Figure):
            yield f"{prefix}{name}", "", value
        elif isinstance(value, Groups):
            yield from ((f"{prefix}{name}", group, figure) for group, figure in value)
        elif isinstance(value, BaseModel):
            yield from figure_rows(value, f"{prefix}{name}.")
