"""The drill with an SMS vendor in place of the development file provider (scripts/drill.py
--vendor-fake URL): the fake vendor of scripts/fake_sms_vendor.py tells what it accepted
(GET /_sent), and the drill posts the vendor's callbacks (the lead's reply, an "undelivered"
report) the way the vendor would, through the gateway with the run's SMS-provider key."""
from __future__ import annotations

import json
import time
import urllib.request

import grpc

from fake_sms_vendor import FakeVendor, Sent

REGION = "cq"
SIGN_NAME = "XSC重庆"
# Every template the drill's order can send, registered for the drill region (templates as data).
TEMPLATES = ["order_new_lead", "order_forwarded", "sla_escalation", "sla_escalation_withdrawn", "customer_order_confirmed",
             "reply_not_understood", "reply_ambiguous", "reply_nothing_pending", "order_visit_due", "order_prompt_undelivered",
             "routing_account_disabled"]


class VendorFake:
    def __init__(self, url: str):
        self.url = url.rstrip("/") + "/"
        self.vendor = self._read()["vendor"]
        self.format = FakeVendor(self.vendor)  # only its callback builders

    def _read(self) -> dict:
        with urllib.request.urlopen(self.url + "_sent", timeout=10) as answer:
            return json.loads(answer.read())

    def sent(self) -> list[Sent]:
        return [Sent(**item) for item in self._read()["sent"]]

    def wait_for(self, phone: str, code: str, timeout_s: float) -> Sent | None:
        give_up = time.monotonic() + timeout_s
        while True:
            for item in self.sent():
                values = item.params.values() if isinstance(item.params, dict) else item.params
                if item.phone == phone and code in values:
                    return item
            if time.monotonic() > give_up:
                return None
            time.sleep(0.2)

    def template_code(self, index: int) -> str:
        return f"SMS_{71390000 + index}" if self.vendor == "aliyun" else str(1_500_000 + index)

    def register(self, pb, channel, admin, say, call_s: float) -> None:
        stub = pb.notifications_grpc.NotificationServiceStub(channel)
        for index, template in enumerate(TEMPLATES):
            stub.SetVendorTemplate(pb.notifications.SetVendorTemplateRequest(template=pb.notifications.VendorTemplate(
                vendor=self.vendor, region_code=REGION, template=template, template_code=self.template_code(index),
                sign_name=SIGN_NAME)), metadata=admin, timeout=call_s)
        say(f"{len(TEMPLATES)} templates registered with {self.vendor} for region {REGION}, signed 【{SIGN_NAME}】")

    def post(self, pb, channel, provider, kind: str, body: bytes, timeout_s: float, call_s: float):
        """Posts a callback as the vendor does: again while the answer is UNAVAILABLE (our send not recorded yet)."""
        stub = pb.notifications_grpc.NotificationServiceStub(channel)
        request = pb.notifications.VendorCallbackRequest(vendor=self.vendor, kind=kind, body=body)
        give_up = time.monotonic() + timeout_s
        while True:
            try:
                return stub.ReceiveVendorCallback(request, metadata=provider, timeout=call_s)
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > give_up:
                    raise
                time.sleep(0.2)
