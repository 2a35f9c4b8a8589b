"""Arabic-aware ``q`` on every searchable list: typed however, found; wildcards are literal.

Each resource stores the same two texts, a target and a decoy, through its own HTTP API, and is
then searched the way a reader would type: without harakat, with a bare alef for hamza, ه for ة,
Arabic-Indic or ASCII digits, pasted with an invisible direction mark.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.routers import test_consultation_lists as consultations
from tests.routers import test_datasets as datasets
from tests.routers import test_disclosure_log as disclosure_log
from tests.routers import test_information_requests as information_requests
from tests.routers import test_submissions as submissions
from tests.routers.test_request_handling import ANSWER

Auth = Callable[..., dict[str, str]]
pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2026-03-15T09:00Z

# A title-like and a detail-like text per item: harakat, hamza on alef, ta marbuta, alef maqsura,
# Arabic-Indic digits and a literal "%", a code with "_" and, after it, a right-to-left mark (RLM,
# which the schemas allow because mixed Arabic and Latin text needs it).
TARGET = (
    "تطوير مَدْخَل أبها الجنوبي وإنارة الطريق إلى السودة",
    "أُنجز ٧٥% من المشروع ASR_12\u200f عام 2026",
)
# What a wildcard read as a pattern would wrongly match: "75" without "%", "ASR-12" for "ASR_12".
DECOY = ("صيانة حدائق خميس مشيط", "أُنجز 75 في المئة من المشروع ASR-12 عام 1447")


@dataclass(frozen=True)
class Searchable:
    """How to store a (title, detail) pair through a resource's API and search it with ``q``."""

    create: Callable[[httpx.AsyncClient, Auth, tuple[str, str]], Awaitable[str]]
    search: Callable[[httpx.AsyncClient, Auth, str], Awaitable[list[str]]]


async def ids_from(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["items"])


# -- the five resources (and CKAN's package_search over datasets) -------------------------------


async def create_consultation(client: httpx.AsyncClient, auth: Auth, text: tuple[str, str]) -> str:
    title, summary = text
    consultation = await consultations.published(
        client, auth, title={"ar": title}, summary={"ar": summary}
    )
    return str(consultation["id"])


async def search_consultations(client: httpx.AsyncClient, auth: Auth, q: str) -> list[str]:
    return await ids_from(await client.get("/v1/consultations", params={"q": q}))  # public


async def create_submission(client: httpx.AsyncClient, auth: Auth, text: tuple[str, str]) -> str:
    receipt = await submissions.submit(client, auth("b1", "beneficiary"), body="\n".join(text))
    return str(receipt["id"])


async def search_submissions(client: httpx.AsyncClient, auth: Auth, q: str) -> list[str]:
    officer = auth("o1", "participation_officer")
    return await ids_from(await client.get("/v1/submissions", params={"q": q}, headers=officer))


async def create_request(client: httpx.AsyncClient, auth: Auth, text: tuple[str, str]) -> str:
    subject, description = text
    requester = auth("b1", "beneficiary")
    receipt = await information_requests.file(
        client, requester, subject=subject, description=description
    )
    return str(receipt["id"])


async def search_requests(client: httpx.AsyncClient, auth: Auth, q: str) -> list[str]:
    officer = auth("o1", "information_officer")
    url = information_requests.BASE
    return await ids_from(await client.get(url, params={"q": q}, headers=officer))


async def create_dataset(client: httpx.AsyncClient, auth: Auth, text: tuple[str, str]) -> str:
    title, description = text
    slug = "abha-entrance" if text == TARGET else "khamis-parks"
    dataset = await datasets.published(
        client, auth, slug=slug, title={"ar": title}, description={"ar": description}
    )
    return str(dataset["id"])


async def search_datasets(client: httpx.AsyncClient, auth: Auth, q: str) -> list[str]:
    return await ids_from(await client.get("/v1/datasets", params={"q": q}))  # public


async def search_ckan(client: httpx.AsyncClient, auth: Auth, q: str) -> list[str]:
    response = await client.get("/api/3/action/package_search", params={"q": q})
    assert response.status_code == 200, response.text
    return sorted(package["id"] for package in response.json()["result"]["results"])


async def create_disclosure(client: httpx.AsyncClient, auth: Auth, text: tuple[str, str]) -> str:
    question, answer = text
    receipt = await disclosure_log.decided(client, auth, ANSWER)
    response = await disclosure_log.publish(
        client, auth, receipt["id"], question={"ar": question}, answer={"ar": answer}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def search_disclosures(client: httpx.AsyncClient, auth: Auth, q: str) -> list[str]:
    return await ids_from(await client.get(disclosure_log.LOG, params={"q": q}))  # public


RESOURCES = {
    "consultations": Searchable(create_consultation, search_consultations),
    "submissions": Searchable(create_submission, search_submissions),
    "information_requests": Searchable(create_request, search_requests),
    "datasets": Searchable(create_dataset, search_datasets),
    "ckan_package_search": Searchable(create_dataset, search_ckan),
    "disclosure_log": Searchable(create_disclosure, search_disclosures),
}
every_resource = pytest.mark.parametrize("resource", list(RESOURCES))


async def seeded(
    client: httpx.AsyncClient, auth: Auth, resource: str
) -> tuple[Searchable, str, str]:
    searchable = RESOURCES[resource]
    target = await searchable.create(client, auth, TARGET)
    decoy = await searchable.create(client, auth, DECOY)
    return searchable, target, decoy


async def found_by(
    client: httpx.AsyncClient, auth: Auth, searchable: Searchable, queries: list[str]
) -> dict[str, list[str]]:
    return {q: await searchable.search(client, auth, q) for q in queries}


# -- scenarios -------------------------------------------------------------------------------------

TYPED_DIFFERENTLY = [
    "مدخل ابها الجنوبي",  # no harakat, bare alef for أ
    "أَبْهَا",  # harakat in the query instead
    "انارة الطريق الى السوده",  # bare alef for إ, ا+ى typed as الى, ه for ة
    "ASR_12",  # upper case as stored
    "asr_12",  # lower case
    "عام ٢٠٢٦",  # Arabic-Indic digits for the stored "2026"
    "۲۰۲۶",  # Eastern (Persian) digits
    "75%",  # ASCII digits for the stored "٧٥%"
    "asr_12 عام 2026",  # across the invisible mark stored after the code
    "\u200fمدخل ابها",  # pasted with a right-to-left mark in front
]


@every_resource
async def test_q_typed_differently_finds_the_item(
    client: httpx.AsyncClient, auth: Auth, resource: str
) -> None:
    searchable, target, _decoy = await seeded(client, auth, resource)
    found = await found_by(client, auth, searchable, TYPED_DIFFERENTLY)
    assert found == {q: [target] for q in TYPED_DIFFERENTLY}


@every_resource
async def test_an_unrelated_q_finds_nothing_and_a_shared_word_finds_both(
    client: httpx.AsyncClient, auth: Auth, resource: str
) -> None:
    searchable, target, decoy = await seeded(client, auth, resource)
    expected = {
        "جازان": [],  # another city
        "مدخل ابها الشمالي": [],  # every word of the phrase must be there
        "خميس مشيط": [decoy],
        "١٤٤٧": [decoy],
        "انجز": sorted([target, decoy]),  # أُنجز in both
    }
    assert await found_by(client, auth, searchable, list(expected)) == expected


@every_resource
async def test_percent_underscore_and_backslash_in_q_are_literal(
    client: httpx.AsyncClient, auth: Auth, resource: str
) -> None:
    searchable, target, _decoy = await seeded(client, auth, resource)
    expected = {
        "%": [target],  # only the target holds a "%"
        "_": [target],
        "75%": [target],  # not the decoy's "75 في المئة"
        "asr_12": [target],  # not the decoy's "ASR-12"
        "ا%ها": [],  # as a wildcard it would match ابها
        "اب_ا": [],
        "100%": [],
        "\\": [],
        "\\%": [],
    }
    assert await found_by(client, auth, searchable, list(expected)) == expected
