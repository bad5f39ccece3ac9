"""Spreadsheets built in memory, in the two layouts the bureaus use."""

import csv
import io

import pytest
from django.utils import translation
from openpyxl import Workbook

from tests.factories import CampaignFactory

PETITION_HEADER = [
    "序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型",
    "调查核实情况", "是否属实", "处理和整改情况", "问责情况",
]
LEDGER_HEADER = [
    "问题序号", "督察问题", "整改目标", "整改措施", "责任单位", "行政区域", "整改时限", "整改进展", "完成情况",
]


def petition_row(serial, number, *, region="南昌市新建区", types="大气、噪声", veracity="属实",
                 accountability="责令整改1家，罚款5万元，约谈2人"):
    return [
        serial, number, f"反映某合成企业夜间排放废气（合成数据 {serial}）", region, types,
        "经现场核查，情况属实（合成数据）。", veracity, "已责令整改并复查（合成数据）。", accountability,
    ]


def ledger_row(number, *, deadline="2023年12月底前", completion="整改中", region="南昌市", unit="南昌市人民政府"):
    return [
        number, f"合成问题 {number}：污水处理厂进水浓度偏低", "进水浓度达标", "排查管网混错接",
        unit, region, deadline, "正在推进管网改造（合成数据）", completion,
    ]


def xlsx_bytes(*sheets) -> bytes:
    """sheets: (title, rows) pairs."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; one test checks the Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def central(db):
    return CampaignFactory(code="central-test", kind="central", name="第二轮中央生态环境保护督察（测试）")


@pytest.fixture
def warning_films(db):
    return CampaignFactory(code="warning-test", kind="warning_film", name="长江经济带警示片（测试）", round=None)


@pytest.fixture
def provincial(db):
    return CampaignFactory(code="provincial-test", kind="provincial", name="省级督察（测试）")


@pytest.fixture
def eager_celery():
    """Run tasks in-process even where REDIS_URL makes them asynchronous."""
    from tracker.celery import app as celery_app

    # The app reads its settings with the CELERY_ namespace.
    previous = celery_app.conf.CELERY_TASK_ALWAYS_EAGER
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True
    assert celery_app.conf.task_always_eager
    yield
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = previous


def run_import(actor, data: bytes, filename: str, campaign, *, dry_run: bool = False):
    from imports import services

    return services.start_import(
        actor=actor, data=data, filename=filename, campaign_code=campaign.code, dry_run=dry_run
    )


def outcomes(job) -> dict:
    """reference -> outcome, for every row of the job's report."""
    return {row["reference"]: row["outcome"] for row in job.report["rows"]}


@pytest.fixture(autouse=True)
def _units(db):
    """The units the ledgers name (units are records; an unknown name is an error)."""
    from cases.models import Unit

    for name, division in (("南昌市人民政府", "360100"), ("九江市人民政府", "360400")):
        Unit.objects.get_or_create(name=name, division_id=division, defaults={"kind": "government"})
