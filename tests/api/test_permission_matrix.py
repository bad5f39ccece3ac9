"""Every endpoint × every kind of caller. The case is Nanchang's; the
read-only and read-write clients are Nanchang's too."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CampaignFactory

ACTORS = ["anonymous", "nanchang_officer", "jiujiang_officer", "supervisor", "readonly_client", "write_client"]


def bulk_body():
    return {
        "cases": [
            {
                "campaign": "test-central-2",
                "reference": "M-1",
                "kind": "feedback_problem",
                "title": "矩阵测试（合成数据）",
                "city": "360100",
                "deadline_type": "immediate",
            }
        ]
    }


# endpoint -> expected status per actor, in ACTORS order
MATRIX = {
    "list": (401, 200, 200, 200, 200, 200),
    "detail": (401, 200, 404, 200, 200, 200),
    "edit": (401, 200, 404, 200, 403, 200),
    "transition": (401, 200, 404, 200, 403, 200),
    "events": (401, 200, 404, 200, 200, 200),
    "attach": (401, 201, 404, 201, 403, 201),
    "overdue": (401, 200, 200, 200, 200, 200),
    "stats": (401, 200, 200, 200, 200, 200),
    "cities": (401, 200, 200, 200, 200, 200),
    "campaigns": (401, 200, 200, 200, 200, 200),
    "changes": (401, 200, 200, 200, 200, 200),
    "bulk": (401, 403, 403, 200, 403, 200),
}


def call(client, endpoint, case):
    base = f"/api/v1/cases/{case.pk}/"
    match endpoint:
        case "list":
            return client.get("/api/v1/cases/")
        case "detail":
            return client.get(base)
        case "edit":
            return client.patch(base, {"progress": "进展"}, format="json", HTTP_IF_MATCH='"1"')
        case "transition":
            return client.post(base + "transition/", {"to": "pending_acceptance", "note": "已整改"}, format="json")
        case "events":
            return client.get(base + "events/")
        case "attach":
            upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 synthetic", content_type="application/pdf")
            return client.post(base + "attachments/", {"file": upload, "note": "验收材料"}, format="multipart")
        case "bulk":
            return client.post("/api/v1/cases/bulk/", bulk_body(), format="json")
        case _:
            return client.get(f"/api/v1/{endpoint}/")


@pytest.mark.parametrize("endpoint", MATRIX)
@pytest.mark.parametrize("actor", ACTORS)
def test_each_caller_gets_what_its_role_allows(api, request, endpoint, actor, nanchang_case):
    CampaignFactory()
    user = None if actor == "anonymous" else request.getfixturevalue(actor)
    response = call(api(user), endpoint, nanchang_case)
    expected = MATRIX[endpoint][ACTORS.index(actor)]
    assert response.status_code == expected, response.content
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_lists_show_an_officer_only_the_own_city(api, jiujiang_officer, nanchang_case, jiujiang_case):
    # The feed's scope is tested with committed data in test_change_feed.
    for url in ("/api/v1/cases/", "/api/v1/overdue/?page_size=5"):
        ids = [row["id"] for row in api(jiujiang_officer).get(url).json()["results"]]
        assert nanchang_case.pk not in ids, url
    assert [row["id"] for row in api(jiujiang_officer).get("/api/v1/cases/").json()["results"]] == [jiujiang_case.pk]


def test_a_deactivated_users_token_stops_working_at_once(client, write_client):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=write_client)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/api/v1/cases/", **auth).status_code == 200
    write_client.is_active = False
    write_client.save()
    assert client.get("/api/v1/cases/", **auth).status_code == 401
