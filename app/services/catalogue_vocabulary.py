"""Controlled values of the dataset catalogue: licences and distribution formats."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str


LICENCES: dict[str, Licence] = {
    licence.id: licence
    for licence in (
        Licence(
            "CC-BY-4.0",
            "Creative Commons Attribution 4.0",
            "https://creativecommons.org/licenses/by/4.0/",
        ),
        Licence(
            "CC-BY-SA-4.0",
            "Creative Commons Attribution-ShareAlike 4.0",
            "https://creativecommons.org/licenses/by-sa/4.0/",
        ),
        Licence(
            "CC0-1.0",
            "Creative Commons Zero 1.0",
            "https://creativecommons.org/publicdomain/zero/1.0/",
        ),
        Licence(
            "ODC-BY-1.0",
            "Open Data Commons Attribution 1.0",
            "https://opendatacommons.org/licenses/by/1-0/",
        ),
        Licence(
            "ODbL-1.0",
            "Open Data Commons Open Database License 1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/",
        ),
        Licence(
            "KSA-OPEN-DATA", "Saudi Open Data License", "https://open.data.gov.sa/en/pages/license"
        ),
    )
}

# Distribution formats and their IANA media types (the default when none is given).
FORMATS: dict[str, str] = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "GEOJSON": "application/geo+json",
    "XML": "application/xml",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "PDF": "application/pdf",
    "ZIP": "application/zip",
    "HTML": "text/html",
    "TXT": "text/plain",
    "KML": "application/vnd.google-earth.kml+xml",
    "SHP": "application/x-shapefile",
    "PARQUET": "application/vnd.apache.parquet",
    "DOCX": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "API": "application/json",
}
