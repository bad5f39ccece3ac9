"""A stand-in for the DingTalk and WeCom robots and Alibaba Cloud's SMS
service, listening on the loopback interface only.

It checks what the real ones check (the DingTalk signature and its
timestamp, the WeCom key, the WeCom text limit), records every message it
accepted, and can be told to answer errors, to refuse what exceeds a rate
as the real robots do, or to hold a request until released."""

import base64
import hashlib
import hmac
import json
import datetime
import threading
import time
import zoneinfo
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlsplit

DINGTALK_PATH = "/robot/send"
WECOM_PATH = "/cgi-bin/webhook/send"
WECOM_MAX_BYTES = 2048
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@dataclass
class Received:
    service: str  # dingtalk, wecom, sms
    robot: str  # the access token, the key, or the phone number
    text: str  # the content, or the SMS template parameters as JSON
    at: float  # time.monotonic() when it was accepted
    query: dict = field(default_factory=dict)
    day: str = ""  # the Asia/Shanghai date it was accepted, yyyyMMdd (the SMS service's SendDate)


class FakeRobots:
    def __init__(self):
        self.dingtalk = {}  # access token -> signing secret
        self.wecom = set()  # keys
        self.received: list[Received] = []
        self.refused: list[tuple[str, str]] = []  # (service, answer)
        self.fail_next: list[tuple[int, dict]] = []  # (HTTP status, JSON answer), used in order
        self.fail_queries: list[tuple[int, dict]] = []  # the same for the SMS service's QuerySendDetails
        self.queries: list[dict] = []  # the QuerySendDetails asked, answered or not
        self.per_minute: int | None = None  # refuse past this many a minute per robot, like the real ones
        self.delay = 0.0  # seconds each request takes before it is accepted (a slow robot)
        self.hold = threading.Event()  # set: requests pass; cleared: they wait
        self.hold.set()
        self.held = threading.Event()  # a request is waiting at the hold
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    def dingtalk_robot(self, token: str, secret: str) -> str:
        self.dingtalk[token] = secret
        return f"{self.base}{DINGTALK_PATH}?access_token={token}"

    def wecom_robot(self, key: str) -> str:
        self.wecom.add(key)
        return f"{self.base}{WECOM_PATH}?key={key}"

    def messages(self, robot: str) -> list[Received]:
        return [r for r in self.received if r.robot == robot]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == DINGTALK_PATH:
                    status, answer = robots._dingtalk(query, body)
                elif url.path == WECOM_PATH:
                    status, answer = robots._wecom(query, body)
                else:
                    status, answer = robots._sms(query, body, self.headers)
                if status is None:  # dropped while held: the client sees the connection die
                    self.close_connection = True
                    return
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # its sender was killed while the request was held

        return Handler

    def _gate(self):
        """Wait at the hold; False when the request is to be dropped."""
        if not self.hold.is_set():
            self.held.set()
            self.hold.wait()
            return not getattr(self, "drop_held", False)
        return True

    def _scripted(self):
        with self.lock:
            return self.fail_next.pop(0) if self.fail_next else None

    def _too_fast(self, robot: str) -> bool:
        if self.per_minute is None:
            return False
        now = time.monotonic()
        return sum(1 for r in self.received if r.robot == robot and now - r.at < 60) >= self.per_minute

    def _accept(self, service, robot, text, query):
        time.sleep(self.delay)
        with self.lock:
            day = datetime.datetime.now(SHANGHAI).strftime("%Y%m%d")
            self.received.append(Received(service, robot, text, time.monotonic(), query, day))

    def _refuse(self, service, status, answer):
        self.refused.append((service, json.dumps(answer)))
        return status, answer

    def _dingtalk(self, query, body):
        if not self._gate():
            return None, None
        token = query.get("access_token", "")
        if token not in self.dingtalk:
            return self._refuse("dingtalk", 200, {"errcode": 300001, "errmsg": "token is not exist"})
        secret = self.dingtalk[token]
        timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
        expected = base64.b64encode(
            hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
        ).decode()
        # parse_qs has already undone the URL-encoding once.
        if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600_000:
            return self._refuse("dingtalk", 200, {"errcode": 310000, "errmsg": "timestamp is too far from now"})
        if not hmac.compare_digest(sign, expected):
            return self._refuse("dingtalk", 200, {"errcode": 310000, "errmsg": "sign not match"})
        scripted = self._scripted()
        if scripted:
            return self._refuse("dingtalk", *scripted)
        if self._too_fast(token):
            return self._refuse("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        text = json.loads(body)["text"]["content"]
        self._accept("dingtalk", token, text, query)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _wecom(self, query, body):
        if not self._gate():
            return None, None
        key = query.get("key", "")
        if key not in self.wecom:
            return self._refuse("wecom", 200, {"errcode": 93000, "errmsg": "invalid webhook url"})
        scripted = self._scripted()
        if scripted:
            return self._refuse("wecom", *scripted)
        if self._too_fast(key):
            return self._refuse("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"})
        text = json.loads(body)["text"]["content"]
        if len(text.encode()) > WECOM_MAX_BYTES:
            return self._refuse("wecom", 200, {"errcode": 40058, "errmsg": "content exceed max length 2048"})
        self._accept("wecom", key, text, query)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _sms(self, query, body, headers):
        """Alibaba Cloud's RPC style as the SDK sends it: the action in a
        header, its parameters in the query string, signed (ACS3-HMAC-SHA256)
        in the Authorization header; the signature itself is not checked."""
        if not self._gate():
            return None, None
        params = {k: v[0] for k, v in parse_qs(body.decode()).items()} | query
        params["Action"] = headers.get("x-acs-action") or params.get("Action")
        params["Authorization"] = headers.get("Authorization", "")
        if params.get("Action") == "QuerySendDetails":
            return self._query_send_details(params)
        if params.get("Action") != "SendSms":
            return 400, {"Code": "InvalidAction", "Message": params.get("Action", "")}
        scripted = self._scripted()
        if scripted:
            return self._refuse("sms", *scripted)
        phone = params.get("PhoneNumbers", "")
        if self._too_fast(phone):
            return self._refuse("sms", 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"})
        self._accept("sms", phone, unquote_plus(params.get("TemplateParam", "")), params)
        return 200, {"Code": "OK", "Message": "OK", "BizId": "900000000000000000^0", "RequestId": "FAKE"}

    def _query_send_details(self, params):
        """QuerySendDetails, answered from what this server accepted: the
        messages to one number on one day, a page at a time, each with the
        OutId it was sent with (SendStatus 3: delivered)."""
        self.queries.append(params)
        with self.lock:
            scripted = self.fail_queries.pop(0) if self.fail_queries else None
        if scripted:
            return self._refuse("sms", *scripted)
        phone, day = params.get("PhoneNumber", ""), params.get("SendDate", "")
        try:
            size, page = int(params.get("PageSize", "")), int(params.get("CurrentPage", ""))
        except ValueError:
            return 400, {"Code": "MissingParameter", "Message": "PageSize and CurrentPage are required"}
        if not phone or len(day) != 8 or not 1 <= size <= 50 or page < 1:
            return 400, {"Code": "InvalidParameter", "Message": "PhoneNumber, SendDate (yyyyMMdd), PageSize 1-50"}
        with self.lock:
            sent = [r for r in self.received if r.service == "sms" and r.robot == phone and r.day == day]
        listed = [
            {
                "PhoneNum": phone, "SendStatus": 3, "ErrCode": "DELIVERED", "TemplateCode": r.query.get("TemplateCode"),
                "Content": r.text, "SendDate": day, "ReceiveDate": day, "OutId": r.query.get("OutId"),
            }
            for r in sent[(page - 1) * size : page * size]
        ]  # fmt: skip
        return 200, {
            "Code": "OK", "Message": "OK", "RequestId": "FAKE", "TotalCount": len(sent),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": listed},
        }  # fmt: skip
