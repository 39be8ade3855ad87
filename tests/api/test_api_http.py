"""The service through Litestar's test client, over the shared messy demo snapshot.

Expected answers come from a second ``Engine`` opened on the same data directory,
never from the API's own code.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pytest
from helpers import eventually
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from api.app import create_app
from config import Settings
from engine import ENDPOINTS, Engine, EvaluationFilter, InvestFilter, VisiteFilter
from security.tokens import create_token, revoke_token
from snapshot.layout import current_dir, table_path


@dataclass(frozen=True)
class Api:
    client: TestClient
    engine: Engine  # independent of the app's: the expected answers
    admin: str
    reader: str
    scoped: str  # scoped to `manager`
    monitor: str  # a monitoring token: /metrics only
    manager: int
    team: frozenset[int]
    outsiders: frozenset[int]
    tokens: Path

    def post(self, path: str, body: Any = None, token: str | None = None, **headers: str):
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        content = body if isinstance(body, bytes) else msgspec.json.encode(body or {})
        return self.client.post(path, content=content, headers=headers)

    def expected(self, endpoint: str, filter_: Any, scope: int | None = None) -> Any:
        """The engine's answer; ``scope``: as a token scoped to that manager gets it."""
        with self.engine.lease() as view:
            return msgspec.to_builtins(view.answer(endpoint, filter_, scope=scope))


def _largest_team(data_dir: Path) -> tuple[int, frozenset[int], frozenset[int]]:
    """A manager with reports, its team and everyone else, straight from the Parquet."""
    users = table_path(current_dir(data_dir), "tab_utilisateur")
    rows = duckdb.sql(f"SELECT id_utilisateur, id_responsable FROM '{users}'").fetchall()
    boss = dict(rows)
    everyone = set(boss)

    def chain_reaches(user: int, manager: int) -> bool:
        seen: set[int] = set()
        while user is not None and user not in seen:
            if user == manager:
                return True
            seen.add(user)
            user = boss.get(user)
        return False

    teams = {m: {u for u in everyone if chain_reaches(u, m)} for m in everyone}
    manager = max(teams, key=lambda m: (len(teams[m]) < len(everyone), len(teams[m])))
    return manager, frozenset(teams[manager]), frozenset(everyone - teams[manager])


@pytest.fixture(scope="module")
def api(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.json"
    manager, team, outsiders = _largest_team(demo_data_dir)
    assert len(team) > 1 and outsiders, "the demo data should have teams"
    secrets = {
        "admin": create_token(tokens, "admin", admin=True),
        "reader": create_token(tokens, "reader"),
        "scoped": create_token(tokens, "scoped", responsable=manager),
        "monitor": create_token(tokens, "monitor", metrics=True),
    }
    settings = Settings(data_dir=demo_data_dir, tokens_file=tokens, poll_interval=0.2)
    served, expected = Engine.open(demo_data_dir), Engine.open(demo_data_dir)
    try:
        with TestClient(create_app(settings, served)) as client:
            yield Api(
                client,
                expected,
                **secrets,
                manager=manager,
                team=team,
                outsiders=outsiders,
                tokens=tokens,
            )
    finally:
        served.close()
        expected.close()


# ------------------------------------------------------------------ happy paths

SAMPLES = {
    "data": VisiteFilter(annee=2024),
    "performance": VisiteFilter(mois=3, start_date=datetime.date(2024, 1, 1)),
    "partenaire": VisiteFilter(region="RE00006"),
    "users": VisiteFilter(gamme="GA00001", mois=6),
    "evaluation": EvaluationFilter(annee=2024),
    "invest": InvestFilter(annee=2024),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_answers_what_the_engine_answers(api: Api, endpoint: str) -> None:
    filter_type = ENDPOINTS[endpoint]
    for filter_ in (filter_type(), SAMPLES[endpoint]):
        response = api.post(f"/{endpoint}", msgspec.to_builtins(filter_), api.reader)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json() == api.expected(endpoint, filter_)


def test_an_empty_body_means_everything(api: Api) -> None:
    response = api.post("/users", b"", api.reader)
    assert response.status_code == 200
    assert response.json() == api.expected("users", VisiteFilter())


def test_the_daily_series_spans_the_demo_calendar_whatever_the_source_typed(api: Api) -> None:
    """The messy demo has visits dated 9999-12-31 and 1000-01-01; the snapshot nulls them
    (SPEC §3), so the zero-filled series stays within the demo's calendar (2024-01-01 to
    2026-11-20: 1055 days), not millions of days."""
    response = api.post("/performance", {"start_date": "0999-01-01"}, api.reader)
    assert response.status_code == 200
    days = [d["date_visite"] for d in response.json()["nombre_compte_visite_par_jour"]]
    assert days[0] >= "2024-01-01" and days[-1] <= "2026-11-20"
    assert len(days) <= 1055


def test_digit_strings_and_padded_codes_are_the_same_filter(api: Api) -> None:
    body = {"annee": "2024", "mois": "03", "gamme": " GA00001 "}
    response = api.post("/data", body, api.reader)
    assert response.json() == api.expected(
        "data", VisiteFilter(annee=2024, mois=3, gamme="GA00001")
    )


# ------------------------------------------------------------------ bad input

BAD_INPUTS = [
    ("/data", {"mois": 13}, 400, "mois"),
    ("/data", {"annee": "20x3"}, 400, "annee"),
    ("/data", {"start_date": "2023-02-30"}, 400, "start_date"),
    ("/data", {"start_date": "2024-03-02", "end_date": "2024-03-01"}, 400, "start_date"),
    ("/data", {"id_utilisateur": -4}, 400, "id_utilisateur"),
    ("/performance", {"code_categorie": "X"}, 400, "code_categorie"),
    ("/users", {"gamme": 12}, 400, "gamme"),
    ("/evaluation", {"gamme": "GA00001"}, 400, "gamme"),
    ("/evaluation", {"mois": "0"}, 400, "mois"),
    ("/invest", {"id_partenaire": "1e3"}, 400, "id_partenaire"),
    ("/invest", {"id_business_case": -1}, 400, "id_business_case"),
    ("/partenaire", [1, 2], 400, None),
    ("/partenaire", b"nope", 400, None),
    ("/users", b"[" * 60_000, 400, None),
    ("/data", b'{"gamme": "' + b"x" * 70_000 + b'"}', 413, None),
    ("/data", b'{"annee": 2023, "annee": 2024}', 400, "annee"),
    ("/users", {"gamme": "  "}, 400, "gamme"),
    ("/invest", {"region": ""}, 400, "region"),
    ("/performance", b'{"region": "RE\\ud800"}', 400, "region"),
]


@pytest.mark.parametrize(("path", "body", "status", "field"), BAD_INPUTS)
def test_bad_input_is_refused_naming_the_field(
    api: Api, path: str, body: Any, status: int, field: str | None
) -> None:
    response = api.post(path, body, api.reader)
    assert response.status_code == status
    error = response.json()
    assert error["status_code"] == status and error["detail"]
    if status == 400:
        assert error["field"] == field


# ------------------------------------------------------------------ auth


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer nope", "Basic dXNlcjpwdw==", "Token x"]
)
def test_no_valid_token_is_401_with_a_challenge(api: Api, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for path in ("/data", "/invest"):
        response = api.post(path, {}, **headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.client.get("/snapshot", headers=headers).status_code == 401


def test_the_401_comes_before_looking_at_the_body(api: Api) -> None:
    assert api.post("/data", {"mois": 13}, "wrong").status_code == 401


def test_tokens_created_and_revoked_while_serving_take_effect(api: Api) -> None:
    secret = create_token(api.tokens, "temporary")
    assert eventually(lambda: api.post("/users", {}, secret).status_code == 200)
    revoke_token(api.tokens, "temporary")
    assert eventually(lambda: api.post("/users", {}, secret).status_code == 401)


def test_a_scoped_token_sees_its_whole_team_by_default(api: Api) -> None:
    for endpoint in ENDPOINTS:
        response = api.post(f"/{endpoint}", {}, api.scoped)
        assert response.status_code == 200, response.text
        assert response.json() == api.expected(
            endpoint, ENDPOINTS[endpoint](id_responsable=api.manager), scope=api.manager
        )


def test_a_scoped_token_may_narrow_inside_its_team(api: Api) -> None:
    member = max(api.team - {api.manager})
    response = api.post("/performance", {"id_utilisateur": str(member)}, api.scoped)
    assert response.status_code == 200
    assert response.json() == api.expected(
        "performance",
        VisiteFilter(id_utilisateur=member, id_responsable=api.manager),
        scope=api.manager,
    )
    response = api.post("/evaluation", {"id_responsable": member}, api.scoped)
    assert response.json() == api.expected(
        "evaluation", EvaluationFilter(id_responsable=member), scope=api.manager
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_scoped_token_is_refused_other_teams(api: Api, endpoint: str) -> None:
    outsider = min(api.outsiders)
    for field in ("id_responsable", "id_utilisateur"):
        if field not in ENDPOINTS[endpoint].__struct_fields__:
            continue
        response = api.post(f"/{endpoint}", {field: outsider}, api.scoped)
        assert response.status_code == 403
        assert response.json()["field"] == field
        # The unscoped token may ask the same.
        assert api.post(f"/{endpoint}", {field: outsider}, api.reader).status_code == 200


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_scoped_token_never_gets_another_teams_numbers(api: Api, data: st.DataObject) -> None:
    users = sorted(api.team | api.outsiders | {10**6})
    user_ids = st.one_of(st.none(), st.sampled_from(users))
    body = {
        "id_responsable": data.draw(user_ids),
        "id_utilisateur": data.draw(user_ids),
        "annee": data.draw(st.one_of(st.none(), st.sampled_from([2023, "2024"]))),
    }
    response = api.post("/performance", body, api.scoped)
    asked = {v for k, v in body.items() if k.startswith("id_") and v is not None}
    if not asked <= api.team:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    answer = response.json()
    for ranking in ("utilisateurs_plus_grand_nombre_visites", "delegues_moins_nombre_visites"):
        assert {item["id_utilisateur"] for item in answer[ranking]} <= api.team
    filter_ = msgspec.convert(body, VisiteFilter, strict=False)
    if filter_.id_responsable is None:
        filter_ = msgspec.structs.replace(filter_, id_responsable=api.manager)
    assert answer == api.expected("performance", filter_, scope=api.manager)


# ------------------------------------------------------------------ caching


def test_a_repeat_is_served_from_the_cache_with_the_same_etag(api: Api) -> None:
    body = {"annee": 2023, "region": "RE00007"}
    first = api.post("/partenaire", body, api.reader)
    again = api.post("/partenaire", {"region": "RE00007", "annee": "2023"}, api.reader)
    assert first.headers["x-cache"] == "miss" and again.headers["x-cache"] == "hit"
    assert first.headers["etag"] == again.headers["etag"]
    assert first.content == again.content
    assert "engine;dur=" in first.headers["server-timing"]
    assert 'memory;desc="hit"' in again.headers["server-timing"]
    assert "app;dur=" in again.headers["server-timing"]


def test_a_matching_if_none_match_is_304(api: Api) -> None:
    etag = api.post("/invest", {"mois": 5}, api.reader).headers["etag"]
    response = api.post("/invest", {"mois": "5"}, api.reader, **{"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag
    assert etag.startswith('W/"')
    strong = etag.removeprefix("W/")  # the same tag: If-None-Match compares weakly
    listed = api.post("/invest", {"mois": 5}, api.reader, **{"If-None-Match": f'"x", {strong}'})
    assert listed.status_code == 304
    other = api.post("/invest", {"mois": 6}, api.reader, **{"If-None-Match": etag})
    assert other.status_code == 200


def test_the_etag_depends_on_endpoint_filter_and_scope(api: Api) -> None:
    def etag(path: str, body: dict[str, Any], token: str) -> str:
        return api.post(path, body, token).headers["etag"]

    tags = {
        etag("/users", {}, api.reader),
        etag("/users", {}, api.scoped),
        etag("/users", {"mois": 1}, api.reader),
        etag("/data", {}, api.reader),
    }
    assert len(tags) == 4
    assert etag("/users", {}, api.reader) == etag("/users", {}, api.admin)


# ------------------------------------------------------------------ operations


def test_health_and_ready_need_no_token(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    assert api.client.get("/ready").status_code == 200


def test_snapshot_status_reports_the_manifest(api: Api) -> None:
    status = api.client.get("/snapshot", headers={"Authorization": f"Bearer {api.reader}"}).json()
    with api.engine.lease() as view:
        manifest = view.manifest
    assert status["id"] == manifest.id and status["created_at"] == manifest.created_at
    assert status["rows"] == {name: t.rows for name, t in manifest.tables.items()}
    assert status["age_seconds"] >= 0
    assert status["refresh_running"] is False


def test_metrics_count_requests_and_cache_outcomes(api: Api) -> None:
    api.post("/data", {"mois": 2}, api.reader)
    api.post("/data", {"mois": 2}, api.reader)
    text = api.client.get("/metrics", headers={"Authorization": f"Bearer {api.monitor}"}).text
    assert 'visites_requests_total{app_name="visites",method="POST",path="/data"' in text
    assert "visites_request_duration_seconds_bucket" in text
    for name in ("visites_cache_hits_total", "visites_cache_misses_total"):
        assert float(text.split(f'\n{name}{{layer="memory"}} ')[1].split()[0]) >= 1
    assert 'visites_snapshot_rows{table="tab_visite"}' in text
    assert "visites_snapshot_age_seconds" in text


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (None, 401),
        ("wrong", 401),
        ("reader", 403),
        ("scoped", 403),  # row counts are the whole company's
        ("admin", 200),
        ("monitor", 200),
    ],
)
def test_metrics_need_a_monitoring_or_an_admin_token(
    api: Api, token: str | None, status: int
) -> None:
    secret = getattr(api, token, token) if token else None
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    response = api.client.get("/metrics", headers=headers)
    assert response.status_code == status
    assert ("visites_snapshot_info" in response.text) is (status == 200)


def test_a_monitoring_token_reads_nothing_but_metrics(api: Api) -> None:
    assert api.post("/data", {}, api.monitor).status_code == 403
    assert api.post("/invest", {}, api.monitor).status_code == 403
    headers = {"Authorization": f"Bearer {api.monitor}"}
    assert api.client.get("/snapshot", headers=headers).status_code == 403
    assert api.client.get("/dashboard/choices", headers=headers).status_code == 403


def test_every_response_says_nosniff(api: Api) -> None:
    reader = {"Authorization": f"Bearer {api.reader}"}
    responses = [
        api.post("/data", {}, api.reader),  # an answer
        api.post("/data", {"mois": 13}, api.reader),  # a 400
        api.post("/data", {}),  # a 401
        api.client.get("/nowhere"),  # Litestar's own 404
        api.client.get("/health"),
        api.client.get("/snapshot", headers=reader),
        api.client.get("/dashboard"),
        api.client.get("/dashboard/assets/dashboard.js"),
        api.client.get("/schema/openapi.json"),
    ]
    assert [r.headers.get("x-content-type-options") for r in responses] == ["nosniff"] * 9
    assert [r.status_code for r in responses] == [200, 400, 401, 404, 200, 200, 200, 200, 200]


def test_the_openapi_schema_describes_bodies_answers_and_auth(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/data"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "annee" in body["properties"] and body["additionalProperties"] is False
    assert set(operation["responses"]) >= {"200", "400", "401", "403", "413"}
    assert operation["security"] == [{"bearer": []}]
    assert api.client.get("/schema/swagger").status_code == 200


def test_refresh_needs_an_admin_and_runs_one_at_a_time(api: Api) -> None:
    assert api.post("/snapshot/refresh", {}, api.reader).status_code == 403
    started = api.post("/snapshot/refresh", {}, api.admin)
    assert started.status_code == 202
    assert started.json()["refresh_running"] is True
    assert api.post("/snapshot/refresh", {}, api.admin).status_code == 409
    status = _wait_for_refresh(api)
    # No VISITES_MYSQL_URL here: the job fails, says why, and the server carries on.
    assert status["last_refresh"]["status"] == "failed"
    assert "VISITES_MYSQL_URL" in status["last_refresh"]["message"]
    assert api.client.get("/ready").status_code == 200


def _wait_for_refresh(api: Api) -> dict[str, Any]:
    def status() -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {api.admin}"}
        return api.client.get("/snapshot", headers=headers).json()

    assert eventually(lambda: not status()["refresh_running"], seconds=60)
    return status()
