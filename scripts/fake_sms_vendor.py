#!/usr/bin/env python3
"""Fake Alibaba Cloud SMS and Tencent Cloud SMS endpoints, written from the vendors' public
documentation, for wire tests of xsc-notifications' vendor providers and for `make drill`
with a vendor in place of the development file provider:

    scripts/fake_sms_vendor.py --vendor aliyun --port 7190     # prints the notifications environment
    XSC_SMS_PROVIDER=aliyun XSC_SMS_VENDOR_URL=http://127.0.0.1:7190/ ... (the printed lines)
    scripts/drill.py --vendor-fake http://127.0.0.1:7190/

GET /_sent answers {"vendor": ..., "sent": [...]} (what the fake accepted, oldest first), for
the drill and tests in other processes.

Each fake checks a request the way the vendor does: every required parameter present and the
signature recomputed with the account's secret and compared exactly (Alibaba: HMAC-SHA1 over the
sorted, RFC 3986-encoded parameters, "POST&%2F&..."; Tencent: TC3-HMAC-SHA256 over the canonical
request with the content-type and host headers it received). A bad signature answers the
vendor's error (SignatureDoesNotMatch / AuthFailure.SignatureFailure). It can refuse the next N
sends with a throttling code (which our side must retry) and hands out the callbacks the vendor
would post: delivery reports and inbound replies (上行短信) in the vendor's own JSON, which a test
can duplicate, reorder or hold back."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_ID = "LTAI-fake-key-id"
KEY_SECRET = "fake-key-secret-for-tests"
TENCENT_APP_ID = "1400000001"


def aliyun_encode(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str) -> str:
    query = "&".join(f"{aliyun_encode(k)}={aliyun_encode(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = f"{method}&%2F&{aliyun_encode(query)}"
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def tc3_signature(secret: str, service: str, host: str, content_type: str, timestamp: int, payload: bytes) -> str:
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    canonical = (f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n"
                 + hashlib.sha256(payload).hexdigest())
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n" + hashlib.sha256(canonical.encode()).hexdigest()

    def mac(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()
    signing = mac(mac(mac(("TC3" + secret).encode(), date), service), "tc3_request")
    return hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class Sent:
    vendor_id: str
    phone: str
    template_code: str
    sign_name: str
    params: object
    our_id: str


@dataclass
class FakeVendor:
    vendor: str  # "aliyun" or "tencent"
    sent: list[Sent] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    throttle_next: int = 0
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "FakeVendor":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):
                pass

            def do_GET(self):
                if self.path != "/_sent":
                    self.send_error(404)
                    return
                with fake.lock:
                    sent = [vars(item) for item in fake.sent]
                data = json.dumps({"vendor": fake.vendor, "sent": sent}, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = fake._aliyun(body, self.headers) if fake.vendor == "aliyun" else fake._tencent(body, self.headers)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def stop(self):
        self.server.shutdown()

    def environment(self) -> dict[str, str]:
        env = {"XSC_SMS_PROVIDER": self.vendor, "XSC_SMS_VENDOR_URL": self.url, "XSC_SMS_VENDOR_KEY_ID": KEY_ID,
               "XSC_SMS_VENDOR_KEY_SECRET": KEY_SECRET}
        if self.vendor == "tencent":
            env["XSC_SMS_VENDOR_APP_ID"] = TENCENT_APP_ID
        return env

    # -- the vendors' send APIs ------------------------------------------------------------------

    def _throttled(self) -> bool:
        with self.lock:
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return True
            return False

    def _aliyun(self, body: bytes, headers) -> tuple[int, dict]:
        params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
        request_id = str(uuid.uuid4())
        required = ["AccessKeyId", "Action", "Format", "PhoneNumbers", "RegionId", "SignName", "SignatureMethod", "SignatureNonce",
                    "SignatureVersion", "TemplateCode", "Timestamp", "Version", "Signature"]
        missing = [name for name in required if not params.get(name)]
        if missing:
            self.rejected.append("missing " + ",".join(missing))
            return 400, {"Code": "MissingParameter", "Message": f"missing {missing}", "RequestId": request_id}
        if headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            self.rejected.append("content type")
            return 400, {"Code": "InvalidParameter", "Message": "content type", "RequestId": request_id}
        if (params["AccessKeyId"], params["Action"], params["SignatureMethod"], params["SignatureVersion"], params["Version"]) != \
                (KEY_ID, "SendSms", "HMAC-SHA1", "1.0", "2017-05-25"):
            self.rejected.append("parameters")
            return 400, {"Code": "InvalidParameter", "Message": "unexpected common parameters", "RequestId": request_id}
        if params["Signature"] != aliyun_signature(params, KEY_SECRET, "POST"):
            self.rejected.append("signature")
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched with our calculation.",
                         "RequestId": request_id}
        if self._throttled():
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1", "RequestId": request_id}
        biz_id = "%d^%d" % (int(time.time() * 1000), len(self.sent) + 1)
        with self.lock:
            self.sent.append(Sent(biz_id, params["PhoneNumbers"], params["TemplateCode"], params["SignName"],
                                  json.loads(params.get("TemplateParam") or "{}"), params.get("OutId", "")))
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}

    def _tencent(self, body: bytes, headers) -> tuple[int, dict]:
        request_id = str(uuid.uuid4())

        def error(code: str, message: str) -> tuple[int, dict]:
            self.rejected.append(code)
            return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}
        auth = headers.get("Authorization", "")
        content_type = headers.get("Content-Type", "")
        host = headers.get("Host", "")
        if headers.get("X-TC-Action") != "SendSms" or headers.get("X-TC-Version") != "2021-01-11":
            return error("InvalidAction", "action or version")
        try:
            timestamp = int(headers.get("X-TC-Timestamp", ""))
        except ValueError:
            return error("MissingParameter", "X-TC-Timestamp")
        date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
        expected = (f"TC3-HMAC-SHA256 Credential={KEY_ID}/{date}/sms/tc3_request, SignedHeaders=content-type;host, Signature="
                    + tc3_signature(KEY_SECRET, "sms", host, content_type, timestamp, body))
        if auth != expected:
            return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        request = json.loads(body)
        for name in ("PhoneNumberSet", "SmsSdkAppId", "SignName", "TemplateId"):
            if not request.get(name):
                return error("MissingParameter", name)
        if request["SmsSdkAppId"] != TENCENT_APP_ID:
            return error("FailedOperation.MissingTemplateToModify", "SmsSdkAppId")
        if self._throttled():  # a rate limit, not a refusal of the request
            return 200, {"Response": {"Error": {"Code": "LimitExceeded.PhoneNumberThirtySecondLimit",
                                                "Message": "单个手机号30秒内下发短信条数超过设定的上限"}, "RequestId": request_id}}
        statuses = []
        for phone in request["PhoneNumberSet"]:
            serial = "2028:%d%04d" % (int(time.time() * 1000), len(self.sent) + 1)
            with self.lock:
                self.sent.append(Sent(serial, phone.removeprefix("+86"), request["TemplateId"], request["SignName"],
                                      request.get("TemplateParamSet", []), request.get("SessionContext", "")))
            statuses.append({"SerialNo": serial, "PhoneNumber": phone, "Fee": 1, "SessionContext": request.get("SessionContext", ""),
                             "Code": "Ok", "Message": "send success", "IsoCode": "CN"})
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}

    # -- the callbacks the vendor would post -------------------------------------------------------

    def receipt(self, sent: Sent, delivered: bool = True) -> dict:
        now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600))
        if self.vendor == "aliyun":
            return {"phone_number": sent.phone, "send_time": now, "report_time": now, "success": delivered,
                    "err_code": "DELIVERED" if delivered else "MK:0012", "err_msg": "用户接收成功" if delivered else "用户停机",
                    "sms_size": "1", "biz_id": sent.vendor_id, "out_id": sent.our_id}
        return {"user_receive_time": now, "nationcode": "86", "mobile": sent.phone,
                "report_status": "SUCCESS" if delivered else "FAIL", "errmsg": "DELIVRD" if delivered else "MK:0012",
                "description": "用户短信送达成功" if delivered else "用户停机", "sid": sent.vendor_id, "ext": {}}

    def reply(self, phone: str, text: str, sequence: int) -> dict:
        now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600))
        if self.vendor == "aliyun":
            return {"phone_number": phone, "send_time": now, "content": text, "sign_name": "XSC重庆", "dest_code": "1234",
                    "sequence_id": sequence}
        return {"extend": "", "mobile": phone, "nationcode": "86", "sign": "XSC重庆", "text": text, "time": int(time.time()) + sequence}

    def body(self, entries: list[dict], kind: str) -> bytes:
        """A callback body: arrays, except Tencent's reply callback, which is one object."""
        if self.vendor == "tencent" and kind == "reply":
            assert len(entries) == 1
            return json.dumps(entries[0], ensure_ascii=False).encode()
        return json.dumps(entries, ensure_ascii=False).encode()


def main() -> int:
    import argparse
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vendor", choices=["aliyun", "tencent"], default="aliyun")
    parser.add_argument("--port", type=int, default=7190)
    args = parser.parse_args()
    fake = FakeVendor(args.vendor, port=args.port).start()
    for name, value in fake.environment().items():
        print(f"{name}={value}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
