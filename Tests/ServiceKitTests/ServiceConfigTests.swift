import XCTest
@testable import ServiceKit

final class ServiceConfigTests: XCTestCase {
    private let secret = String(repeating: "s", count: 40)

    func testDefaultsFollowThePortTable() throws {
        let config = try ServiceConfig.load(service: "orders", peers: ["customers", "notifications"],
                                            environment: ["DATABASE_URL": "postgres://orders@localhost/xsc",
                                                          "XSC_ACTOR_SECRET": secret])
        XCTAssertEqual(config.listen, HostPort(host: "0.0.0.0", port: 7101))
        XCTAssertEqual(config.adminListen, HostPort(host: "0.0.0.0", port: 9101))
        XCTAssertEqual(config.peers["customers"], HostPort(host: "127.0.0.1", port: 7102))
        XCTAssertEqual(config.peers["notifications"], HostPort(host: "127.0.0.1", port: 7104))
        XCTAssertEqual(config.logLevel, .info)
        XCTAssertEqual(config.organizationTimeZone, "Asia/Shanghai")
        XCTAssertEqual(config.databasePoolSize, 10)
        XCTAssertEqual(config.claimLease, .seconds(60))
        XCTAssertEqual(config.deliveryCallTimeout, .seconds(10))
    }

    func testExplicitValuesWin() throws {
        let config = try ServiceConfig.load(service: "gateway", peers: ["orders", "rate-limiter"], environment: [
            "XSC_LISTEN": "[::1]:8000", "XSC_ADMIN_LISTEN": ":9000", "XSC_ORDERS_ADDR": "orders:7101",
            "XSC_RATE_LIMITER_ADDR": "10.0.0.5:6000", "DATABASE_URL": "host=db dbname=xsc",
            "XSC_ACTOR_SECRET": secret, "LOG_LEVEL": "WARNING", "XSC_ORG_TIMEZONE": "Europe/Paris",
            "XSC_DB_POOL_SIZE": "24", "XSC_CLAIM_LEASE_MS": "4000", "XSC_OUTBOX_HANDOFF": "on",
        ])
        XCTAssertEqual(config.listen, HostPort(host: "::1", port: 8000))
        XCTAssertEqual(config.adminListen, HostPort(host: "0.0.0.0", port: 9000))
        XCTAssertEqual(config.peers["orders"], HostPort(host: "orders", port: 7101))
        XCTAssertEqual(config.peers["rate-limiter"], HostPort(host: "10.0.0.5", port: 6000))
        XCTAssertEqual(config.logLevel, .warning)
        XCTAssertEqual(config.organizationTimeZone, "Europe/Paris")
        XCTAssertEqual(config.databasePoolSize, 24)
        XCTAssertTrue(config.printable().contains("XSC_DB_POOL_SIZE=24\n"))
        XCTAssertEqual(config.claimLease, .seconds(4))
        XCTAssertEqual(config.deliveryCallTimeout, .seconds(2), "a delivery ends inside its lease")
        XCTAssertTrue(config.printable().contains("XSC_CLAIM_LEASE_MS=4000\n"))
        XCTAssertTrue(config.outboxHandOff)
        XCTAssertTrue(config.printable().contains("XSC_OUTBOX_HANDOFF=on\n"))
    }

    func testEveryProblemIsReportedAtOnce() {
        let environment = [
            "XSC_LISTEN": "nonsense", "XSC_ADMIN_LISTEN": "host:99999", "XSC_ACTOR_SECRET": "short-secret",
            "LOG_LEVEL": "loud", "XSC_ORG_TIMEZONE": "../etc/passwd", "XSC_ORDERS_ADDR": "orders",
            "XSC_DB_POOL_SIZE": "0", "XSC_CLAIM_LEASE_MS": "500", "XSC_OTLP_ENDPOINT": "collector:4318",
            "XSC_OUTBOX_HANDOFF": "yes",
        ]
        XCTAssertThrowsError(try ServiceConfig.load(service: "proposals", peers: ["orders", "ledger"],
                                                    environment: environment)) { error in
            guard let error = error as? ServiceConfigError else { return XCTFail("wrong error \(error)") }
            let variables = ["XSC_LISTEN", "XSC_ADMIN_LISTEN", "DATABASE_URL", "XSC_ORDERS_ADDR", "XSC_LEDGER_ADDR",
                             "XSC_ACTOR_SECRET", "LOG_LEVEL", "XSC_ORG_TIMEZONE", "XSC_DB_POOL_SIZE", "XSC_CLAIM_LEASE_MS",
                             "XSC_OTLP_ENDPOINT", "XSC_OUTBOX_HANDOFF"]
            XCTAssertEqual(error.problems.count, variables.count, error.description)
            for variable in variables {
                XCTAssertTrue(error.problems.contains { $0.hasPrefix(variable) }, "no problem reported for \(variable)")
            }
            XCTAssertTrue(error.description.contains("12 problems"))
            XCTAssertFalse(error.description.contains("short-secret"), "the secret must never be echoed")
        }
    }

    func testDatabaseURLIsOptionalOnlyWhenTheServiceSaysSo() throws {
        let environment = ["XSC_ACTOR_SECRET": secret]
        XCTAssertThrowsError(try ServiceConfig.load(service: "gateway", environment: environment))
        let config = try ServiceConfig.load(service: "gateway", environment: environment, requiresDatabase: false)
        XCTAssertNil(config.databaseURL)
    }

    func testUnknownServiceNeedsExplicitListenAddresses() {
        XCTAssertThrowsError(try ServiceConfig.load(service: "mystery", environment: [
            "DATABASE_URL": "postgres://localhost/x", "XSC_ACTOR_SECRET": secret,
        ])) { error in
            let problems = (error as? ServiceConfigError)?.problems ?? []
            XCTAssertEqual(problems.count, 2, "\(problems)")
        }
    }

    func testListenAddressesMustBeIPAddresses() {
        XCTAssertThrowsError(try ServiceConfig.load(service: "orders", environment: [
            "DATABASE_URL": "postgres://localhost/x", "XSC_ACTOR_SECRET": secret, "XSC_LISTEN": "orders.internal:7101",
        ])) { error in
            XCTAssertEqual((error as? ServiceConfigError)?.problems.count, 1)
            XCTAssertTrue((error as? ServiceConfigError)?.problems.first?.contains("IP address") ?? false)
        }
    }

    func testSamePortForRPCAndAdminIsRefused() {
        XCTAssertThrowsError(try ServiceConfig.load(service: "orders", environment: [
            "DATABASE_URL": "postgres://localhost/x", "XSC_ACTOR_SECRET": secret,
            "XSC_LISTEN": ":7000", "XSC_ADMIN_LISTEN": "127.0.0.1:7000",
        ]))
    }

    func testPrintableHidesSecretsAndPasswords() throws {
        let config = try ServiceConfig.load(service: "orders", peers: ["customers"], environment: [
            "DATABASE_URL": "postgresql://orders:p@ss:w0rd@db.internal:5432/xsc?sslmode=disable&password=other",
            "XSC_ACTOR_SECRET": secret,
        ])
        let printed = config.printable()
        XCTAssertFalse(printed.contains(secret))
        XCTAssertFalse(printed.contains("p@ss"))
        XCTAssertFalse(printed.contains("w0rd"))
        XCTAssertFalse(printed.contains("other"))
        XCTAssertTrue(printed.contains("DATABASE_URL=postgresql://orders:****@db.internal:5432/xsc?sslmode=disable&password=****"),
                      printed)
        XCTAssertTrue(printed.contains("XSC_LISTEN=0.0.0.0:7101"))
        XCTAssertTrue(printed.contains("XSC_CUSTOMERS_ADDR=127.0.0.1:7102"))
        XCTAssertTrue(printed.contains("XSC_ACTOR_SECRET=<hidden, 40 bytes>"))
    }

    func testKeywordDatabaseStringsHidePasswordsEvenWhenQuoted() {
        XCTAssertEqual(DatabaseURL.redacted("host=db password='a b c' user=x"), "host=db password=**** user=x")
        XCTAssertEqual(DatabaseURL.redacted("postgres://u@h/db"), "postgres://u@h/db")
    }

    func testHostPortParsing() {
        XCTAssertEqual(HostPort(parsing: "localhost:0"), HostPort(host: "localhost", port: 0))
        XCTAssertEqual(HostPort(parsing: "[fe80::1]:80")?.description, "[fe80::1]:80")
        XCTAssertNil(HostPort(parsing: "::1:80"))
        XCTAssertNil(HostPort(parsing: "host:"))
        XCTAssertNil(HostPort(parsing: "host:-1"))
        XCTAssertNil(HostPort(parsing: "ho st:80"))
        XCTAssertNil(HostPort(parsing: "7101"))
    }
}
