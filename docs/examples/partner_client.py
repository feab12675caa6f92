#!/usr/bin/env python3
"""A partner platform's client for XSC, as docs/partner-integration.md describes it: submit an
order so that no retry can duplicate it, and follow the order feed so that no reconnect loses or
repeats an event. Python grpcio with stubs generated from XSC's proto files at start.

    partner_client.py submit --gateway HOST:PORT --key xsc_pk_... --external-id TM-1001 \\
        --district cq-o1-d3 --sku drill-baijiu-500ml --quantity 2 --price-fen 52800 \\
        --customer-name 周 --customer-phone 13700000001 --customer-address "重庆市渝中区解放碑 1 号"
    partner_client.py feed --gateway HOST:PORT --key xsc_pk_... --cursor-file feed.cursor [--max-events N]

Needs: pip install grpcio grpcio-tools (the versions of scripts/install-deps.sh)."""
from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

import grpc

PROTO_DIR = Path(__file__).resolve().parents[2] / "proto"
# The outcome of these is unknown to the caller (the call may or may not have taken effect):
# send the very same request again, with the same idempotency key.
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
             grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


def load_stubs(proto_dir: Path):
    """orders_pb2, orders_pb2_grpc and google.rpc's status/details, generated into a temp dir."""
    from grpc_tools import protoc
    import grpc_tools
    out = Path(tempfile.mkdtemp(prefix="xsc-stubs-"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    files = ["xsc/orders/v1/orders.proto", "xsc/orders/v1/conflicts.proto", "xsc/orders/v1/campaign_orders.proto", "xsc/orders/v1/board.proto", "xsc/common/v1/common.proto",
             "google/rpc/status.proto", "google/rpc/error_details.proto"]
    if protoc.main(["protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out}",
                    f"--grpc_python_out={out}", *files]) != 0:
        sys.exit(f"cannot generate stubs from {proto_dir}")
    sys.path.insert(0, str(out))
    google = importlib.import_module("google")
    google.__path__.append(str(out / "google"))  # let the installed `google` package find google.rpc
    return (importlib.import_module("xsc.orders.v1.orders_pb2"), importlib.import_module("xsc.orders.v1.orders_pb2_grpc"),
            importlib.import_module("google.rpc.status_pb2"), importlib.import_module("google.rpc.error_details_pb2"))


def retry_delay(error: grpc.RpcError, details_pb, status_pb, attempt: int) -> float:
    """The server's RetryInfo delay when it sent one (rate limits), else exponential backoff."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb.Status.FromString(value)
            for detail in status.details:
                info = details_pb.RetryInfo()
                if detail.Unpack(info):
                    return info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    return min(30.0, 0.2 * 2 ** attempt)


def field_violations(error: grpc.RpcError, details_pb, status_pb) -> list[str]:
    """INVALID_ARGUMENT's BadRequest: which field is wrong and why."""
    found = []
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in status_pb.Status.FromString(value).details:
                bad = details_pb.BadRequest()
                if detail.Unpack(bad):
                    found += [f"{v.field}: {v.description}" for v in bad.field_violations]
    return found


def submit(args, pb, stubs, status_pb, details_pb) -> int:
    request = pb.SubmitOrderRequest(
        source=pb.SOURCE_MALL, external_id=args.external_id, delivery_district_id=args.district,
        customer=pb.Customer(name=args.customer_name, phone=args.customer_phone, address=args.customer_address),
        lines=[pb.OrderLine(sku_id=args.sku, quantity=args.quantity, unit_price_fen=args.price_fen)])
    # One key per order, derived from the partner's own id for it: a retry after a crash on
    # either side sends the same key and gets the same answer.
    metadata = [("authorization", "Bearer " + args.key), ("idempotency-key", "submit-" + args.external_id)]
    with grpc.insecure_channel(args.gateway) as channel:
        orders = stubs.OrderServiceStub(channel)
        for attempt in range(args.attempts):
            try:
                answer = orders.SubmitOrder(request, metadata=metadata, timeout=10)
            except grpc.RpcError as error:
                if error.code() not in RETRYABLE or attempt + 1 == args.attempts:
                    print(f"refused: {error.code().name}: {error.details()}", file=sys.stderr)
                    for violation in field_violations(error, details_pb, status_pb):
                        print(f"  {violation}", file=sys.stderr)
                    return 1
                time.sleep(retry_delay(error, details_pb, status_pb, attempt))
                continue
            # A retry with the same key replays the first answer; `existing` is set when the same
            # order (source, partner, external_id) came again under another key.
            state = "already submitted" if answer.existing else "submitted"
            print(f"{state}: order {answer.order.id} code {answer.order.code} total {answer.order.total_fen} fen")
            return 0
    return 1


def feed(args, pb, stubs, status_pb, details_pb) -> int:
    """Follows WatchPartnerEvents from the saved cursor, saving each event's cursor only after
    handling it, and reconnects after any break: no event lost, none handled twice."""
    cursor_file = Path(args.cursor_file)
    handled = 0
    attempt = 0
    metadata = [("authorization", "Bearer " + args.key)]
    while args.max_events == 0 or handled < args.max_events:
        cursor = cursor_file.read_text().strip() if cursor_file.exists() else ""
        try:
            with grpc.insecure_channel(args.gateway) as channel:
                stream = stubs.OrderServiceStub(channel).WatchPartnerEvents(
                    pb.PartnerFeedRequest(cursor=cursor), metadata=metadata)
                for item in stream:
                    print(f"{item.event.kind}: order {item.order.external_id} ({item.order.id}) "
                          f"now {pb.OrderState.Name(item.order.state)}")
                    cursor_file.write_text(item.cursor)  # after handling: a crash here repeats nothing
                    handled += 1
                    attempt = 0
                    if args.max_events and handled >= args.max_events:
                        stream.cancel()
                        break
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.CANCELLED and args.max_events and handled >= args.max_events:
                break
            if error.code() not in RETRYABLE:
                print(f"feed refused: {error.code().name}: {error.details()}", file=sys.stderr)
                return 1
            time.sleep(retry_delay(error, details_pb, status_pb, attempt))
            attempt += 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["submit", "feed"])
    parser.add_argument("--gateway", required=True, help="host:port of xsc-gateway")
    parser.add_argument("--key", required=True, help="the partner's API key (xsc_pk_...)")
    parser.add_argument("--proto-dir", default=str(PROTO_DIR))
    parser.add_argument("--external-id")
    parser.add_argument("--district")
    parser.add_argument("--sku")
    parser.add_argument("--quantity", type=int, default=1)
    parser.add_argument("--price-fen", type=int, default=0, help="0: the channel's price")
    parser.add_argument("--customer-name", default="")
    parser.add_argument("--customer-phone", default="")
    parser.add_argument("--customer-address", default="")
    parser.add_argument("--attempts", type=int, default=8)
    parser.add_argument("--cursor-file", default="partner-feed.cursor")
    parser.add_argument("--max-events", type=int, default=0, help="stop after this many (0: follow forever)")
    args = parser.parse_args()
    stubs = load_stubs(Path(args.proto_dir))
    pb, grpc_stubs, status_pb, details_pb = stubs
    if args.command == "submit":
        if not (args.external_id and args.district and args.sku):
            parser.error("submit needs --external-id, --district and --sku")
        return submit(args, pb, grpc_stubs, status_pb, details_pb)
    return feed(args, pb, grpc_stubs, status_pb, details_pb)


if __name__ == "__main__":
    sys.exit(main())
