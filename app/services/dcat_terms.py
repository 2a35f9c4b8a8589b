"""DCAT-AP 3 vocabulary: namespaces, the JSON-LD context, and our values on EU authority tables.

Mappings (documented here because harvesters see only the IRIs):

- ``category`` -> EU data theme (http://publications.europa.eu/resource/authority/data-theme/):
  development_plans -> REGI (regional development plans of the emirate), services_procedures ->
  GOVE, open_data -> GOVE, reports_statistics -> SOCI (where EU portals file statistical
  publications), regulations_decisions -> JUST (local regulations and decisions), other -> GOVE.
- ``update_frequency`` -> EU Frequency (http://publications.europa.eu/resource/authority/frequency/):
  daily DAILY, weekly WEEKLY, monthly MONTHLY, quarterly QUARTERLY, semiannual BIANNUAL, annual
  ANNUAL, irregular IRREG.
- distribution ``format`` -> EU file type (http://publications.europa.eu/resource/authority/file-type/)
  where one exists; ``API`` has none, so such distributions carry a media type only.
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from app.models.dataset import UpdateFrequency
from app.models.information_request import InformationCategory

ADMS = Namespace("http://www.w3.org/ns/adms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

AUTHORITY = "http://publications.europa.eu/resource/authority/"
DATA_THEMES = URIRef(AUTHORITY + "data-theme")
FREQUENCIES = URIRef(AUTHORITY + "frequency")
FILE_TYPES = URIRef(AUTHORITY + "file-type")
LANGUAGES = URIRef(AUTHORITY + "language")
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

PREFIXES: dict[str, Namespace] = {
    "dcat": Namespace(str(DCAT)),
    "dct": Namespace(str(DCTERMS)),
    "foaf": Namespace(str(FOAF)),
    "vcard": VCARD,
    "adms": ADMS,
    "hydra": HYDRA,
    "locn": LOCN,
    "skos": Namespace(str(SKOS)),
    "spdx": SPDX,
    "xsd": Namespace(str(XSD)),
    "rdf": Namespace(str(RDF)),
}
# Prefixes only: every property keeps its CURIE, so the JSON-LD reads like the Turtle.
JSONLD_CONTEXT: dict[str, str] = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}

# EU data-theme codes and their official English labels.
THEME_LABELS = {
    "GOVE": "Government and public sector",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
}
CATEGORY_THEMES: dict[str, str] = {
    InformationCategory.DEVELOPMENT_PLANS: "REGI",
    InformationCategory.SERVICES_PROCEDURES: "GOVE",
    InformationCategory.OPEN_DATA: "GOVE",
    InformationCategory.REPORTS_STATISTICS: "SOCI",
    InformationCategory.REGULATIONS_DECISIONS: "JUST",
    InformationCategory.OTHER: "GOVE",
}

# Our frequency -> (EU Frequency code, its English label).
FREQUENCY_CODES: dict[str, tuple[str, str]] = {
    UpdateFrequency.DAILY: ("DAILY", "daily"),
    UpdateFrequency.WEEKLY: ("WEEKLY", "weekly"),
    UpdateFrequency.MONTHLY: ("MONTHLY", "monthly"),
    UpdateFrequency.QUARTERLY: ("QUARTERLY", "quarterly"),
    UpdateFrequency.SEMIANNUAL: ("BIANNUAL", "semiannual"),
    UpdateFrequency.ANNUAL: ("ANNUAL", "annual"),
    UpdateFrequency.IRREGULAR: ("IRREG", "irregular"),
}

# Our distribution format -> (EU file-type code, its English label); formats absent have none.
FILE_TYPE_CODES: dict[str, tuple[str, str]] = {
    "CSV": ("CSV", "CSV"),
    "JSON": ("JSON", "JSON"),
    "GEOJSON": ("GEOJSON", "GeoJSON"),
    "XML": ("XML", "XML"),
    "XLSX": ("XLSX", "Excel XLSX"),
    "PDF": ("PDF", "PDF"),
    "ZIP": ("ZIP", "ZIP"),
    "HTML": ("HTML", "HTML"),
    "TXT": ("TXT", "TXT"),
    "KML": ("KML", "KML"),
    "SHP": ("SHP", "Esri Shape"),
    "PARQUET": ("PARQUET", "Parquet"),
    "DOCX": ("DOCX", "Word DOCX"),
}

# The catalogue's metadata languages on the EU language table.
CATALOGUE_LANGUAGES = {"ARA": "Arabic", "ENG": "English"}

CATALOGUE_TITLE = {
    "ar": "كتالوج البيانات المفتوحة لإمارة منطقة عسير",
    "en": "Asir Region Emirate open data catalogue",
}
CATALOGUE_DESCRIPTION = {
    "ar": "مجموعات البيانات التي تنشرها إمارة منطقة عسير استباقيًا وفق جداول إصدار معلنة.",
    "en": "Datasets the Asir Region Emirate publishes proactively, on announced release schedules.",
}
EMIRATE_NAME = {"ar": "إمارة منطقة عسير", "en": "Asir Region Emirate"}
