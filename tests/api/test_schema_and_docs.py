"""/api/schema/ is OpenAPI 3 and /api/docs/ loads nothing from the internet."""

import re

import yaml


def test_the_schema_describes_every_v1_endpoint(api, supervisor):
    response = api(supervisor).get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for path in (
        "/api/v1/cases/", "/api/v1/cases/{id}/", "/api/v1/cases/{id}/transition/", "/api/v1/cases/{id}/events/",
        "/api/v1/cases/{id}/attachments/", "/api/v1/cases/bulk/", "/api/v1/overdue/", "/api/v1/stats/",
        "/api/v1/cities/", "/api/v1/campaigns/", "/api/v1/changes/",
    ):
        assert path in paths, path
    list_parameters = {p["name"] for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert {"kind", "status", "city", "campaign", "overdue", "due_before", "updated_since", "q", "ordering"} <= list_parameters


def test_the_docs_page_uses_only_local_assets(api, supervisor):
    response = api(supervisor).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert "swagger-ui" in html


def test_anonymous_callers_get_no_schema(api):
    assert api().get("/api/schema/").status_code == 401


def test_listed_rows_link_to_their_operations(api, supervisor):
    """A client can follow a listed case or dispatch round (or a round just
    opened) to the operations on it: OpenAPI links from the lists."""
    paths = yaml.safe_load(api(supervisor).get("/api/schema/").content)["paths"]
    case_links = paths["/api/v1/cases/"]["get"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in case_links.values()} >= {"v1_cases_retrieve", "v1_cases_transition_create"}
    listed = paths["/api/v1/dispatch/rounds/"]["get"]["responses"]["200"]["links"]
    opened = paths["/api/v1/dispatch/rounds/"]["post"]["responses"]["201"]["links"]
    operations = {
        "dispatch_rounds_retrieve", "dispatch_rounds_partial_update", "dispatch_rounds_close", "dispatch_rounds_report",
        "dispatch_rounds_urge",
    }  # fmt: skip
    assert {link["operationId"] for link in listed.values()} == operations
    assert {link["parameters"]["id"] for link in listed.values()} == {"$response.body#/results/0/id"}
    assert {link["parameters"]["id"] for link in opened.values()} == {"$response.body#/id"}


def test_the_schema_documents_editing_and_closing_a_dispatch_round(api, supervisor):
    schema = yaml.safe_load(api(supervisor).get("/api/schema/").content)
    paths, components = schema["paths"], schema["components"]["schemas"]
    edit = paths["/api/v1/dispatch/rounds/{id}/"]["patch"]
    closing = paths["/api/v1/dispatch/rounds/{id}/close/"]["post"]
    assert edit["operationId"] == "dispatch_rounds_partial_update" and "409" in edit["responses"]
    assert closing["operationId"] == "dispatch_rounds_close" and "409" in closing["responses"]
    assert "409" in paths["/api/v1/dispatch/rounds/{id}/reports/"]["post"]["responses"]
    assert components["RoundCloseIn"]["required"] == ["reason"]
    assert set(components["PatchedRoundEditIn"]["properties"]) == {"name", "cutoff", "campaigns", "divisions"}
    assert {"closed", "closed_at", "closed_by", "close_reason"} <= set(components["RoundOut"]["properties"])
    assert "history" in components["RoundDetailOut"]["properties"]
