"""The rows bench/seed.py writes: realistic data generated in memory (no database here).

Texts come from the labelled quality set, classified once by the service's own classifier;
instants spread over two years, busier lately; recent items are mostly open, older ones mostly
decided, a few left overdue; deadlines come from the calendar snapshot the caller passes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.core import clock
from app.core.config import Settings
from app.core.crypto import PersonalDataCipher
from app.core.db import new_id
from app.core.text import search_text
from app.models.consultation import Channel, Topic
from app.models.information_request import InformationCategory, InformationRequest
from app.services import classifier
from app.services.classifier import RULE_BITS
from app.services.references import format_reference
from app.services.request_handling import record_decision_facts
from app.services.working_days import CalendarSnapshot

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "labelled_submissions.jsonl"
HISTORY_DAYS = 730
BATCH = 20_000
IMPORTED = {Channel.TAFAUL.value, Channel.SOCIAL_MEDIA.value, Channel.EMAIL.value}
CHANNELS = [c.value for c in Channel]
CHANNEL_WEIGHTS = [25, 15, 25, 15, 10, 10]
KINDS, KIND_WEIGHTS = ["suggestion", "complaint", "comment"], [45, 35, 20]
OFFICERS = [f"officer-{i}" for i in range(1, 21)]
REQUEST_SUBJECTS = [
    ("ميزانية مشاريع الطرق في أبها لعام 2026", "أطلب بيان المبالغ المعتمدة لمشاريع الطرق."),
    ("عدد المدارس الجديدة في خميس مشيط", "أرجو تزويدي بعدد المدارس التي افتتحت هذا العام."),
    ("Water network expansion plan for Tanomah", "Please share the timetable and the budget."),
    ("إحصاءات الحوادث المرورية على عقبة ضلع", "أطلب الإحصاءات الشهرية للسنوات الثلاث الأخيرة."),
    ("Permits issued for tourism projects in Al Soudah", "The number of permits by year."),
    ("خطة تصريف مياه الأمطار في محايل عسير", "ما الإجراءات المعتمدة وموعد التنفيذ؟"),
    ("Hospital bed capacity in the region", "Beds per hospital and occupancy in 2025."),
    ("قرارات المجلس البلدي بشأن الأسواق الشعبية", "أرجو نشر القرارات الصادرة ومحاضرها."),
]


@dataclass(frozen=True, slots=True)
class Text:
    body: str
    search_text: str
    topic: str | None
    subtopic: str | None
    confidence: float
    priority: dict[str, tuple[str, list[dict[str, Any]]]]  # by kind: level, reasons


@dataclass
class Plan:
    """What one size means for every table."""

    submissions: int

    @property
    def consultations(self) -> int:
        return max(20, self.submissions // 1000)

    @property
    def datasets(self) -> int:
        return max(20, self.submissions // 1000)

    @property
    def requests(self) -> int:
        return self.submissions // 10

    @property
    def appeals(self) -> int:
        return self.submissions // 100


def labelled_texts() -> list[Text]:
    engine = classifier.current()
    texts = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        body = json.loads(line)["text"]
        found = engine.classify(body)
        priority = {}
        for kind in KINDS:
            result = engine.priority(body, kind, similar=0)
            reasons = [
                {"rule": r.rule, "points": r.points, "evidence": r.evidence} for r in result.reasons
            ]
            priority[kind] = (result.priority, reasons)
        texts.append(
            Text(body, search_text(body), found.topic, found.subtopic, found.confidence, priority)
        )
    return texts


def spread(
    rng: random.Random, count: int, now: datetime, days: int = HISTORY_DAYS
) -> list[datetime]:
    """``count`` instants over the last ``days`` days, oldest first, a little busier lately."""
    seconds = days * 86_400
    return sorted(now - timedelta(seconds=seconds * rng.random() ** 1.3) for _ in range(count))


def references(
    prefix: str, instants: Sequence[datetime], zone: ZoneInfo
) -> tuple[list[str], dict[int, int]]:
    """``PREFIX-YYYY-NNNNNN`` in time order (the local year), and the last number per year."""
    last: dict[int, int] = {}
    out = []
    for at in instants:
        year = at.astimezone(zone).year
        last[year] = last.get(year, 0) + 1
        out.append(format_reference(prefix, year, last[year]))
    return out, last


class Seeder:
    def __init__(self, settings: Settings, plan: Plan, seed: int) -> None:
        self.settings, self.plan = settings, plan
        self.rng = random.Random(seed)
        self.now = clock.now()
        self.counters: dict[tuple[str, int], int] = {}
        self.cipher = PersonalDataCipher(settings.personal_data_keys())
        self.contacts = [
            self.cipher.encrypt({"phone": f"+9665{i:08d}", "email": f"person{i}@example.sa"})
            for i in range(200)
        ]
        self.citizens = max(100, plan.submissions // 4)

    def citizen(self) -> str:
        return f"citizen-{self.rng.randrange(self.citizens)}"

    def numbered(self, prefix: str, instants: Sequence[datetime]) -> list[str]:
        refs, last = references(prefix, instants, ZoneInfo(self.settings.timezone))
        self.counters.update({(prefix, year): value for year, value in last.items()})
        return refs

    # -- consultations --------------------------------------------------------------------------

    def consultations(self) -> list[dict[str, Any]]:
        rng, count = self.rng, self.plan.consultations
        created = spread(rng, count, self.now - timedelta(days=20))
        rows = []
        for at, reference in zip(created, self.numbered("CON", created), strict=True):
            opens = at + timedelta(days=rng.randint(1, 10))
            closes = opens + timedelta(days=rng.choice([14, 21, 30, 45]))
            topic = rng.choice(list(Topic)).value
            title = f"استشارة عامة حول {topic.replace('_', ' ')} ({reference})"
            rows.append(
                {
                    "id": new_id(), "reference": reference,
                    "title": {"ar": title, "en": f"Public consultation {reference}"},
                    "summary": {"ar": "نرحب بآرائكم ومقترحاتكم.", "en": "Your views are welcome."},
                    "topic": topic, "opens_at": opens, "closes_at": closes,
                    "channels": rng.sample(CHANNELS, k=rng.randint(2, 6)),
                    "live_results": rng.random() < 0.3,
                    "published_at": at if rng.random() < 0.95 else None,
                    "cancelled_at": None,
                    "feedback_published_at": closes + timedelta(days=20)
                    if closes + timedelta(days=20) < self.now and rng.random() < 0.8
                    else None,
                    "created_by": "officer-1", "search_text": search_text(title),
                    "created_at": at, "updated_at": at, "version": 1,
                }
            )  # fmt: skip
        return rows

    # -- submissions ----------------------------------------------------------------------------

    def submissions(
        self, texts: Sequence[Text], consultation_ids: Sequence[Any], snapshot: CalendarSnapshot
    ) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        """Batches of (submission rows, priority-reason rows), oldest first."""
        rng, count = self.rng, self.plan.submissions
        received = spread(rng, count, self.now)
        refs = self.numbered("SUB", received)
        complaint_days = self.settings.complaint_response_working_days
        for start in range(0, count, BATCH):
            chunk = received[start : start + BATCH]
            due = snapshot.due_dates([snapshot.start_date(at) for at in chunk], complaint_days)
            rows: list[dict[str, Any]] = []
            reasons: list[dict[str, Any]] = []
            for offset, at in enumerate(chunk):
                row, why = self.submission(texts, consultation_ids, at, refs[start + offset])
                if row["kind"] == "complaint":
                    row |= {
                        "response_working_days": complaint_days,
                        "response_due_date": due[offset],
                        "calendar_version": snapshot.version,
                    }
                rows.append(row)
                reasons.extend({"submission_id": row["id"], **r} for r in why)
            yield rows, reasons

    def submission(
        self, texts: Sequence[Text], consultation_ids: Sequence[Any], at: datetime, ref: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        found = rng.choice(texts)
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        priority, reasons = found.priority[kind]
        status, decided_at = self.outcome(at, open_days=21)
        imported = channel in IMPORTED
        row = {
            "id": new_id(), "reference": ref, "kind": kind, "channel": channel,
            "consultation_id": rng.choice(consultation_ids) if rng.random() < 0.3 else None,
            "body": found.body, "search_text": found.search_text, "status": status,
            "received_at": at,
            "submitter_sub": None if imported else self.citizen(),
            "external_id": f"{channel}-{ref}" if imported else None,
            "imported_by": f"integrator-{channel}" if imported else None,
            "contact_encrypted": rng.choice(self.contacts) if rng.random() < 0.1 else None,
            "source_handle_encrypted": None,
            "auto_topic": found.topic, "auto_subtopic": found.subtopic, "auto_priority": priority,
            "priority_rules": sum(RULE_BITS[reason["rule"]] for reason in reasons),
            "confidence": found.confidence, "classifier_version": classifier.current().version,
            "topic": found.topic, "subtopic": found.subtopic, "priority": priority,
            "disposition": None, "decision_reason": None, "decided_by": None,
            "decided_at": decided_at, "withdrawn_at": None,
            "response_working_days": None, "response_due_date": None, "calendar_version": None,
            "created_at": at, "updated_at": decided_at or at, "version": 3 if decided_at else 1,
        }  # fmt: skip
        if status == "decided":
            disposition = (
                "resolved" if kind == "complaint" else rng.choice(["adopted", "not_adopted"])
            )
            reason = {"ar": "تمت دراسة الملاحظة.", "en": "Reviewed."}
            row |= {"disposition": disposition, "decided_by": rng.choice(OFFICERS),
                    "decision_reason": reason}  # fmt: skip
        elif status == "withdrawn":
            row |= {"decided_at": None, "withdrawn_at": decided_at}
        return row, reasons

    def outcome(self, at: datetime, *, open_days: int) -> tuple[str, datetime | None]:
        """Recent items are mostly open; older ones mostly decided, a few left behind."""
        rng, age = self.rng, (self.now - at).days
        if age < open_days and rng.random() < 0.8:
            return rng.choice(["received", "under_review"]), None
        draw = rng.random()
        if draw < 0.03:
            return rng.choice(["received", "under_review"]), None
        decided = min(self.now, at + timedelta(days=rng.uniform(1, open_days)))
        return ("withdrawn", decided) if draw < 0.06 else ("decided", decided)

    # -- information requests, appeals, disclosure log -------------------------------------------

    def requests(self, snapshot: CalendarSnapshot) -> list[dict[str, Any]]:
        rng, count = self.rng, self.plan.requests
        received = spread(rng, count, self.now)
        due = snapshot.due_dates([snapshot.start_date(at) for at in received], 10)
        rows = []
        for at, ref, due_date in zip(received, self.numbered("IR", received), due, strict=True):
            subject, description = rng.choice(REQUEST_SUBJECTS)
            state, decided_at = self.outcome(at, open_days=14)
            status = {"received": "submitted", "under_review": "in_progress"}.get(state, state)
            if status == "decided":
                status = rng.choices(["answered", "partially_answered", "refused", "not_held"],
                                     [70, 10, 12, 8])[0]  # fmt: skip
            row = {
                "id": new_id(), "reference": ref, "requester_sub": self.citizen(),
                "subject": subject, "description": description,
                "category": rng.choice(list(InformationCategory)).value,
                "requester_category": None, "preferred_format": None,
                "contact_encrypted": rng.choice(self.contacts) if rng.random() < 0.2 else None,
                "search_text": search_text(subject, description), "status": status,
                "assigned_to": rng.choice(OFFICERS) if status != "submitted" else None,
                "handlers": [], "received_at": at, "working_days": 10,
                "clock_origin": "received", "clock_started_at": at, "clock_working_days": 10,
                "paused_at": None, "remaining_working_days": None, "pause_count": 0,
                "due_date": due_date, "calendar_version": snapshot.version,
                "response": None, "response_links": [], "legal_grounds": [], "explanation": None,
                "decided_by": None, "decided_at": None, "decision_working_days": None,
                "decided_on_time": None, "withdrawn_at": None,
                "created_at": at, "updated_at": decided_at or at, "version": 1,
            }  # fmt: skip
            if decided_at is not None and status != "withdrawn":
                self.decide(row, decided_at, snapshot)
            elif status == "withdrawn":
                row["withdrawn_at"] = decided_at
            rows.append(row)
        return rows

    def decide(self, row: dict[str, Any], at: datetime, snapshot: CalendarSnapshot) -> None:
        """The decision, and the facts public statistics read, frozen by the service's own rule."""
        officer = row["assigned_to"] or self.rng.choice(OFFICERS)
        facts = InformationRequest(received_at=row["received_at"], due_date=row["due_date"])
        record_decision_facts(facts, snapshot, at)
        row |= {
            "assigned_to": officer, "handlers": [officer], "decided_by": officer, "decided_at": at,
            "response": {"ar": "نرفق لكم المعلومات المطلوبة.", "en": "Information attached."},
            "decision_working_days": facts.decision_working_days,
            "decided_on_time": facts.decided_on_time, "version": 4,
        }  # fmt: skip
        if row["status"] == "refused":
            row["legal_grounds"] = [{"ground": "protected_personal_data", "citation": None}]
            row["explanation"] = {"ar": "تتضمن بيانات شخصية محمية.", "en": "Protected data."}

    def appeals(
        self, requests: Sequence[dict[str, Any]], snapshot: CalendarSnapshot
    ) -> list[dict[str, Any]]:
        candidates = [r for r in requests if r["status"] in ("refused", "partially_answered")]
        candidates += [r for r in requests if r["decided_on_time"] is False]
        chosen = self.rng.sample(candidates, k=min(len(candidates), self.plan.appeals))
        chosen.sort(key=lambda r: r["decided_at"])
        filed = [
            min(self.now, r["decided_at"] + timedelta(days=self.rng.randint(1, 10))) for r in chosen
        ]
        due = snapshot.due_dates([snapshot.start_date(at) for at in filed], 15)
        rows = []
        for request, at, ref, due_date in zip(
            chosen, filed, self.numbered("AP", filed), due, strict=True
        ):
            state, decided_at = self.outcome(at, open_days=21)
            status = {
                "received": "submitted",
                "decided": self.rng.choice(["upheld", "rejected"]),
            }.get(state, state)
            rows.append({
                "id": new_id(), "reference": ref, "request_id": request["id"],
                "appellant_sub": request["requester_sub"],
                "ground": "refusal" if request["status"] == "refused" else "delay",
                "statement": "أعترض على القرار لعدم وجود سند نظامي.", "status": status,
                "received_at": at, "working_days": 15, "due_date": due_date,
                "calendar_version": snapshot.version,
                "reviewer_sub": "supervisor-1" if status != "submitted" else None,
                "reasoning": {"ar": "تمت دراسة التظلم.", "en": "Reviewed."}
                if status in ("upheld", "rejected") else None,
                "decided_by": "supervisor-1" if status in ("upheld", "rejected") else None,
                "decided_at": decided_at if status in ("upheld", "rejected") else None,
                "withdrawn_at": decided_at if status == "withdrawn" else None,
                "created_at": at, "updated_at": decided_at or at, "version": 1,
            })  # fmt: skip
        return rows

    def disclosures(self, requests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        answered = [r for r in requests if r["status"] == "answered"]
        rows = []
        for request in self.rng.sample(answered, k=len(answered) // 3):
            question = {"ar": request["subject"]}
            rows.append({
                "id": new_id(), "request_id": request["id"], "reference": request["reference"],
                "category": request["category"], "question": question,
                "answer": request["response"],
                "outcome": "answered", "links": [], "published_at": request["decided_at"],
                "published_by": request["decided_by"],
                "search_text": search_text(request["subject"], *request["response"].values()),
                "created_at": request["decided_at"], "updated_at": request["decided_at"],
            })  # fmt: skip
        return rows

    # -- datasets -------------------------------------------------------------------------------

    def datasets(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        rng, rows, keywords, distributions = self.rng, [], [], []
        created = spread(rng, self.plan.datasets, self.now)
        words = ["مياه", "طرق", "سياحة", "تعليم", "صحة", "budget", "traffic", "tourism", "schools"]
        for number, at in enumerate(created, start=1):
            slug = f"asir-dataset-{number:06d}"
            published = rng.random() < 0.9
            chosen = rng.sample(words, k=3)
            title = f"بيانات {chosen[0]} في منطقة عسير {number}"
            rows.append({
                "id": new_id(), "slug": slug, "title": {"ar": title, "en": f"Asir data {number}"},
                "description": {"ar": "بيانات مفتوحة تنشرها إمارة منطقة عسير.", "en": "Open data."},
                "category": rng.choice(list(InformationCategory)).value, "keywords": chosen,
                "publisher": "asir-emirate",
                "publisher_name": {"ar": "إمارة منطقة عسير", "en": "Asir Region Emirate"},
                "contact_name": "Open Data Office", "contact_email": "opendata@asir.gov.sa",
                "licence_id": rng.choice(["CC-BY-4.0", "CC0-1.0", "ODbL-1.0"]),
                "update_frequency": rng.choice(["monthly", "quarterly", "annual"]),
                "status": "published" if published else "draft",
                "published_at": at if published else None, "archived_at": None,
                "last_release_on": at.date() if published else None,
                "next_release_due": (at + timedelta(days=rng.choice([30, 91, 365]))).date()
                if published else None,
                "created_by": "publisher-1", "search_text": search_text(title, *chosen),
                "created_at": at, "updated_at": at, "version": 1,
            })  # fmt: skip
            dataset_id = rows[-1]["id"]
            keywords += [{"dataset_id": dataset_id, "keyword": search_text(w)} for w in chosen]
            for fmt, media in (("CSV", "text/csv"), ("JSON", "application/json")):
                distributions.append({
                    "id": new_id(), "dataset_id": dataset_id, "title": {"ar": f"ملف {fmt}"},
                    "format": fmt, "media_type": media,
                    "access_url": f"https://data.asir.gov.sa/{slug}.{fmt.lower()}",
                    "download_url": None, "byte_size": rng.randint(10_000, 50_000_000),
                    "checksum_sha256": None, "created_at": at, "updated_at": at, "version": 1,
                })  # fmt: skip
        return rows, keywords, distributions

    def counter_rows(self) -> list[dict[str, Any]]:
        return [
            {"prefix": prefix, "year": year, "last_value": value}
            for (prefix, year), value in self.counters.items()
        ]
