@testable import HTTPClient
import DomainKit
import XSCTestSupport
import Foundation
@testable import Notifications
import XCTest

final class HTTPGatewayProviderTests: XCTestCase {
    private let sms = OutgoingSMS(messageID: "m-1", phone: MainlandPhone(mobile: "13812345678")!, text: "【XSC】团队公告：周会。请登录系统查看。",
                                  segments: 1, regionCode: "hq", attempt: 1)

    private func provider(_ gateway: FakeSMSGateway, secret: String? = nil, timeout: Duration = .milliseconds(300)) -> HTTPGatewayProvider {
        var configuration = gateway.configuration(timeout: timeout)
        if let secret { configuration.secret = secret }
        return HTTPGatewayProvider(configuration: configuration, clock: { 1_700_000_000_000 })
    }

    private func outcome(_ provider: HTTPGatewayProvider, _ sms: OutgoingSMS) async -> Result<String, SMSProviderError> {
        do throws(SMSProviderError) {
            return .success(try await provider.send(sms))
        } catch {
            return .failure(error)
        }
    }

    func testAcceptedMessageReturnsTheGatewayIdAndRetriesAreDeduped() async throws {
        let gateway = try FakeSMSGateway()
        defer { gateway.stop() }
        let first = try await outcome(provider(gateway), sms).get()
        let retry = try await outcome(provider(gateway), sms).get()
        XCTAssertTrue(first.hasPrefix("gw-"))
        XCTAssertEqual(retry, first, "same client_ref, same gateway message")
        XCTAssertEqual(gateway.deliveredToHandset, ["m-1": 1])
    }

    func testRefusalsAreSortedIntoPermanentAndTransient() async throws {
        let gateway = try FakeSMSGateway(.init(blockedPhones: ["+8613812345678"]))
        defer { gateway.stop() }
        guard case .failure(.permanent(let blocked)) = await outcome(provider(gateway), sms) else { return XCTFail("400 is permanent") }
        XCTAssertTrue(blocked.contains("400"), blocked)
        guard case .failure(.permanent(let unsigned)) = await outcome(provider(gateway, secret: "wrong"), sms) else {
            return XCTFail("a bad signature (401) is permanent")
        }
        XCTAssertTrue(unsigned.contains("401"), unsigned)
        XCTAssertEqual(gateway.badSignatures.load(ordering: .relaxed), 1)

        gateway.behaviour.withLock { $0 = .init(refuseRate: 1) }
        guard case .failure(.transient(let busy)) = await outcome(provider(gateway), sms) else { return XCTFail("503 is transient") }
        XCTAssertTrue(busy.contains("503"), busy)
    }

    func testTimeoutsAndConnectionFailuresAreTransient() async throws {
        let gateway = try FakeSMSGateway(.init(acceptThenHangRate: 1))
        defer { gateway.stop() }
        guard case .failure(.transient(let hung)) = await outcome(provider(gateway, timeout: .milliseconds(200)), sms) else {
            return XCTFail("a gateway that never answers is a transient failure")
        }
        XCTAssertTrue(hung.contains("timed out"), hung)

        let closed = try FakeSMSGateway()
        let port = closed.port
        closed.stop()
        let nowhere = HTTPGatewayProvider(configuration: .init(host: "127.0.0.1", port: port, apiKey: "k", secret: "s",
                                                               timeout: .seconds(5)), clock: { 0 })
        guard case .failure(.transient(let refused)) = await outcome(nowhere, sms) else { return XCTFail("refused is transient") }
        XCTAssertTrue(refused.contains("connect"), refused)
    }

    func testResponseParsing() throws {
        let ok = try HTTP1Client.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}trailing".utf8))
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.body, Array("{}".utf8))
        XCTAssertThrowsError(try HTTP1Client.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n".utf8)))
        XCTAssertThrowsError(try HTTP1Client.parse(Array("SMTP 220 hello\r\n\r\n".utf8)))
        XCTAssertThrowsError(try HTTP1Client.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8)))
        let secure = HTTPGatewayProvider.Configuration(url: "https://sms.example.com/send", apiKey: "k", secret: "s")
        XCTAssertEqual(secure?.port, 443)
        XCTAssertEqual(secure?.tls, .system, "https trusts the system's CAs unless told otherwise")
        let privateCA = HTTPGatewayProvider.Configuration(url: "https://sms.internal:8443/v1/sms", apiKey: "k", secret: "s",
                                                           trust: .caFile("/etc/xsc/sms-ca.pem"))
        XCTAssertEqual(privateCA?.tls, .caFile("/etc/xsc/sms-ca.pem"))
        XCTAssertEqual(HTTPGatewayProvider.Configuration(url: "http://10.0.0.9/sms", apiKey: "k", secret: "s")?.tls, nil)
        XCTAssertNil(HTTPGatewayProvider.Configuration(url: "ftp://sms.example.com/send", apiKey: "k", secret: "s"))
    }
}
