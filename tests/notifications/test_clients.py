"""The small clients against the fake services: what the real ones would
accept and refuse, and what is kept of their answers."""

import json

import pytest

from notifications.clients import AliyunSms, ChannelError, DingTalkRobot, WeComRobot, dingtalk_sign


def test_the_dingtalk_signature_is_the_documented_one():
    # HMAC-SHA256 of "timestamp\nsecret" keyed by the secret, base64, URL-encoded; the
    # value computed independently with:
    #   printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64
    assert dingtalk_sign("SECabc", "1700000000000") == "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D"


def test_a_signed_dingtalk_message_is_accepted(robots):
    webhook = robots.dingtalk_robot("tok-nanchang", "SEC-nanchang")
    answer = DingTalkRobot(kind="dingtalk", webhook=webhook, secret="SEC-nanchang").send_text("南昌：逾期 3 件")

    assert json.loads(answer)["errcode"] == 0
    [message] = robots.messages("tok-nanchang")
    assert message.text == "南昌：逾期 3 件" and message.service == "dingtalk"


def test_a_wrong_signing_secret_is_refused_with_the_robots_answer_and_no_secret_in_it(robots):
    webhook = robots.dingtalk_robot("tok-nanchang", "SEC-right")
    with pytest.raises(ChannelError) as refused:
        DingTalkRobot(kind="dingtalk", webhook=webhook, secret="SEC-wrong").send_text("x")

    assert "sign not match" in refused.value.answer
    assert robots.received == []
    assert "tok-nanchang" not in str(refused.value) + refused.value.answer


def test_a_wecom_message_needs_the_right_key(robots):
    good = robots.wecom_robot("key-jiujiang")
    WeComRobot(kind="wecom", webhook=good).send_text("九江")
    with pytest.raises(ChannelError) as refused:
        WeComRobot(kind="wecom", webhook=good.replace("key-jiujiang", "key-guessed")).send_text("九江")

    assert [m.text for m in robots.messages("key-jiujiang")] == ["九江"]
    assert "invalid webhook url" in refused.value.answer
    assert refused.value.retry_after is None


@pytest.mark.parametrize("status,answer", [(200, {"errcode": 130101, "errmsg": "send too fast"}), (429, {})])
def test_too_fast_asks_to_wait(robots, settings, status, answer):
    settings.ROBOT_RATE_LIMIT_WAIT_SECONDS = 60
    webhook = robots.dingtalk_robot("tok", "SEC")
    robots.fail_next.append((status, answer))
    with pytest.raises(ChannelError) as refused:
        DingTalkRobot(kind="dingtalk", webhook=webhook, secret="SEC").send_text("x")
    assert refused.value.retry_after == 60


def test_a_robot_that_cannot_be_reached_fails_without_naming_its_key(robots):
    webhook = robots.wecom_robot("key-secret-1234")
    robots.stop()
    with pytest.raises(ChannelError) as refused:
        WeComRobot(kind="wecom", webhook=webhook).send_text("x")
    assert "key-secret-1234" not in str(refused.value)


def test_an_sms_goes_through_the_official_sdk_with_template_and_parameters(robots):
    answer = AliyunSms().send(phone="13800000001", template_code="SMS_000000001", params={"overdue": "3"})

    assert json.loads(answer)["Code"] == "OK"
    [message] = robots.messages("13800000001")
    assert json.loads(message.text) == {"overdue": "3"}
    assert message.query["TemplateCode"] == "SMS_000000001" and message.query["SignName"] == "江西整改"
    assert "Credential=LTAI-test-id" in message.query["Authorization"] and "Signature=" in message.query["Authorization"]


def test_an_sms_refused_for_its_rate_asks_to_wait(robots):
    robots.fail_next.append((200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}))
    with pytest.raises(ChannelError) as refused:
        AliyunSms().send(phone="13800000001", template_code="SMS_000000001", params={})
    assert refused.value.retry_after and "BUSINESS_LIMIT_CONTROL" in refused.value.answer
