"""`make drill` with an SMS vendor in place of the development file provider (issue 14):
notifications runs with XSC_SMS_PROVIDER=aliyun or tencent against scripts/fake_sms_vendor.py
(the vendor's signature checked exactly), and scripts/drill.py --vendor-fake takes the order
from submission to return visit with the prompts read from the vendor and the lead's reply
posted as the vendor's callback. Its last step has the vendor report a second order's prompt
undelivered: the region's customer service is prompted at once, and when the lead's deadline
passes (moved to now here, instead of waiting five minutes) no violation is recorded against
the lead."""
from __future__ import annotations

import re

import pytest

from cluster_support import ALL_SERVICES, Cluster, eventually
from fake_sms_vendors import FakeVendor
from test_drill_script import run_drill

OFFICE_LEAD = "13900000003"


@pytest.fixture(scope="module", params=["aliyun", "tencent"])
def vendor_cluster(request, tmp_path_factory):
    fake = FakeVendor(request.param).start()
    try:
        env = {**fake.environment(), "XSC_SMS_RATE_LIMIT": "1000/60s"}
        with Cluster.started(tmp_path_factory.mktemp("drill-" + request.param), services=ALL_SERVICES,
                             env={"notifications": env}) as cluster:
            yield fake, cluster
            cluster.assert_all_running()
    finally:
        fake.stop()


def test_the_drill_goes_through_a_vendor_and_an_undelivered_prompt_leaves_no_violation(vendor_cluster, tmp_path):
    fake, cluster = vendor_cluster
    run = run_drill(cluster, tmp_path, "--vendor-fake", fake.url)
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    assert fake.rejected == [], "every request to the vendor carried a signature it accepts"
    assert re.search(r"templates registered with \w+ for region cq", output), output
    assert "delivery report and reply taken" in output, output
    found = re.search(r"undelivered order (\w+) \(id (\S+)\)", output)
    assert found, output
    code, order_id = found.groups()
    assert "the region's customer service (13900000002) prompted at once" in output, output

    # The lead's acknowledgement deadline passes (moved to now rather than waited for).
    cluster.query("orders", "UPDATE xsc_timers SET due_at = now(), fire_at = now() "
                            "WHERE subject_id = :'p1' AND kind = 'order.ack_deadline' AND state = 'pending'", order_id)
    eventually("the deadline timer fired", lambda: cluster.query(
        "orders", "SELECT 1 FROM xsc_timers WHERE subject_id = :'p1' AND kind = 'order.ack_deadline' AND state = 'fired'", order_id))
    lead = cluster.query("gateway", "SELECT id FROM accounts WHERE phone = :'p1'", OFFICE_LEAD)[0][0]
    misses = cluster.query("orders", "SELECT responsible_account_ids FROM sla_violations WHERE order_id = :'p1' "
                                     "AND withdrawn_at IS NULL", order_id)
    assert [lead] not in misses, "no violation on a lead whose prompt never arrived"
    assert any(s.phone == "13900000002" and code in (s.params.values() if isinstance(s.params, dict) else s.params)
               for s in fake.sent)
    # Customer service was told once, at once: the deadline (committed with its SMS requests) adds no
    # second message to it; the ladder goes on to the regional manager one SLA period later.
    service = cluster.query("gateway", "SELECT id FROM accounts WHERE phone = '13900000002'")[0][0]
    rows = cluster.query("orders", "SELECT encode(payload, 'hex') FROM xsc_outbox WHERE method_path = "
                                   "'/xsc.notifications.v1.NotificationService/Send'")
    told = [r.template for r in (cluster.stubs.notifications.SendRequest.FromString(bytes.fromhex(p)) for (p,) in rows)
            if r.account_id == service and r.params.get("code") == code]
    assert told == ["order_prompt_undelivered"], told
    hops = cluster.query("orders", "SELECT state FROM xsc_timers WHERE subject_id = :'p1' AND kind = 'order.escalation_hop'", order_id)
    assert hops == [["pending"]], hops
