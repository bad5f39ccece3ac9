"""Personal data in published text is masked; numbers that identify
nobody (acceptance numbers, amounts, dates, codes) are left alone."""

import pytest

from reports.masking import mask_personal_data


@pytest.mark.parametrize(
    "text, masked",
    [
        ("请联系13812345678张先生", "请联系138****5678张先生"),
        ("手机：+86 138-1234-5678。", "手机：138****5678。"),
        ("手机138 1234 5678", "手机138****5678"),
        ("全角１３８１２３４５６７８号码", "全角138****5678号码"),
        ("电话：0791-88881234", "电话：0791-****1234"),
        ("电话(0791)88881234", "电话0791-****1234"),
        ("座机0797 8123456", "座机0797-***3456"),
        ("身份证号360102199001011234", "身份证号360102********1234"),
        ("身份证36010219900101123X。", "身份证360102********123X。"),
        ("旧身份证360102900101123", "旧身份证360102*****1123"),
        ("邮箱 zhang.san@example.com 反映", "邮箱 z***@example.com 反映"),
        ("两个号码13812345678、13987654321", "两个号码138****5678、139****4321"),
    ],
)
def test_personal_data_is_masked(text, masked):
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "与X2JX202104150001重复",
        "罚款100000元，约谈2人",
        "交办日期20210415",
        "行政区划代码360113",
        "统一社会信用代码91360100MA35XXXX1X",
        "第12345678901234567890号文件",
        "",
    ],
)
def test_numbers_that_identify_nobody_are_left_alone(text):
    assert mask_personal_data(text) == text
