import Messages
import XCTest
@testable import RPC

/// Routing and request building of the JSON transcoder, without a server.
final class JSONTranscoderTests: XCTestCase {
    private let transcoder = JSONTranscoder(routes: [
        JSONRoute(method: "GET", path: "/v1/orders/{order_id}", grpcPath: "/xsc.orders.v1.OrderService/GetOrder", body: .none,
                  serverStreaming: false, request: Xsc_Orders_V1_GetOrderRequest.self, response: Xsc_Orders_V1_OrderResponse.self),
        JSONRoute(method: "GET", path: "/v1/orders", grpcPath: "/xsc.orders.v1.OrderService/ListOrders", body: .none,
                  serverStreaming: false, request: Xsc_Orders_V1_ListOrdersRequest.self, response: Xsc_Orders_V1_ListOrdersResponse.self),
        JSONRoute(method: "POST", path: "/v1/orders", grpcPath: "/xsc.orders.v1.OrderService/SubmitOrder", body: .message,
                  serverStreaming: false, request: Xsc_Orders_V1_SubmitOrderRequest.self, response: Xsc_Orders_V1_SubmitOrderResponse.self),
        JSONRoute(method: "GET", path: "/v1/board", grpcPath: "/xsc.orders.v1.OrderService/GetBoard", body: .none,
                  serverStreaming: false, request: Xsc_Orders_V1_BoardRequest.self, response: Xsc_Orders_V1_BoardUpdate.self),
        JSONRoute(method: "POST", path: "/v1/board", grpcPath: "/xsc.orders.v1.OrderService/GetBoard", body: .message,
                  serverStreaming: false, request: Xsc_Orders_V1_BoardRequest.self, response: Xsc_Orders_V1_BoardUpdate.self),
    ])

    private func request(_ method: String, _ target: String, body: String = "", json: Bool = true) -> PlainHTTPRequest {
        PlainHTTPRequest(method: method, target: target, headers: json ? [("content-type", "application/json")] : [],
                         body: Array(body.utf8), protocolName: "HTTP/1.1", peer: "test")
    }

    private func build(_ request: PlainHTTPRequest) throws -> [[UInt8]] {
        let (route, captured) = try transcoder.route(for: request).mapError { $0.error }.get()
        return try transcoder.requestMessages(route, captured: captured, request: request)
    }

    func testPathAndQueryBecomeTheRequestMessage() throws {
        let get = try build(request("GET", "/v1/orders/o%2D1"))
        XCTAssertEqual(try Xsc_Orders_V1_GetOrderRequest(serializedBytes: get[0]).orderId, "o-1")
        let list = try Xsc_Orders_V1_ListOrdersRequest(serializedBytes:
            build(request("GET", "/v1/orders?page.pageSize=5&page.cursor=abc%3D&state=ORDER_STATE_ACCEPTED"))[0])
        XCTAssertEqual(list.page?.pageSize, 5)
        XCTAssertEqual(list.page?.cursor, "abc=")
        XCTAssertEqual(list.state, .accepted)
    }

    /// A query string is text: "true"/"false" are bools there (the staff board's `?mineOnly=true`),
    /// while a JSON body keeps the mapping's strict literals.
    func testQueryBoolsAreTheWordsTrueAndFalse() throws {
        XCTAssertTrue(try Xsc_Orders_V1_BoardRequest(serializedBytes: build(request("GET", "/v1/board?mineOnly=true"))[0]).mineOnly)
        XCTAssertFalse(try Xsc_Orders_V1_BoardRequest(serializedBytes: build(request("GET", "/v1/board?mineOnly=false"))[0]).mineOnly)
        XCTAssertThrowsError(try build(request("GET", "/v1/board?mineOnly=yes")))
        XCTAssertThrowsError(try build(request("POST", "/v1/board", body: "{\"mineOnly\":\"true\"}")))
        XCTAssertTrue(try Xsc_Orders_V1_BoardRequest(serializedBytes: build(request("POST", "/v1/board", body: "{\"mineOnly\":true}"))[0]).mineOnly)
    }

    func testMissesAndRefusals() {
        guard case .failure(let missing) = transcoder.route(for: request("GET", "/v2/x")) else { return XCTFail() }
        XCTAssertEqual(missing.httpStatus, 404)
        guard case .failure(let method) = transcoder.route(for: request("DELETE", "/v1/orders")) else { return XCTFail() }
        XCTAssertEqual(method.httpStatus, 405)
        XCTAssertEqual(method.allow, "GET, POST")
        XCTAssertThrowsError(try build(request("GET", "/v1/orders?page.pageSize=x"))) { error in
            let status = JSONStatus.status(of: error as! RPCError)
            XCTAssertEqual(status.code, 3)
            XCTAssertEqual(status.details.first?.typeUrl, "type.googleapis.com/google.rpc.BadRequest")
        }
        XCTAssertThrowsError(try build(request("POST", "/v1/orders", body: "{}", json: false)), "not JSON content")
        XCTAssertThrowsError(try build(request("POST", "/v1/orders", body: "{\"source\":")), "broken JSON")
        XCTAssertEqual(JSONStatus.httpStatus(.failedPrecondition), 400)
        XCTAssertEqual(JSONStatus.httpStatus(.unauthenticated), 401)
        XCTAssertEqual(JSONStatus.httpStatus(.resourceExhausted), 429)
        XCTAssertEqual(JSONStatus.httpStatus(.unavailable), 503)
    }

    func testServerSentEventsCarryTheCursorAsId() {
        let frame = JSONTranscoder.frame(.object([("cursor", .string("c9")), ("event", .object([]))]), lines: false)
        XCTAssertEqual(String(decoding: frame, as: UTF8.self), "id: c9\ndata: {\"cursor\":\"c9\",\"event\":{}}\n\n")
        XCTAssertEqual(String(decoding: JSONTranscoder.frame(.object([]), lines: true), as: UTF8.self), "{}\n")
    }
}
