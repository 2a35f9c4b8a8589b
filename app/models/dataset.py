"""Published datasets: the catalogue, distributions, releases on a schedule, keyword index."""

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, Versioned, search_index


class UpdateFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    IRREGULAR = "irregular"


class DatasetStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Dataset(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "datasets"
    __table_args__ = (
        search_index("datasets"),
        Index("ix_datasets_status_modified", "status", "updated_at", "id"),
        # Publishers' lists span every status: the order alone, without the leading status.
        Index("ix_datasets_updated_at_id", "updated_at", "id"),
        Index("ix_datasets_category", "category"),
        Index("ix_datasets_publisher", "publisher"),
        Index("ix_datasets_next_release_due", "next_release_due"),
    )

    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[dict[str, Any]]
    description: Mapped[dict[str, Any]]
    category: Mapped[str] = mapped_column(String(40))
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    publisher: Mapped[str] = mapped_column(String(100))  # organisation slug, e.g. CKAN's
    publisher_name: Mapped[dict[str, Any]]
    contact_name: Mapped[str] = mapped_column(String(200))  # an office, not a person
    contact_email: Mapped[str] = mapped_column(String(254))
    licence_id: Mapped[str] = mapped_column(String(40))
    update_frequency: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=DatasetStatus.DRAFT.value)
    published_at: Mapped[dt.datetime | None]
    archived_at: Mapped[dt.datetime | None]
    last_release_on: Mapped[dt.date | None] = mapped_column(Date)
    # Derived when a release is recorded or the dataset is published (null when irregular).
    next_release_due: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(255))
    search_text: Mapped[str] = mapped_column(Text, default="")


class DatasetKeyword(Base):
    """One row per keyword, normalised, so the keyword filter is an indexed lookup."""

    __tablename__ = "dataset_keywords"

    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    keyword: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class Distribution(UUIDPrimaryKey, Timestamps, Versioned, Base):
    __tablename__ = "dataset_distributions"
    __table_args__ = (Index("ix_dataset_distributions_format", "format", "dataset_id"),)

    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[dict[str, Any]]
    format: Mapped[str] = mapped_column(String(20))
    media_type: Mapped[str] = mapped_column(String(100))
    access_url: Mapped[str] = mapped_column(String(2000))
    download_url: Mapped[str | None] = mapped_column(String(2000))
    byte_size: Mapped[int | None] = mapped_column(BigInteger)  # files may exceed 2 GiB
    checksum_sha256: Mapped[str | None] = mapped_column(String(64))


class Release(UUIDPrimaryKey, Base):
    __tablename__ = "dataset_releases"
    __table_args__ = (UniqueConstraint("dataset_id", "released_on"),)

    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    released_on: Mapped[dt.date] = mapped_column(Date)
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
