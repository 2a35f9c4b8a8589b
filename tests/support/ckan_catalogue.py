"""A small catalogue for the CKAN tests, written through the ORM: three published datasets, a
draft and an archived one (whose publisher, keywords and formats must never show)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from app.core.db import Database
from app.core.text import search_text
from app.models.dataset import Dataset, DatasetKeyword, Distribution
from app.services.datasets import keyword_key

TRAFFIC = {"ar": "إدارة المرور بمنطقة عسير", "en": "Asir Traffic Department"}
MUNICIPALITY = {"ar": "أمانة منطقة عسير", "en": "Asir Municipality"}


@dataclass
class Spec:
    slug: str
    title: dict[str, str]
    category: str
    keywords: list[str]
    publisher: str
    publisher_name: dict[str, str]
    formats: Sequence[str]
    modified: datetime
    status: str = "published"
    licence_id: str = "CC-BY-4.0"
    update_frequency: str = "monthly"
    next_release_due: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def at(day: int, hour: int = 8) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


CATALOGUE = [
    Spec(
        "road-accidents",
        {"ar": "حوادث الطرق في منطقة عسير", "en": "Road accidents in Asir"},
        "reports_statistics",
        ["السلامة المرورية", "roads"],
        "traffic-department",
        TRAFFIC,
        ["CSV", "JSON"],
        at(10),
        next_release_due=date(2026, 4, 10),
    ),
    Spec(
        "abha-parks",
        {"ar": "حدائق أبها العامة", "en": "Public parks of Abha"},
        "open_data",
        ["حدائق", "بيئة"],
        "asir-municipality",
        MUNICIPALITY,
        ["CSV", "GEOJSON"],
        at(12),
        update_frequency="irregular",
    ),
    Spec(
        "development-plan",
        {"ar": "خطة التنمية الإقليمية", "en": "Regional development plan"},
        "development_plans",
        ["تنمية"],
        "asir-municipality",
        MUNICIPALITY,
        ["PDF"],
        at(1),
        licence_id="CC0-1.0",
        next_release_due=date(2026, 3, 1),  # late on 2026-03-15
    ),
    Spec(
        "draft-budget",
        {"ar": "مسودة الميزانية", "en": "Draft budget"},
        "reports_statistics",
        ["roads", "ميزانية"],
        "finance-office",
        {"ar": "مكتب المالية", "en": "Finance office"},
        ["XLSX"],
        at(14),
        status="draft",
    ),
    Spec(
        "old-census",
        {"ar": "تعداد قديم للطرق", "en": "Old road census"},
        "open_data",
        ["roads"],
        "traffic-department",
        {"ar": "اسم قديم", "en": "Old name"},
        ["CSV", "ZIP"],
        at(13),
        status="archived",
    ),
]
PUBLISHED = ["abha-parks", "development-plan", "road-accidents"]


def dataset_of(spec: Spec) -> Dataset:
    description = {"ar": f"وصف {spec.title['ar']}", "en": f"About {spec.title['en']}"}
    texts = [*spec.title.values(), *description.values(), *spec.keywords]
    return Dataset(
        slug=spec.slug,
        title=spec.title,
        description=description,
        category=spec.category,
        keywords=spec.keywords,
        publisher=spec.publisher,
        publisher_name=spec.publisher_name,
        contact_name="مكتب البيانات المفتوحة",
        contact_email="opendata@asir.example.sa",
        licence_id=spec.licence_id,
        update_frequency=spec.update_frequency,
        status=spec.status,
        published_at=None if spec.status == "draft" else at(1),
        next_release_due=spec.next_release_due,
        last_release_on=date(2026, 3, 10) if spec.next_release_due else None,
        created_by="publisher-1",
        search_text=search_text(*texts),
        created_at=at(1),
        updated_at=spec.modified,
        **spec.extra,
    )


def distribution_of(dataset: Dataset, format_name: str, position: int) -> Distribution:
    extension = format_name.lower()
    return Distribution(
        dataset_id=dataset.id,
        title={"ar": f"ملف {format_name}", "en": f"{format_name} file"},
        format=format_name,
        media_type="text/csv" if format_name == "CSV" else "application/octet-stream",
        access_url=f"https://data.asir.example.sa/{dataset.slug}",
        download_url=f"https://data.asir.example.sa/{dataset.slug}.{extension}",
        byte_size=1024 * (position + 1),
        checksum_sha256="ab" * 32,
        created_at=at(1, 8 + position),
        updated_at=at(1, 8 + position),
    )


async def seed(database: Database, specs: Sequence[Spec] = CATALOGUE) -> dict[str, Dataset]:
    """Write the datasets, their keyword index rows and distributions; return them by slug."""
    stored: dict[str, Dataset] = {}
    async with database.sessions() as session:
        for spec in specs:
            dataset = dataset_of(spec)
            session.add(dataset)
            await session.flush()
            keys = {keyword_key(keyword) for keyword in spec.keywords}
            session.add_all(DatasetKeyword(dataset_id=dataset.id, keyword=key) for key in keys)
            session.add_all(
                distribution_of(dataset, name, index) for index, name in enumerate(spec.formats)
            )
            stored[spec.slug] = dataset
        await session.commit()
    return stored
