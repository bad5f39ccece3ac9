"""Evidence standards at acceptance (issue 14 point 3): the acceptor ticks
the campaign kind's checklist and the case carries an evidence file,
unless the campaign allows otherwise; every way of accepting (the
workflow, the API, the case page, the acceptance queue's batch, the bulk
upsert) goes through the same check."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.constants import Status
from cases.errors import InvalidInput
from cases.models import Campaign, Case, EvidenceStandard, Review
from cases.reference import EVIDENCE_STANDARDS
from cases.services import attach_evidence
from cases.upsert import upsert_cases
from cases.workflow import transition
from tests.api.conftest import api  # noqa: F401 (a fixture)
from tests.factories import CampaignFactory, CaseFactory

S = Status
CODES = [code for code, _name, _en in EVIDENCE_STANDARDS]


@pytest.fixture
def strict(db):
    """A campaign as a new one is made: checklist checked, a file required."""
    return CampaignFactory(code="strict", standards_required=True, allow_acceptance_without_evidence=False)


def submitted(campaign, officer, reference="E-1"):
    case = CaseFactory(campaign=campaign, city=officer.city, status=S.IN_PROGRESS, reference=reference)
    transition(case=case, action="submit", actor=officer, note="整改完成，申请验收")
    return case


def with_file(case, officer):
    attach_evidence(case=case, actor=officer, upload=SimpleUploadedFile("验收.pdf", b"%PDF-1.4", content_type="application/pdf"))
    case.refresh_from_db()
    return case


# --- the data ----------------------------------------------------------------


@pytest.mark.django_db
def test_each_campaign_kind_has_the_five_standards_in_chinese_and_english():
    for kind in ("central", "provincial", "warning_film"):
        rows = list(EvidenceStandard.objects.filter(campaign_kind=kind).values_list("code", "name", "name_en"))
        assert rows == EVIDENCE_STANDARDS
    assert [n for _c, n, _e in EVIDENCE_STANDARDS] == [
        "整改措施全部落实", "违法行为依法查处到位", "达到技术规范要求", "举一反三、同类问题一并整改", "建立长效机制",
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_campaigns_accepting_without_a_file_and_drops_nothing(migrate):
    apps = migrate([("cases", "0009_handed_in_updated_index")])
    apps.get_model("cases", "Campaign").objects.create(code="old", kind="central", name="旧批次")
    apps.get_model("cases", "Campaign").objects.create(code="old-2", kind="warning_film", name="旧警示片")
    apps = migrate([("cases", "0010_evidence_standards")])
    rows = apps.get_model("cases", "Campaign").objects.values_list(
        "code", "standards_required", "allow_acceptance_without_evidence"
    )
    assert sorted(rows) == [("old", True, True), ("old-2", True, True)]
    assert apps.get_model("cases", "EvidenceStandard").objects.count() == 15
    assert Campaign().allow_acceptance_without_evidence is False  # a new campaign requires a file


# --- the workflow ------------------------------------------------------------


@pytest.mark.django_db
def test_an_unticked_standard_is_refused_naming_it_and_changes_nothing(strict, nanchang_officer, supervisor):
    case = with_file(submitted(strict, nanchang_officer), nanchang_officer)
    with pytest.raises(InvalidInput) as refused:
        transition(case=case, action="close", actor=supervisor, note="同意销号", standards=CODES[:3] + CODES[4:])
    assert refused.value.field == "standards"
    assert "举一反三、同类问题一并整改" in str(refused.value.message) and "建立长效机制" not in str(refused.value.message)
    case.refresh_from_db()
    assert case.status == S.PENDING_ACCEPTANCE and not Review.objects.filter(case=case, result="closed").exists()


@pytest.mark.django_db
def test_no_evidence_file_is_refused_plainly_unless_the_campaign_allows_it(strict, nanchang_officer, supervisor):
    case = submitted(strict, nanchang_officer)
    with pytest.raises(InvalidInput) as refused:
        transition(case=case, action="close", actor=supervisor, standards=CODES)
    assert refused.value.field == "evidence" and "没有佐证材料文件" in str(refused.value.message)
    assert Case.objects.get(pk=case.pk).status == S.PENDING_ACCEPTANCE

    lenient = CampaignFactory(code="lenient", standards_required=True, allow_acceptance_without_evidence=True)
    other = submitted(lenient, nanchang_officer, reference="E-2")
    transition(case=other, action="close", actor=supervisor, standards=CODES)
    assert Case.objects.get(pk=other.pk).status == S.CLOSED


@pytest.mark.django_db
def test_all_ticked_with_a_file_accepts_and_the_review_records_the_standards(strict, nanchang_officer, supervisor):
    case = with_file(submitted(strict, nanchang_officer), nanchang_officer)
    by_id = [str(s.pk) for s in EvidenceStandard.objects.filter(campaign_kind="central", code__in=CODES[:2])]
    transition(case=case, action="publicize", actor=supervisor, note="同意公示", standards=by_id + CODES[2:])
    review = Review.objects.get(case=case, result="publicized")
    assert review.standards == CODES
    assert Case.objects.get(pk=case.pk).status == S.IN_PUBLICITY


@pytest.mark.django_db
def test_a_standard_switched_off_in_the_admin_is_no_longer_asked_and_unknown_ones_are_refused(strict, nanchang_officer, supervisor):
    EvidenceStandard.objects.filter(campaign_kind="central", code="lasting_mechanism").update(active=False)
    case = with_file(submitted(strict, nanchang_officer), nanchang_officer)
    with pytest.raises(InvalidInput) as refused:
        transition(case=case, action="close", actor=supervisor, standards=CODES)  # the retired one is unknown now
    assert refused.value.field == "standards" and "lasting_mechanism" in str(refused.value.message)
    transition(case=case, action="close", actor=supervisor, standards=CODES[:4])
    assert Review.objects.get(case=case, result="closed").standards == CODES[:4]


@pytest.mark.django_db
def test_a_returning_or_approving_level_ticks_nothing(strict, nanchang_officer, supervisor):
    case = submitted(strict, nanchang_officer)
    transition(case=case, action="return", actor=supervisor, note="补充佐证材料")
    assert Review.objects.get(case=case).standards == []


# --- the API -------------------------------------------------------------------

URL = "/api/v1/cases/{}/"


@pytest.mark.django_db
def test_the_api_refuses_with_400_naming_standards_and_accepts_with_all_ticked(api, strict, nanchang_officer, supervisor):
    case = with_file(submitted(strict, nanchang_officer), nanchang_officer)
    client = api(supervisor)
    sign_off = client.get(URL.format(case.pk) + "sign-off/").json()
    assert [s["code"] for s in sign_off["standards"]] == CODES and sign_off["evidence_required"] is True
    assert sign_off["standards"][0]["name"] == "整改措施全部落实"

    response = client.post(URL.format(case.pk) + "transition/", {"action": "close", "standards": CODES[1:]}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "standards"
    assert "整改措施全部落实" in response.json()["errors"]["standards"][0]
    response = client.post(URL.format(case.pk) + "transition/", {"action": "close", "standards": "all"}, format="json")
    assert response.status_code == 400 and "standards" in response.json()["errors"]
    assert Case.objects.get(pk=case.pk).version == case.version

    ids = [s["id"] for s in sign_off["standards"]]
    # The schema says text: ids as numbers are refused, as text accepted.
    response = client.post(URL.format(case.pk) + "transition/", {"action": "close", "standards": ids}, format="json")
    assert response.status_code == 400 and "standards" in response.json()["errors"]
    response = client.post(
        URL.format(case.pk) + "transition/", {"action": "close", "standards": [str(i) for i in ids]}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert client.get(URL.format(case.pk) + "sign-off/").json()["reviews"][-1]["standards"] == CODES


@pytest.mark.django_db
def test_the_sign_off_lists_no_standards_where_the_campaign_does_not_check_them(api, nanchang_officer, supervisor):
    case = submitted(CampaignFactory(), nanchang_officer)
    body = api(supervisor).get(URL.format(case.pk) + "sign-off/").json()
    assert body["standards"] == [] and body["evidence_required"] is False


# --- the bulk upsert -----------------------------------------------------------


@pytest.mark.django_db
def test_the_upsert_cannot_close_a_case_of_a_campaign_that_checks_standards(strict, supervisor):
    item = {
        "campaign": "strict", "reference": "U-1", "kind": "feedback_problem", "title": "批量（合成数据）",
        "city": "360100", "deadline_type": "dated", "deadline": "2024-06-30", "status": "closed", "note": "已完成",
    }  # fmt: skip
    [result] = upsert_cases(actor=supervisor, items=[item])
    assert result.outcome == "invalid" and "standards" in result.errors
    assert not Case.objects.filter(reference="U-1").exists()


def upsert_close(actor, reference, **extra):
    item = {"campaign": "strict", "reference": reference, "status": "closed", "note": "已完成"} | extra
    [result] = upsert_cases(actor=actor, items=[item])
    return result


@pytest.mark.django_db
def test_the_upsert_closes_with_every_standard_ticked_and_records_them(strict, nanchang_officer, supervisor):
    case = with_file(submitted(strict, nanchang_officer), nanchang_officer)
    result = upsert_close(supervisor, case.reference, standards=CODES[1:])
    assert result.outcome == "invalid" and "整改措施全部落实" in result.errors["standards"][0]
    result = upsert_close(supervisor, case.reference, standards=CODES)
    assert result.outcome == "updated", result.errors
    assert Case.objects.get(pk=case.pk).status == S.CLOSED
    assert Review.objects.get(case=case, result="closed").standards == CODES


@pytest.mark.django_db
@pytest.mark.parametrize("standards", ["all", [1, 2], [None], {"measures_done": True}])
def test_the_upsert_refuses_standards_that_are_not_a_list_of_text(strict, nanchang_officer, supervisor, standards):
    case = with_file(submitted(strict, nanchang_officer), nanchang_officer)
    result = upsert_close(supervisor, case.reference, standards=standards)
    assert result.outcome == "invalid" and list(result.errors) == ["standards"]
    assert Case.objects.get(pk=case.pk).version == case.version


# --- the admin -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_asks_for_the_standards_before_accepting_and_checks_them(client, strict, nanchang_officer):
    from django.urls import reverse

    from tests.factories import UserFactory

    staff = UserFactory(username="staff_sup", role="supervisor", city=None, is_staff=True, is_superuser=True)
    client.force_login(staff)
    case = with_file(submitted(strict, nanchang_officer), nanchang_officer)
    url = reverse("admin:cases_case_changelist")
    page = client.post(url, {"action": "move_close", "_selected_action": [case.pk]})
    assert page.status_code == 200 and "整改措施全部落实" in page.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.PENDING_ACCEPTANCE  # nothing yet: it asked
    client.post(url, {"action": "move_close", "_selected_action": [case.pk], "apply": "1", "standard": CODES[:4]})
    assert Case.objects.get(pk=case.pk).status == S.PENDING_ACCEPTANCE  # one unticked: refused
    client.post(url, {"action": "move_close", "_selected_action": [case.pk], "apply": "1", "standard": CODES})
    assert Case.objects.get(pk=case.pk).status == S.CLOSED
    assert Review.objects.get(case=case, result="closed").standards == CODES


# --- the pages -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_case_page_shows_the_checklist_refuses_unticked_and_accepts_ticked(client, strict, nanchang_officer, supervisor):
    case = with_file(submitted(strict, nanchang_officer), nanchang_officer)
    client.force_login(supervisor)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "t-closed-standards" in page and "达到技术规范要求" in page
    data = {"to": "closed", "t-closed-expected_version": case.version, "t-closed-confirm": "on", "t-closed-note": "同意"}
    response = client.post(f"/cases/{case.pk}/transition/", {**data, "t-closed-standards": CODES[:2]})
    assert response.status_code == 400 and "达到技术规范要求" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == S.PENDING_ACCEPTANCE
    response = client.post(f"/cases/{case.pk}/transition/", {**data, "t-closed-standards": CODES})
    assert response.status_code == 302 and Case.objects.get(pk=case.pk).status == S.CLOSED


@pytest.mark.django_db
def test_the_batch_ticks_once_and_checks_each_case_on_its_own(client, strict, nanchang_officer, supervisor):
    proved = with_file(submitted(strict, nanchang_officer, "B-PROVED"), nanchang_officer)
    bare = submitted(strict, nanchang_officer, "B-BARE")
    client.force_login(supervisor)
    page = client.get("/acceptance/").content.decode()
    assert 'name="standard" value="similar_problems_fixed"' in page
    selection = [f"{c.pk}:{c.version}" for c in (proved, bare)]

    response = client.post("/acceptance/", {"case": selection, "decision": "accept", "confirm": "on", "standard": CODES[:4]})
    outcomes = {o.reference: o for o in response.context["outcomes"]}
    assert not outcomes["B-PROVED"].done and "建立长效机制" in outcomes["B-PROVED"].message
    assert not outcomes["B-BARE"].done

    response = client.post("/acceptance/", {"case": selection, "decision": "accept", "confirm": "on", "standard": CODES})
    outcomes = {o.reference: o for o in response.context["outcomes"]}
    assert outcomes["B-PROVED"].done and not outcomes["B-BARE"].done
    assert "佐证材料" in outcomes["B-BARE"].message
    assert Case.objects.get(pk=proved.pk).status == S.CLOSED and Case.objects.get(pk=bare.pk).status == S.PENDING_ACCEPTANCE
    assert Review.objects.get(case=proved, result="closed").standards == CODES


def test_the_queues_batch_ticks_each_case_against_its_own_campaigns_checklist(client, nanchang_officer, supervisor):
    """Two campaign kinds whose checklists differ (the central one asks one
    more standard): the batch form offers the union, and ticking it all
    accepts both cases, each checked against its own list."""
    EvidenceStandard.objects.create(campaign_kind="central", code="river_chief", name="河长制落实", name_en="River chief in place", position=9)
    central = CampaignFactory(code="strict-central", standards_required=True, allow_acceptance_without_evidence=True)
    provincial = CampaignFactory(
        code="strict-provincial", kind="provincial", standards_required=True, allow_acceptance_without_evidence=True
    )
    cases = [submitted(central, nanchang_officer, "B-1"), submitted(provincial, nanchang_officer, "B-2")]
    client.force_login(supervisor)
    offered = [code for code, _name in client.get("/acceptance/").context["standards"]]
    assert offered == CODES + ["river_chief"]
    response = client.post(
        "/acceptance/",
        {"decision": "accept", "confirm": "on", "note": "同意", "standard": offered,
         "case": [f"{case.pk}:{case.version}" for case in cases]},
    )  # fmt: skip
    assert response.status_code == 200
    assert [(o.reference, o.done) for o in response.context["outcomes"]] == [("B-1", True), ("B-2", True)]
    assert set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("status", flat=True)) == {S.CLOSED}
    assert Review.objects.get(case=cases[1], result="closed").standards == CODES
