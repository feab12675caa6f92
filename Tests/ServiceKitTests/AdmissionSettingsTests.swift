import XCTest
@testable import ServiceKit

/// Admission limits and the database queue come from the environment, per service, and
/// `--print-config` shows them (issue 16). Before AdmissionSettings none of these variables
/// existed: `config.admission` did not compile, and the printable lines were absent.
final class AdmissionSettingsTests: XCTestCase {
    private let base = ["DATABASE_URL": "postgres://orders@localhost/xsc",
                        "XSC_ACTOR_SECRET": "a-generated-secret-of-enough-length-7f3a9c"]

    func testDefaultsAreShownByPrintConfig() throws {
        let config = try ServiceConfig.load(service: "orders", environment: base)
        XCTAssertEqual(config.admission, AdmissionSettings())
        let printed = config.printable()
        for line in ["XSC_MAX_CONNECTIONS=4096", "XSC_MAX_CONNECTIONS_PER_PEER=1024", "XSC_MAX_CALLS_IN_FLIGHT=4096",
                     "XSC_BUSY_RETRY_AFTER_MS=100", "XSC_DB_MAX_WAITERS=64", "XSC_DB_ACQUIRE_TIMEOUT_MS=500",
                     "XSC_PEER_CONNECT_BURST=500", "XSC_PEER_CONNECT_RATE=100", "XSC_PEER_COOLDOWN_MS=10000", "XSC_PEER_KERNEL_DROP=1"] {
            XCTAssertTrue(printed.contains(line + "\n"), "missing \(line) in\n\(printed)")
        }
    }

    func testEachLimitIsReadFromTheEnvironment() throws {
        let config = try ServiceConfig.load(service: "orders", environment: base.merging([
            "XSC_MAX_CONNECTIONS": "300", "XSC_MAX_CONNECTIONS_PER_PEER": "20", "XSC_MAX_CALLS_IN_FLIGHT": "150",
            "XSC_BUSY_RETRY_AFTER_MS": "250", "XSC_DB_MAX_WAITERS": "8", "XSC_DB_ACQUIRE_TIMEOUT_MS": "50",
            "XSC_PEER_CONNECT_BURST": "0", "XSC_PEER_CONNECT_RATE": "7", "XSC_PEER_COOLDOWN_MS": "1500",
            "XSC_PEER_KERNEL_DROP": "0",
        ]) { $1 })
        XCTAssertFalse(config.admission.peerKernelDrop)
        XCTAssertTrue(config.printable().contains("XSC_PEER_KERNEL_DROP=0\n"))
        XCTAssertEqual(config.admission.peerConnectBurst, 0)
        XCTAssertEqual(config.admission.peerConnectRate, 7)
        XCTAssertEqual(config.admission.peerCoolDown, .milliseconds(1500))
        XCTAssertEqual(config.admission.maxConnections, 300)
        XCTAssertEqual(config.admission.maxConnectionsPerPeer, 20)
        XCTAssertEqual(config.admission.maxCallsInFlight, 150)
        XCTAssertEqual(config.admission.busyRetryAfter, .milliseconds(250))
        XCTAssertEqual(config.admission.databaseMaxWaiters, 8)
        XCTAssertEqual(config.admission.databaseAcquireTimeout, .milliseconds(50))
        XCTAssertTrue(config.printable().contains("XSC_MAX_CALLS_IN_FLIGHT=150\n"))
    }

    /// Unset, the unary cap follows the pool: its connections plus three quarters of its
    /// waiters (a proxy gets none); set, it is taken as is, 0 meaning none.
    func testTheUnaryCapFollowsThePoolUnlessSet() throws {
        let config = try ServiceConfig.load(service: "orders", environment: base)
        XCTAssertNil(config.admission.maxUnaryCallsInFlight)
        XCTAssertTrue(config.printable().contains("XSC_MAX_UNARY_CALLS_IN_FLIGHT=auto\n"))
        XCTAssertEqual(config.admission.unaryCallLimit(databasePoolSize: 10, proxies: false), 10 + 48)
        XCTAssertEqual(config.admission.unaryCallLimit(databasePoolSize: 4, proxies: false), 4 + 48)
        XCTAssertNil(config.admission.unaryCallLimit(databasePoolSize: 10, proxies: true))
        let small = try ServiceConfig.load(service: "orders", environment: base.merging(["XSC_DB_MAX_WAITERS": "16"]) { $1 })
        XCTAssertEqual(small.admission.unaryCallLimit(databasePoolSize: 4, proxies: false), 16)
        let set = try ServiceConfig.load(service: "orders", environment: base.merging(["XSC_MAX_UNARY_CALLS_IN_FLIGHT": "7"]) { $1 })
        XCTAssertEqual(set.admission.unaryCallLimit(databasePoolSize: 10, proxies: true), 7)
        let off = try ServiceConfig.load(service: "orders", environment: base.merging(["XSC_MAX_UNARY_CALLS_IN_FLIGHT": "0"]) { $1 })
        XCTAssertNil(off.admission.unaryCallLimit(databasePoolSize: 10, proxies: false))
    }

    func testBadLimitsAreAllReported() {
        let environment = base.merging([
            "XSC_MAX_CONNECTIONS": "10", "XSC_MAX_CONNECTIONS_PER_PEER": "11", "XSC_MAX_CALLS_IN_FLIGHT": "0",
            "XSC_BUSY_RETRY_AFTER_MS": "soon", "XSC_DB_MAX_WAITERS": "-1", "XSC_DB_ACQUIRE_TIMEOUT_MS": "999999",
            "XSC_PEER_CONNECT_RATE": "0", "XSC_PEER_COOLDOWN_MS": "later", "XSC_PEER_KERNEL_DROP": "yes",
        ]) { $1 }
        XCTAssertThrowsError(try ServiceConfig.load(service: "orders", environment: environment)) { error in
            guard let error = error as? ServiceConfigError else { return XCTFail("wrong error \(error)") }
            for variable in ["XSC_MAX_CONNECTIONS_PER_PEER", "XSC_MAX_CALLS_IN_FLIGHT", "XSC_BUSY_RETRY_AFTER_MS",
                             "XSC_DB_MAX_WAITERS", "XSC_DB_ACQUIRE_TIMEOUT_MS", "XSC_PEER_CONNECT_RATE", "XSC_PEER_COOLDOWN_MS", "XSC_PEER_KERNEL_DROP"] {
                XCTAssertTrue(error.problems.contains { $0.hasPrefix(variable) }, "no problem for \(variable): \(error)")
            }
        }
    }

    /// Deployment secrets: a published placeholder (docker-compose.yml's old fallback, the
    /// example.env value) is refused like a missing secret. Before, both started a service.
    func testPublishedPlaceholderSecretsAreRefused() {
        for placeholder in ["dev-only-actor-secret-change-me-0123456789", "change-me-to-32-or-more-random-bytes-0000",
                            "my-CHANGE-ME-secret-of-enough-length-000000"] {
            XCTAssertThrowsError(try ServiceConfig.load(service: "orders", environment: base.merging(
                ["XSC_ACTOR_SECRET": placeholder]) { $1 })) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains("placeholder"), text)
                XCTAssertFalse(text.contains(placeholder), "the value must not be echoed")
            }
        }
        XCTAssertThrowsError(try ServiceConfig.load(service: "orders", environment: base.merging(
            ["XSC_ACTOR_SECRET": ""]) { $1 }))
    }
}
