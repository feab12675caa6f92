"""W3C Trace Context across the system (issue 19, "Tracing"): a partner's call through
xsc-gateway to xsc-orders keeps the caller's trace id, the gateway's span is the parent of the
service's, both processes write the trace and span ids in their log lines, a caller without a
(valid) traceparent gets a trace started by the gateway, and with XSC_OTLP_ENDPOINT set every
process exports its spans as OTLP/HTTP JSON to a collector (here a small fake collector that
records what it is sent, as an OpenTelemetry collector's /v1/traces endpoint takes it).
Needs DATABASE_URL."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cluster_support import Cluster, eventually
from orders_world import World

GIVEN_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
GIVEN_PARENT = "00f067aa0ba902b7"
SUBMIT = "/xsc.orders.v1.OrderService/SubmitOrder"


class Collector:
    """Accepts OTLP/HTTP JSON on /v1/traces and keeps every span with its service name."""

    def __init__(self):
        self.spans: list[dict] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.path != "/v1/traces" or self.headers.get("content-type") != "application/json":
                    self.send_response(404)
                    self.end_headers()
                    return
                document = json.loads(body)
                with collector.lock:
                    for resource in document["resourceSpans"]:
                        service = {a["key"]: a["value"]["stringValue"] for a in resource["resource"]["attributes"]}["service.name"]
                        for scope in resource["scopeSpans"]:
                            for span in scope["spans"]:
                                collector.spans.append(dict(span, service=service))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.end_headers()
                try:
                    self.wfile.write(b"{}")
                except BrokenPipeError:
                    pass  # the exporter may close once it has the status

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def find(self, service: str, name: str, trace_id: str) -> list[dict]:
        with self.lock:
            return [s for s in self.spans if s["service"] == service and s["name"] == name and s["traceId"] == trace_id]


@pytest.fixture(scope="module")
def collector():
    collector = Collector()
    yield collector
    collector.server.shutdown()


@pytest.fixture(scope="module")
def world(tmp_path_factory, collector):
    # Access log lines are at info; the harness runs services at warning.
    env = {name: {"XSC_OTLP_ENDPOINT": collector.url, "LOG_LEVEL": "info"} for name in ("gateway", "orders", "notifications")}
    with Cluster.started(tmp_path_factory.mktemp("tracing"), services=("gateway", "orders", "notifications"),
                         env=env) as cluster:
        yield World(cluster).build()
        cluster.assert_all_running()


def log_lines(world, service: str) -> list[dict]:
    lines = []
    for text in world.cluster.output(service).splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:
            continue
    return lines


def access_lines(world, service: str, trace_id: str, method: str = SUBMIT) -> list[dict]:
    return [line for line in log_lines(world, service)
            if line.get("msg") == "rpc call" and line.get("method") == method and line.get("trace_id") == trace_id]


def submit(world, external_id: str, traceparent: str | None):
    metadata = world.who("tmall") + ([("traceparent", traceparent)] if traceparent else [])
    return world.orders.SubmitOrder(world.order_request("mall", "cq-o1-d3", external_id=external_id),
                                    metadata=metadata, timeout=10).order


def test_the_callers_trace_reaches_the_service_with_the_gateways_span_as_parent(world, collector):
    submit(world, "TRACE-1", f"00-{GIVEN_TRACE}-{GIVEN_PARENT}-01")
    gateway = eventually("the gateway's span reaches the collector",
                         lambda: collector.find("gateway", SUBMIT, GIVEN_TRACE))
    orders = eventually("orders' span reaches the collector", lambda: collector.find("orders", SUBMIT, GIVEN_TRACE))
    assert len(gateway) == 1 and len(orders) == 1
    assert gateway[0]["parentSpanId"] == GIVEN_PARENT
    assert orders[0]["parentSpanId"] == gateway[0]["spanId"]
    assert orders[0]["spanId"] not in (GIVEN_PARENT, gateway[0]["spanId"])
    assert int(orders[0]["startTimeUnixNano"]) <= int(orders[0]["endTimeUnixNano"])
    assert orders[0]["kind"] == 2 and orders[0]["status"]["code"] == 0
    # The same ids in both processes' access logs: one request, followed across services.
    gateway_log = eventually("the gateway's access log line", lambda: access_lines(world, "gateway", GIVEN_TRACE))
    orders_log = eventually("orders' access log line", lambda: access_lines(world, "orders", GIVEN_TRACE))
    assert gateway_log[0]["span_id"] == gateway[0]["spanId"]
    assert orders_log[0]["span_id"] == orders[0]["spanId"]


def test_the_trace_is_carried_through_the_outbox_to_the_receiving_service(world, collector):
    """The new order's SMS prompt is queued in orders' outbox with the order and delivered later
    by the relay: notifications' Send continues the trace of the submission that queued it."""
    trace = "7bf92f3577b34da6a3ce929d0e0e4736"
    submit(world, "TRACE-OUTBOX-1", f"00-{trace}-{GIVEN_PARENT}-01")
    orders = eventually("orders' span", lambda: collector.find("orders", SUBMIT, trace))
    sends = eventually("notifications' Send in the same trace",
                       lambda: collector.find("notifications", "/xsc.notifications.v1.NotificationService/Send", trace))
    # The prompt was queued inside orders' span: that span is the parent of its delivery.
    assert {send["parentSpanId"] for send in sends} == {orders[0]["spanId"]}
    rows = world.cluster.query("orders", "SELECT traceparent FROM xsc_outbox WHERE traceparent LIKE :'p1'", f"00-{trace}-%")
    assert rows and all(row[0] == f"00-{trace}-{orders[0]['spanId']}-01" for row in rows)


@pytest.mark.parametrize("traceparent", [None, "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
                                         "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "junk"])
def test_a_caller_without_a_valid_traceparent_gets_a_trace_started_at_the_gateway(world, collector, traceparent):
    external = "TRACE-NEW-%d" % (hash(traceparent) & 0xffff)
    before = {line.get("trace_id") for line in log_lines(world, "gateway")}
    submit(world, external, traceparent)

    def started():
        fresh = [line for line in log_lines(world, "gateway") if line.get("msg") == "rpc call"
                 and line.get("method") == SUBMIT and line.get("trace_id") not in before]
        return fresh[-1] if fresh else None
    line = eventually("the gateway's line with a new trace", started)
    trace_id = line["trace_id"]
    assert len(trace_id) == 32 and trace_id != GIVEN_TRACE and trace_id != "0" * 32
    # Each process exports on its own clock: wait for both.
    orders = eventually("orders' span in the new trace", lambda: collector.find("orders", SUBMIT, trace_id))
    gateway = eventually("the gateway's span in the new trace", lambda: collector.find("gateway", SUBMIT, trace_id))
    assert len(gateway) == 1 and "parentSpanId" not in gateway[0]
    assert orders[0]["parentSpanId"] == gateway[0]["spanId"]


def test_a_refused_call_is_traced_and_marked_as_an_error(world, collector):
    trace = "5bf92f3577b34da6a3ce929d0e0e4736"
    metadata = world.who("tmall") + [("traceparent", f"00-{trace}-{GIVEN_PARENT}-01")]
    request = world.order_request("mall", "cq-o1-d3", external_id="TRACE-BAD")
    del request.lines[:]
    with pytest.raises(Exception):
        world.orders.SubmitOrder(request, metadata=metadata, timeout=10)
    orders = eventually("orders' span of the refused call", lambda: collector.find("orders", SUBMIT, trace))
    assert orders[0]["status"]["code"] == 2
    codes = [a["value"]["intValue"] for a in orders[0]["attributes"] if a["key"] == "rpc.grpc.status_code"]
    assert codes == ["3"]


def test_a_partner_json_request_over_http_continues_its_trace(world, collector):
    """The HTTP/JSON API (HTTP/1.1 at XSC_HTTP_LISTEN) passes no gRPC interceptor: the gateway
    continues the caller's trace itself, so orders' span is in it."""
    import requests
    trace = "6bf92f3577b34da6a3ce929d0e0e4736"
    key = dict(world.who("tmall"))["authorization"]
    body = {"source": "SOURCE_MALL", "externalId": "TRACE-HTTP-1", "deliveryDistrictId": "cq-o1-d3",
            "lines": [{"skuId": "bj-500", "quantity": 1, "unitPriceFen": "15800"}],
            "customer": {"name": "张三", "phone": "13800138000", "address": "重庆市渝中区解放碑1号"}}
    answer = requests.post(world.cluster.http_url() + "/v1/orders", json=body, timeout=10,
                           headers={"authorization": key, "traceparent": f"00-{trace}-{GIVEN_PARENT}-01"})
    assert answer.status_code == 200, answer.text
    orders = eventually("orders' span of the HTTP request", lambda: collector.find("orders", SUBMIT, trace))
    assert orders[0]["parentSpanId"] != GIVEN_PARENT  # the gateway's own span sits between
