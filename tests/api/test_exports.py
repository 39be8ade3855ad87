"""Exports (SPEC §12) through Litestar's test client, over the shared messy demo snapshot.

Every CSV cell and every workbook cell is compared with the JSON answer the same
request gets: the tables expected are flattened here from the JSON alone, by SPEC §12's
rule, and the files are read back with Python's csv module and with openpyxl.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import openpyxl
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.exports import Table, sheet_names, to_csv
from config import Settings
from engine import Engine
from security.tokens import create_token
from snapshot.layout import current_dir
from snapshot.manifest import read_manifest

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Filters with data in the messy demo: each endpoint's blocks have rows.
FILTERS: dict[str, dict[str, Any]] = {
    "data": {"annee": 2025},
    "performance": {"mois": 3},
    "partenaire": {"region": "RE00006"},
    "users": {},
    "evaluation": {},
    "invest": {"annee": 2025},
}

Json = dict[str, Any]
Row = dict[str, Any]


@dataclass(frozen=True)
class Exports:
    client: TestClient
    reader: str
    scoped: str  # scoped to `manager`
    manager: int
    snapshot_day: str  # YYYYMMDD of the snapshot's creation

    def post(
        self, path: str, body: Json, accept: str | None = None, token: str = "", **more: str
    ) -> Any:
        headers = {"Authorization": f"Bearer {token or self.reader}", **more}
        if accept:
            headers["Accept"] = accept
        return self.client.post(path, content=msgspec.json.encode(body), headers=headers)

    def answer(self, endpoint: str, body: Json, token: str = "") -> Json:
        response = self.post(f"/{endpoint}", body, token=token)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def exports(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exports]:
    tokens = tmp_path_factory.mktemp("export-tokens") / "tokens.json"
    engine = Engine.open(demo_data_dir)
    with engine.lease() as view:
        manager = next(u.id_utilisateur for u in view.choices().utilisateurs if u.role == "SUP")
    created = read_manifest(current_dir(demo_data_dir)).created_at
    reader = create_token(tokens, "reader")
    scoped = create_token(tokens, "scoped", responsable=manager)
    settings = Settings(data_dir=demo_data_dir, tokens_file=tokens)
    try:
        with TestClient(create_app(settings, engine)) as client:
            day = created[:10].replace("-", "")
            yield Exports(client, reader, scoped, manager, day)
    finally:
        engine.close()


# --------------------------------------------- what SPEC §12 says, from the JSON alone


def block_paths(answer: Json, prefix: str = "") -> Iterator[str]:
    """Every list or object of the answer; a number at its top too (a one-cell block)."""
    for key, value in answer.items():
        if isinstance(value, dict):
            yield prefix + key
            yield from block_paths(value, f"{prefix}{key}.")
        elif isinstance(value, list) or not prefix:
            yield prefix + key


def flatten(item: Json) -> list[Row]:
    """One row per innermost item, each with its parents' scalar fields."""
    own = {k: v for k, v in item.items() if not isinstance(v, list | dict)}
    nested = [(k, v) for k, v in item.items() if isinstance(v, list)]
    if not nested or not nested[0][1]:
        return [own]
    key, children = nested[0]
    return [
        own | {f"{key}.{k}": v for k, v in row.items()}
        for child in children
        for row in flatten(child)
    ]


def expected_rows(answer: Json, path: str) -> list[Row]:
    value: Any = answer
    for key in path.split("."):
        value = value[key]
    if isinstance(value, list):
        return [row for item in value for row in flatten(item)]
    if isinstance(value, dict):
        return flatten({k: v for k, v in value.items() if not isinstance(v, list)})
    return [{path: value}]


def non_null(row: Row) -> Row:
    """A row without its empty cells: a parent without children has them empty."""
    return {k: v for k, v in row.items() if v is not None}


# ------------------------------------------------------------------ reading the files


def csv_value(text: str, like: Any) -> Any:
    """A CSV cell read back as the JSON value it stands for."""
    if text == "":
        return None
    if isinstance(like, bool) or like is None:
        raise AssertionError(f"unexpected JSON value {like!r}")
    if isinstance(like, float):
        assert "." not in text, f"{text} is not written with a decimal comma"
        return float(text.replace(",", "."))
    if isinstance(like, int):
        assert text.lstrip("-").isdigit(), text
        return int(text)
    # Excel runs a text starting with = + - @ as a formula: those are written after a '.
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@") else text


def read_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    assert content.startswith(b"\xef\xbb\xbf"), "a UTF-8 BOM, for Excel"
    text = content.decode("utf-8-sig")
    assert "\r\n" in text
    header, *lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    return header, lines


def assert_table(header: list[str], cells: list[list[Any]], rows: list[Row], read: Any) -> None:
    """The cells, read as the JSON values they stand for, are the expected rows."""
    assert len(cells) == len(rows)
    full = max(rows, key=len, default={})
    assert header[: len(full)] == list(full) or not rows, "columns in the answer's order"
    for line, row in zip(cells, rows, strict=True):
        got = {c: read(cell, row.get(c)) for c, cell in zip(header, line, strict=True)}
        assert non_null(got) == non_null(row)


def xlsx_value(cell: Any, like: Any) -> Any:
    """A workbook cell, typed: a number, a date, a text, or empty."""
    if cell.value is None:
        return None
    if isinstance(like, int | float) and not isinstance(like, bool):
        assert cell.data_type == "n" and not cell.is_date, f"{cell.coordinate} is not a number"
        # XlsxWriter writes 16 significant digits (Excel shows 15): not always 17.
        return cell.value if isinstance(like, int) else pytest.approx(cell.value, rel=1e-15)
    if isinstance(like, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", like):
        assert cell.is_date, f"{cell.coordinate} is a day but not a date cell"
        return cell.value.date().isoformat()
    assert cell.data_type == "s", f"{cell.coordinate} should hold text"
    return cell.value


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("endpoint", FILTERS)
def test_every_block_as_csv_is_the_json_answer(exports: Exports, endpoint: str) -> None:
    body = FILTERS[endpoint]
    answer = exports.answer(endpoint, body)
    for path in block_paths(answer):
        response = exports.post(f"/{endpoint}?block={path}", body, CSV)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        header, lines = read_csv(response.content)
        rows = expected_rows(answer, path)
        assert_table(header, lines, rows, csv_value)


@pytest.mark.parametrize("endpoint", FILTERS)
def test_the_workbook_has_a_typed_sheet_per_block(exports: Exports, endpoint: str) -> None:
    body = FILTERS[endpoint]
    answer = exports.answer(endpoint, body)
    response = exports.post(f"/{endpoint}", body, XLSX)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    paths = list(block_paths(answer))
    assert len(workbook.worksheets) == len(paths)
    for sheet, path in zip(workbook.worksheets, paths, strict=True):
        assert path.startswith(sheet.title.split("~")[0]), (sheet.title, path)
        header, *lines = list(sheet.iter_rows())
        assert_table([c.value for c in header], lines, expected_rows(answer, path), xlsx_value)


def test_days_are_date_cells_and_iso_in_csv(exports: Exports) -> None:
    body = FILTERS["performance"]
    days = exports.answer("performance", body)["nombre_compte_visite_par_jour"]
    assert days, "the demo has visits that month"
    path = "nombre_compte_visite_par_jour"
    _, lines = read_csv(exports.post(f"/performance?block={path}", body, CSV).content)
    assert [line[0] for line in lines] == [day["date_visite"] for day in days]
    workbook = openpyxl.load_workbook(io.BytesIO(exports.post("/performance", body, XLSX).content))
    sheet = workbook[path]
    first = sheet["A2"]
    assert first.is_date and first.number_format == "dd/mm/yyyy"
    assert first.value == datetime.datetime.fromisoformat(days[0]["date_visite"])


def test_a_block_of_a_list_of_lists_has_a_row_per_city(exports: Exports) -> None:
    body = FILTERS["data"]
    regions = exports.answer("data", body)["statistiques"]["region"]
    response = exports.post("/data?block=statistiques.region", body, CSV)
    header, lines = read_csv(response.content)
    assert header[:3] == ["code_region_partenaire", "region", "nb_visites_total"]
    assert "ville.ville" in header and "ville.nb_visites" in header
    assert len(lines) == sum(max(1, len(r["ville"])) for r in regions)


def test_a_csv_without_a_block_is_refused_listing_the_paths(exports: Exports) -> None:
    response = exports.post("/partenaire", {}, CSV)
    assert response.status_code == 400
    error = response.json()
    assert error["field"] == "block"
    for path in block_paths(exports.answer("partenaire", {})):
        assert path in error["detail"]
    unknown = exports.post("/partenaire?block=nothing", {}, CSV)
    assert unknown.status_code == 400 and "nothing" in unknown.json()["detail"]
    assert exports.post("/partenaire?block=nothing", {}, XLSX).status_code == 400


def test_the_file_name_says_endpoint_block_filter_and_snapshot_day(exports: Exports) -> None:
    body = {"annee": "2025", "region": "RE00006"}
    response = exports.post("/performance?block=delegues_moins_nombre_visites", body, CSV)
    assert response.headers["content-disposition"] == (
        "attachment; filename="
        f'"visites-performance-delegues_moins_nombre_visites-annee_2025-region_RE00006-'
        f'{exports.snapshot_day}.csv"'
    )
    workbook = exports.post("/evaluation", {}, XLSX)
    assert workbook.headers["content-disposition"] == (
        f'attachment; filename="visites-evaluation-{exports.snapshot_day}.xlsx"'
    )


def test_a_scoped_token_exports_its_team_only(exports: Exports) -> None:
    team = exports.answer("users", {}, exports.scoped)
    assert team != exports.answer("users", {}), "the team is not the whole company"
    path = "pourcentage_visites_par_responsable"
    response = exports.post(f"/users?block={path}", {}, CSV, exports.scoped)
    header, lines = read_csv(response.content)
    assert_table(header, lines, expected_rows(team, path), csv_value)
    name = response.headers["content-disposition"]
    assert f"-id_responsable_{exports.manager}-" in name
    outsider = exports.post("/users", {"id_responsable": 999_999_999}, XLSX, exports.scoped)
    assert outsider.status_code == 403


def test_exports_share_the_json_cache_and_leave_its_etag_alone(exports: Exports) -> None:
    body = {"mois": 11, "annee": 2025}
    first = exports.post("/users", body)
    assert first.headers["x-cache"] == "miss"
    # Compressed (the test client takes gzip): by Accept-Encoding as well.
    assert {v.strip() for v in first.headers["vary"].split(",")} == {"Accept", "Accept-Encoding"}
    etag = first.headers["etag"]
    exported = exports.post("/users", body, XLSX, **{"If-None-Match": etag})
    assert exported.status_code == 200 and exported.headers["x-cache"] == "hit"
    assert "etag" not in exported.headers, "the JSON's ETag does not name a workbook"
    again = exports.post("/users", body, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag
    assert exports.post("/users", body).content == first.content


def test_no_accept_or_any_type_is_json(exports: Exports) -> None:
    for accept in (None, "*/*", "application/json, text/csv;q=0.5", "text/html"):
        response = exports.post("/invest", {}, accept)
        assert response.headers["content-type"] == "application/json", accept
    preferred = exports.post("/invest?block=budget_par_gamme", {}, "text/csv, */*;q=0.1")
    assert preferred.headers["content-type"] == "text/csv; charset=utf-8"


def test_the_openapi_schema_documents_block_and_the_export_types(exports: Exports) -> None:
    schema = exports.client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/data"]["post"]
    (block,) = [p for p in operation["parameters"] if p["name"] == "block"]
    assert block["in"] == "query"
    for path in ("statistiques", "statistiques.region", "statistiques.gammes"):
        assert f"`{path}`" in block["description"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", CSV, XLSX}


# ------------------------------------------------------------ the writers on their own


def test_csv_cells_for_a_french_excel() -> None:
    table = Table(
        ("texte", "entier", "reel", "jour", "vide"),
        [
            ("=SUM(A1)", 1234567, 1234.5, datetime.date(2025, 3, 1), None),
            ('Fès; "Meknès"', -3, 0.1, datetime.date(2025, 12, 31), None),
        ],
    )
    assert (
        to_csv(table)
        == (
            "\ufefftexte;entier;reel;jour;vide\r\n"
            "'=SUM(A1);1234567;1234,5;2025-03-01;\r\n"
            '"Fès; ""Meknès""";-3;0,1;2025-12-31;\r\n'
        ).encode()
    )


def test_sheet_names_fit_excel_and_stay_unique() -> None:
    paths = ["a" * 40, "a" * 40 + "b", "A" * 35, "court"]
    names = sheet_names(paths)
    assert names == ["a" * 31, "a" * 29 + "~2", "A" * 29 + "~3", "court"]
