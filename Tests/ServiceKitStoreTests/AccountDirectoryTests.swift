import XSCTestSupport
import DomainKit
import Messages
import Postgres
import ServiceKitStore
import XCTest

final class AccountDirectoryTests: XCTestCase {
    private var fixture: StoreFixture!
    private var directory: AccountDirectory!
    private let team = "/hq/cq/cq-o1/cq-o1-d3/t7"

    override func setUp() async throws {
        let service = "dir"
        fixture = try await StoreFixture.make(self, services: [service: []])
        directory = AccountDirectory(pool: try fixture.pool(service), clock: ManualWallClock().now)
    }

    override func tearDown() async throws {
        fixture?.close()
    }

    private func entry(_ id: String, _ role: String, _ path: String, version: Int64, enabled: Bool = true,
                       name: String? = nil) -> Xsc_Common_V1_DirectoryEntry {
        var entry = Xsc_Common_V1_DirectoryEntry()
        entry.accountId = id
        entry.name = name ?? "name of \(id)"
        entry.domainRole = role
        entry.nodePath = path
        entry.enabled = enabled
        entry.version = version
        return entry
    }

    func testANewerEntryWinsAndALateRedeliveryChangesNothing() async throws {
        let applied = try await directory.apply(entry("a1", "salesperson", team, version: 5))
        let newer = try await directory.apply(entry("a1", "salesperson", team, version: 9, enabled: false, name: "新名字"))
        let late = try await directory.apply(entry("a1", "salesperson", team, version: 7))
        let same = try await directory.apply(entry("a1", "salesperson", team, version: 9))
        XCTAssertEqual([applied, newer, late, same], [true, true, false, false])
        let stored = try await directory.account("a1")
        XCTAssertEqual(stored, DirectoryAccount(id: "a1", name: "新名字", role: .salesperson, nodePath: team, enabled: false))
        let missing = try await directory.account("nobody")
        XCTAssertNil(missing)
    }

    func testTeamMembersAndSuperiorsFromTheFeed() async throws {
        let entries = [
            entry("sales", "salesperson", team, version: 1), entry("peer", "salesperson", team, version: 2),
            entry("gone", "salesperson", team, version: 3, enabled: false), entry("admin", "team_admin", team, version: 4),
            entry("district", "district_order_lead", "/hq/cq/cq-o1/cq-o1-d3", version: 5),
            entry("rm", "regional_manager", "/hq/cq", version: 6), entry("future", "some_new_role", team, version: 7),
            entry("quote\"d", "intermediary", team, version: 8),
        ]
        for item in entries { _ = try await directory.apply(item) }
        let members = try await directory.accounts(onNode: team).map(\.id)
        XCTAssertEqual(members, ["admin", "future", "peer", "quote\"d", "sales"])
        let chain = try await directory.superiors(of: "sales").map { $0.map(\.id) }
        XCTAssertEqual(chain, [["admin"], ["district"], ["rm"]])
        let some = try await directory.accounts(ids: ["rm", "quote\"d", "nobody"]).map(\.id)
        XCTAssertEqual(some, ["quote\"d", "rm"])
        let unknown = try await directory.superiors(of: "nobody")
        XCTAssertTrue(unknown.isEmpty)
        let future = try await directory.account("future")
        XCTAssertNil(future?.role, "a role this version does not know leads nobody")
    }
}
