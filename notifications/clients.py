"""Small clients for the robots and the SMS service.

Each sends one text and returns the service's answer, or raises
``ChannelError`` carrying that answer (shown in the admin) and, when the
service said "too fast", how long to wait. Nothing here writes a webhook
key, access token or secret into an answer, an error or a log line: they
pass through ``scrub`` first."""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, quote_plus, urlsplit

from django.conf import settings

from .models import ChannelKind

TIMEOUT_SECONDS = 10
# What each service answers when a robot or a number gets more messages
# than it accepts; the message is then tried again after ROBOT_RATE_LIMIT_WAIT_SECONDS.
DINGTALK_TOO_FAST = {130101}  # "send too fast, exceed 20 times per minute"
WECOM_TOO_FAST = {45009}  # "api freq out of limit"
SMS_TOO_FAST = {"isv.BUSINESS_LIMIT_CONTROL"}
# Our id of an SMS (SendSms's OutId) is kept this short; QuerySendDetails
# lists at most 50 messages a page.
OUT_ID_MAX = 32
QUERY_PAGE_SIZE = 50


def rate_limit_wait() -> float:
    return settings.ROBOT_RATE_LIMIT_WAIT_SECONDS


class ChannelError(Exception):
    def __init__(self, message: str, *, answer: str = "", retry_after: int | None = None):
        super().__init__(message)
        self.answer = answer
        self.retry_after = retry_after


def scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def dingtalk_sign(secret: str, timestamp: str) -> str:
    """DingTalk's signature of a request: the HMAC-SHA256 of
    "timestamp\\nsecret" keyed by the secret, base64, URL-encoded."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(mac))


class Robot:
    """A group robot reached by a webhook: DingTalk or WeCom."""

    too_fast: set[int] = set()

    def __init__(self, *, kind: str, webhook: str, secret: str = ""):
        self.kind = kind
        self.webhook = webhook
        self.secret = secret

    def url(self) -> str:
        return self.webhook

    def send_text(self, text: str) -> str:
        body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url(), data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                answer = response.read(4000).decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            answer = self._scrub(error.read(2000).decode("utf-8", "replace"))
            retry_after = rate_limit_wait() if error.code == 429 else None
            raise ChannelError(f"HTTP {error.code}", answer=answer, retry_after=retry_after) from None
        except (urllib.error.URLError, OSError) as error:
            raise ChannelError(self._scrub(f"{type(error).__name__}: {error}")) from None
        answer = self._scrub(answer)
        try:
            code = json.loads(answer).get("errcode")
        except (ValueError, AttributeError):
            raise ChannelError("not a robot's answer", answer=answer) from None
        if code != 0:
            retry_after = rate_limit_wait() if code in self.too_fast else None
            raise ChannelError(f"errcode {code}", answer=answer, retry_after=retry_after)
        return answer

    def _scrub(self, text: str) -> str:
        return scrub(text, self.webhook, self.secret, *query_values(self.webhook))


def query_values(webhook: str) -> list[str]:
    """The values in a webhook's query string: its access token or key."""
    return [value for _, value in parse_qsl(urlsplit(webhook).query) if len(value) >= 4]


class DingTalkRobot(Robot):
    too_fast = DINGTALK_TOO_FAST

    def url(self) -> str:
        if not self.secret:
            return self.webhook
        timestamp = str(int(time.time() * 1000))
        separator = "&" if "?" in self.webhook else "?"
        return f"{self.webhook}{separator}timestamp={timestamp}&sign={dingtalk_sign(self.secret, timestamp)}"


class WeComRobot(Robot):
    too_fast = WECOM_TOO_FAST


def robot(*, kind: str, webhook: str, secret: str = "") -> Robot:
    cls = DingTalkRobot if kind == ChannelKind.DINGTALK else WeComRobot
    return cls(kind=kind, webhook=webhook, secret=secret)


class AliyunSms:
    """Alibaba Cloud's SMS service through its official SDK: a message is
    a template (approved in advance, SMS_ followed by digits) filled with
    parameters, signed with the sender's approved sign name."""

    def __init__(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        self.access_key_secret = settings.ALIYUN_SMS_ACCESS_KEY_SECRET
        self.client = Client(
            Config(
                access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
                access_key_secret=self.access_key_secret,
                endpoint=settings.ALIYUN_SMS_ENDPOINT,
                protocol=settings.ALIYUN_SMS_PROTOCOL,
            )
        )

    def send(self, *, phone: str, template_code: str, params: dict, out_id: str = "") -> str:
        """``out_id``: our own id of the message (at most OUT_ID_MAX
        characters), kept by the service with it and listed again by
        ``find_sent``."""
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        if not (settings.ALIYUN_SMS_ACCESS_KEY_ID and settings.ALIYUN_SMS_SIGN_NAME and template_code):
            raise ChannelError("SMS is not configured: set ALIYUN_SMS_ACCESS_KEY_ID, _SECRET, _SIGN_NAME and the template")
        request = SendSmsRequest(
            phone_numbers=phone,
            sign_name=settings.ALIYUN_SMS_SIGN_NAME,
            template_code=template_code,
            template_param=json.dumps(params, ensure_ascii=False),
            out_id=out_id[:OUT_ID_MAX] or None,
        )
        try:
            body = self.client.send_sms_with_options(request, self._runtime()).body
        except Exception as error:  # the SDK raises its own types for HTTP and transport errors
            code = getattr(error, "code", "")
            answer = scrub(str(getattr(error, "data", "") or error), self.access_key_secret)[:2000]
            retry_after = rate_limit_wait() if code in SMS_TOO_FAST else None
            raise ChannelError(scrub(f"{type(error).__name__}: {code or error}", self.access_key_secret)[:500],
                               answer=answer, retry_after=retry_after) from None  # fmt: skip
        answer = json.dumps(body.to_map(), ensure_ascii=False)
        if body.code != "OK":
            retry_after = rate_limit_wait() if body.code in SMS_TOO_FAST else None
            raise ChannelError(f"SMS {body.code}", answer=answer, retry_after=retry_after)
        return answer

    def _runtime(self):
        from darabonba.runtime import RuntimeOptions

        return RuntimeOptions(
            autoretry=False, read_timeout=TIMEOUT_SECONDS * 1000, connect_timeout=TIMEOUT_SECONDS * 1000
        )

    def find_sent(self, *, phone: str, out_id: str, dates: list) -> str | None:
        """The service's record of the message sent to ``phone`` with this
        ``out_id`` on one of these (Asia/Shanghai) dates, as JSON, or None
        when it has none: QuerySendDetails, page by page. Raises
        ``ChannelError`` when the service could not be asked or refused."""
        from alibabacloud_dysmsapi20170525.models import QuerySendDetailsRequest

        for day in dates:
            page = 1
            while True:
                request = QuerySendDetailsRequest(
                    phone_number=phone, send_date=f"{day:%Y%m%d}", page_size=QUERY_PAGE_SIZE, current_page=page
                )
                try:
                    body = self.client.query_send_details_with_options(request, self._runtime()).body
                except Exception as error:  # the SDK's own types for HTTP and transport errors
                    code = getattr(error, "code", "")
                    answer = scrub(str(getattr(error, "data", "") or error), self.access_key_secret)[:2000]
                    raise ChannelError(
                        scrub(f"QuerySendDetails {type(error).__name__}: {code or error}", self.access_key_secret)[:500],
                        answer=answer,
                    ) from None
                if body.code != "OK":
                    raise ChannelError(f"QuerySendDetails {body.code}", answer=json.dumps(body.to_map(), ensure_ascii=False))
                details = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
                for detail in details or []:
                    if detail.out_id == out_id:
                        return json.dumps(detail.to_map(), ensure_ascii=False)
                if not details or page * QUERY_PAGE_SIZE >= int(body.total_count or 0):
                    break
                page += 1
        return None
