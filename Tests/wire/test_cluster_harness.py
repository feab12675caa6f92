"""The shared end-to-end harness (cluster_support.py) itself: a fresh system comes up, the drill
organisation is seeded through the gateway, a seeded member logs in, and a service restarted on
its ports is reached again through the gateway (the other e2e tests rely on all of it)."""
from __future__ import annotations

import grpc
import pytest

from cluster_support import Cluster, eventually


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster.started(tmp_path_factory.mktemp("cluster")) as running:
        yield running
        running.assert_all_running()


def test_seeded_member_logs_in_through_the_gateway(cluster):
    seeded = cluster.seed_drill()
    assert any(secret.startswith("xsc_pk_") for secret in Cluster.secrets_in(seeded))
    accounts = cluster.account_ids()
    pb = cluster.stubs
    auth = pb.gateway_grpc.AuthServiceStub(cluster.gateway_channel())
    me = auth.WhoAmI(pb.gateway.WhoAmIRequest(), metadata=cluster.session("13900000003"), timeout=10)
    assert me.account.id == accounts["13900000003"]
    assert me.account.role == pb.gateway.ACCOUNT_ROLE_OFFICE_ORDER_LEAD


def test_a_restarted_service_is_reached_again_through_the_gateway(cluster):
    pb = cluster.stubs
    orders = pb.orders_grpc.OrderServiceStub(cluster.gateway_channel())
    listing = pb.orders.ListOrdersRequest()
    orders.ListOrders(listing, metadata=cluster.admin(), timeout=10)
    cluster.stop_service("orders")
    with pytest.raises(grpc.RpcError) as down:
        orders.ListOrders(listing, metadata=cluster.admin(), timeout=10)
    assert down.value.code() == grpc.StatusCode.UNAVAILABLE
    cluster.start_service("orders")

    def reached():
        # The gateway's channel reconnects after its backoff (at most ~5 s); until then UNAVAILABLE.
        try:
            return orders.ListOrders(listing, metadata=cluster.admin(), timeout=10) is not None
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
            return False
    eventually("orders answers through the gateway after its restart", reached)
