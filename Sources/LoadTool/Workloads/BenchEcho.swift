import Messages
import RPC
import ServiceAPI

/// bench.echo: `bench.v1.Bench/Echo` on xsc-bench-server, the order of bench/bench.proto sent
/// and echoed (no actor, no database). The floor of a run: the same client, connection and
/// machine as the service scenarios, with none of a service's work.
struct BenchEcho: Workload {
    let order: Bench_V1_Order

    init(_ request: Parameters) {
        var order = Bench_V1_Order()
        order.id = "ord-0001"
        order.externalId = "mall-20261207-0001"
        order.customerPhone = "+86 138 0013 8000"
        order.customerName = "张三"
        order.address = "重庆市渝中区解放碑步行街1号"
        order.items = (0..<max(1, request.int("items", default: 3))).map { index in
            var item = Bench_V1_Item()
            item.sku = "sku-\(index)"
            item.name = "演练白酒 500ml"
            item.qty = Int32(index + 1)
            item.unitPriceCents = 52_800
            return item
        }
        order.totalCents = order.items.reduce(0) { $0 + Int64($1.qty) * $1.unitPriceCents }
        order.channel = "mall"
        order.teamPath = "/hq/cq/cq-o1/cq-o1-d3/t7"
        order.createdAtUnixMs = 1_796_000_000_000
        self.order = order
    }

    func operation(_ number: Int, channel: RPCChannel) async throws -> Int {
        let answer = try await Bench_V1_BenchClient(channel: channel).echo(order, options: CallOptions(timeout: .seconds(30)))
        guard answer.id == order.id else { throw CheckFailure(message: "the echo is not the order sent") }
        return 1
    }
}
