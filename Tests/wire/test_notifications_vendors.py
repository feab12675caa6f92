"""SMS through the two large Chinese SMS clouds (issue 14), end to end: xsc-notifications with
XSC_SMS_PROVIDER=aliyun or tencent against a fake of the vendor's API (fake_sms_vendors.py, from
the vendors' published documentation: the signature recomputed and compared exactly), behind the
real gateway. Templates and signatures are data per region (SetVendorTemplate); an unregistered
template is refused before anything is sent; a throttled send is retried; the vendor's delivery
reports and inbound replies, posted in its own JSON, duplicated and out of order, land in our
states once (ReceiveVendorCallback with the gateway's SMS-provider key)."""
from __future__ import annotations

import json
import urllib.request

import grpc
import pytest

import cluster_support
from cluster_support import Cluster, eventually
from fake_sms_vendors import KEY_ID, FakeVendor

T = 30
PHONE = "13912345678"
OTHER = "13912345679"


@pytest.fixture(scope="module", params=["aliyun", "tencent"])
def vendor_world(request, tmp_path_factory):
    fake = FakeVendor(request.param).start()
    try:
        with Cluster.started(tmp_path_factory.mktemp("vendor-" + request.param), services=("gateway", "notifications"),
                             env={"notifications": fake.environment()}) as cluster:
            yield fake, cluster
            cluster.assert_all_running()
    finally:
        fake.stop()


def system(cluster) -> list:
    from wire_support import run_xsc
    import base64
    out = run_xsc("mint-actor", "--audience", "notifications", "--plain", "--role", "system", "--account", "service:orders",
                  env={"XSC_ACTOR_SECRET": cluster_support.ACTOR_SECRET})
    pairs = [line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line]
    return [(k, base64.b64decode(v) if k.endswith("-bin") else v) for k, v in pairs]


def send(cluster, key: str, phone: str = PHONE, template: str = "order_new_lead"):
    pb = cluster.stubs.notifications
    stub = cluster.stubs.notifications_grpc.NotificationServiceStub(cluster.channel("notifications"))
    request = pb.SendRequest(phone=phone, template=template, params={"code": "A1B2", "summary": "2件商品 合计¥256.00"},
                             category=pb.CATEGORY_STAFF_SLA, region_code="cq", idempotency_key=key)
    return stub.Send(request, metadata=system(cluster), timeout=T).message


def message(cluster, message_id: str):
    stub = cluster.stubs.notifications_grpc.NotificationServiceStub(cluster.channel("notifications"))
    return stub.GetMessage(cluster.stubs.notifications.GetMessageRequest(id=message_id), metadata=system(cluster), timeout=T)


def provider_id(cluster, message_id: str) -> str:
    rows = cluster.query("notifications", "SELECT coalesce(provider_message_id, '') FROM messages WHERE id = :'p1'", message_id)
    return rows[0][0] if rows else ""


def callback(cluster, key, vendor: str, kind: str, body: bytes):
    stub = cluster.stubs.notifications_grpc.NotificationServiceStub(cluster.gateway_channel())
    request = cluster.stubs.notifications.VendorCallbackRequest(vendor=vendor, kind=kind, body=body)
    return stub.ReceiveVendorCallback(request, metadata=key, timeout=T)


def test_the_fake_vendor_refuses_a_wrong_signature(vendor_world):
    """The fake is a real check: a request signed with another secret is refused the vendor's way."""
    fake, _ = vendor_world
    if fake.vendor == "aliyun":
        body = ("AccessKeyId=%s&Action=SendSms&Format=JSON&PhoneNumbers=%s&RegionId=cn-hangzhou&SignName=x&SignatureMethod=HMAC-SHA1"
                "&SignatureNonce=n&SignatureVersion=1.0&TemplateCode=SMS_1&Timestamp=2026-01-01T00:00:00Z&Version=2017-05-25"
                "&Signature=AAAA" % (KEY_ID, PHONE)).encode()
        request = urllib.request.Request(fake.url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=T)
        assert json.loads(refused.value.read())["Code"] == "SignatureDoesNotMatch"
    else:
        request = urllib.request.Request(fake.url, data=b"{}", headers={
            "Content-Type": "application/json; charset=utf-8", "X-TC-Action": "SendSms", "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": "1700000000", "Authorization": "TC3-HMAC-SHA256 Credential=x, SignedHeaders=content-type;host, Signature=0"})
        answer = json.loads(urllib.request.urlopen(request, timeout=T).read())
        assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert fake.sent == [] and len(fake.rejected) == 1
    fake.rejected.clear()


def test_an_unregistered_template_is_refused_before_anything_is_sent(vendor_world):
    fake, cluster = vendor_world
    with pytest.raises(grpc.RpcError) as refused:
        send(cluster, "unregistered-1")
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = [d.reason for d in cluster.stubs.error_details(refused.value) if d.DESCRIPTOR.name == "ErrorInfo"]
    assert info == ["TEMPLATE_NOT_REGISTERED"] and "SetVendorTemplate" in refused.value.details()
    assert fake.sent == []


def test_templates_are_data_per_region_and_sends_are_signed_and_retried(vendor_world):
    fake, cluster = vendor_world
    pb = cluster.stubs.notifications
    stub = cluster.stubs.notifications_grpc.NotificationServiceStub(cluster.gateway_channel())
    code = "SMS_71390007" if fake.vendor == "aliyun" else "1234567"
    registered = stub.SetVendorTemplate(pb.SetVendorTemplateRequest(template=pb.VendorTemplate(
        vendor=fake.vendor, region_code="cq", template="order_new_lead", template_code=code, sign_name="XSC重庆")),
        metadata=cluster.admin(), timeout=T)
    assert registered.updated_by and registered.template_code == code
    with pytest.raises(grpc.RpcError) as bad:
        stub.SetVendorTemplate(pb.SetVendorTemplateRequest(template=pb.VendorTemplate(
            vendor="other", region_code="cq", template="no_such", template_code="", sign_name="【x】")),
            metadata=cluster.admin(), timeout=T)
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    listed = stub.ListVendorTemplates(pb.ListVendorTemplatesRequest(region_code="cq"), metadata=cluster.admin(), timeout=T)
    assert [(t.template, t.template_code) for t in listed.templates] == [("order_new_lead", code)]

    fake.throttle_next = 1  # the vendor's rate limit answers the first try; ours retries
    sent = send(cluster, "registered-1")
    vendor_id = eventually("the vendor accepted it", lambda: provider_id(cluster, sent.id))
    assert len(fake.sent) == 1 and fake.rejected == [] and fake.throttle_next == 0
    got = fake.sent[0]
    assert (got.vendor_id, got.phone, got.template_code, got.sign_name) == (vendor_id, PHONE, code, "XSC重庆")
    if fake.vendor == "aliyun":
        assert got.params == {"code": "A1B2", "summary": "2件商品 合计¥256.00"} and got.our_id == sent.id
    else:
        assert got.params == ["A1B2", "2件商品 合计¥256.00"] and got.our_id == sent.id


def test_receipts_and_replies_arrive_duplicated_and_out_of_order_and_count_once(vendor_world):
    fake, cluster = vendor_world
    pb = cluster.stubs.notifications
    key = cluster.create_partner_key("sms-vendor-" + fake.vendor, "sms_provider")
    first, second = send(cluster, "receipt-1"), send(cluster, "receipt-2", phone=OTHER)
    ids = [eventually("sent", lambda m=m: provider_id(cluster, m.id)) for m in (first, second)]
    by_id = {s.vendor_id: s for s in fake.sent}
    ok, failed = fake.receipt(by_id[ids[0]]), fake.receipt(by_id[ids[1]], delivered=False)

    # A report about a send we have not recorded yet is not accepted: the vendor posts it again.
    held = dict(ok, **({"biz_id": "999^1"} if fake.vendor == "aliyun" else {"sid": "2028:unknown"}))
    with pytest.raises(grpc.RpcError) as early:
        callback(cluster, key, fake.vendor, "receipt", fake.body([held], "receipt"))
    assert early.value.code() == grpc.StatusCode.UNAVAILABLE

    answer = callback(cluster, key, fake.vendor, "receipt", fake.body([failed, ok, ok], "receipt"))
    assert answer.vendor_answer in ('{"code":0,"msg":"成功"}', '{"result":0,"errmsg":"OK"}')
    assert message(cluster, first.id).state == pb.MESSAGE_STATE_DELIVERED
    assert message(cluster, second.id).state == pb.MESSAGE_STATE_FAILED
    # The same reports again, the other way round: nothing changes.
    callback(cluster, key, fake.vendor, "receipt", fake.body([ok, failed], "receipt"))
    assert (message(cluster, first.id).state, message(cluster, second.id).state) == (pb.MESSAGE_STATE_DELIVERED,
                                                                                   pb.MESSAGE_STATE_FAILED)

    reply = fake.body([fake.reply(PHONE, "1", 7)], "reply")
    got = callback(cluster, key, fake.vendor, "reply", reply)
    again = callback(cluster, key, fake.vendor, "reply", reply)
    assert (got.replies_received, again.replies_received, again.ignored) == (1, 0, 1)
    # A person cannot fake a vendor's callback.
    with pytest.raises(grpc.RpcError) as person:
        callback(cluster, cluster.admin(), fake.vendor, "reply", reply)
    assert person.value.code() == grpc.StatusCode.PERMISSION_DENIED
