"""Poll resources: questions, one response per beneficiary, aggregated results, free text."""

import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from app.models.consultation import ConsultationStatus, QuestionKind, Topic
from app.schemas.common import LocalizedText, MultilineText, Schema

MAX_QUESTIONS = 50
MIN_OPTIONS, MAX_OPTIONS = 2, 20
RATING_MIN, RATING_MAX = 1, 5
FREE_TEXT_MAX = 2000
CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})

OptionId = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9_-]{1,40}$"), Field(examples=["parks"])
]
Rating = Annotated[int, Field(ge=RATING_MIN, le=RATING_MAX, strict=True)]
FreeText = Annotated[MultilineText, Field(max_length=FREE_TEXT_MAX)]

VERSION_DESCRIPTION = (
    "The poll's version, for If-Match: the highest version of its questions. Every replacement "
    "writes all of its questions with the previous poll version + 1, so the version changes with "
    "each replacement; a poll without questions is version 0."
)


class OptionWrite(Schema):
    id: OptionId = Field(description="Stable within the question: a-z, 0-9, _ and -, 1-40 long.")
    label: LocalizedText


class QuestionWrite(Schema):
    """Choice questions carry 2-20 options with unique ids; rating (1-5) and free text none."""

    kind: QuestionKind
    prompt: LocalizedText
    options: list[OptionWrite] = Field(default_factory=list, max_length=MAX_OPTIONS)
    required: bool = True

    @model_validator(mode="after")
    def _options_fit_the_kind(self) -> Self:
        if self.kind in CHOICE_KINDS:
            if len(self.options) < MIN_OPTIONS:
                raise ValueError(f"a {self.kind.value} question needs {MIN_OPTIONS} to 20 options")
            ids = [option.id for option in self.options]
            if len(set(ids)) != len(ids):
                raise ValueError("option ids must be unique within a question")
        elif self.options:
            raise ValueError(f"a {self.kind.value} question has no options")
        return self


class PollQuestionsReplace(Schema):
    """The whole question list, in order; it replaces the current one."""

    questions: list[QuestionWrite] = Field(max_length=MAX_QUESTIONS)


class OptionRead(Schema):
    id: str
    label: LocalizedText


class QuestionRead(Schema):
    id: uuid.UUID
    position: int = Field(description="1-based order within the poll.")
    kind: QuestionKind = Field(description="A rating is answered with an integer from 1 to 5.")
    prompt: LocalizedText
    options: list[OptionRead]
    required: bool


class PollRead(Schema):
    consultation_id: uuid.UUID
    version: int = Field(description=VERSION_DESCRIPTION)
    questions: list[QuestionRead]


class AnswerWrite(Schema):
    """Exactly one of ``option_ids`` (choice questions), ``rating`` or ``text``."""

    question_id: uuid.UUID
    option_ids: list[OptionId] | None = Field(
        None,
        min_length=1,
        max_length=MAX_OPTIONS,
        description="Exactly one id for a single choice; one or more distinct ids otherwise.",
    )
    rating: Rating | None = None
    text: FreeText | None = Field(None, description="1-2000 characters, no control characters.")

    @model_validator(mode="after")
    def _exactly_one_value(self) -> Self:
        given = [value for value in (self.option_ids, self.rating, self.text) if value is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of option_ids, rating or text")
        return self


class PollResponseCreate(Schema):
    answers: list[AnswerWrite] = Field(min_length=1, max_length=MAX_QUESTIONS)


class AnswerRead(Schema):
    question_id: uuid.UUID
    option_ids: list[str] | None = None
    rating: int | None = None
    text: str | None = None


class PollResponseRead(Schema):
    """The caller's own response; nobody else's is ever returned."""

    id: uuid.UUID
    consultation_id: uuid.UUID
    submitted_at: dt.datetime
    answers: list[AnswerRead]


class OptionResult(Schema):
    id: str
    label: LocalizedText
    count: int | None = Field(description="Respondents who chose it; null when suppressed.")
    percentage: float | None = Field(
        description="Share of the question's respondents, one decimal; null when suppressed."
    )


class RatingBucket(Schema):
    value: int
    count: int


class RatingResult(Schema):
    mean: float | None = Field(description="Two decimals; null without ratings or suppressed.")
    distribution: list[RatingBucket] | None = Field(
        description="Counts for 1 to 5; null when suppressed."
    )


class QuestionResult(Schema):
    question_id: uuid.UUID
    position: int
    kind: QuestionKind
    prompt: LocalizedText
    respondents: int = Field(description="Respondents who answered this question.")
    suppressed: bool = Field(
        description="Public callers see no breakdown of a question fewer than 5 people answered."
    )
    options: list[OptionResult] | None = Field(description="Choice questions only.")
    rating: RatingResult | None = Field(description="Rating questions only.")
    free_text_count: int | None = Field(description="Free-text questions only.")


class PollResults(Schema):
    """Public once the consultation has closed, or while open when it shows live results;
    before then 404 ``poll_results_not_public`` for everyone but officers, who see every number.
    """

    consultation_id: uuid.UUID
    consultation_status: ConsultationStatus
    final: bool = Field(description="True once the consultation has closed.")
    respondents: int = Field(description="Everyone who responded to the poll.")
    questions: list[QuestionResult]


class FreeTextRead(Schema):
    """One free-text answer, with nothing that identifies who wrote it."""

    question_id: uuid.UUID
    text: str
    topic: Topic | None = Field(default=None, description="Classified at intake, as submissions.")
    subtopic: str | None = Field(default=None, examples=["tourism"])
