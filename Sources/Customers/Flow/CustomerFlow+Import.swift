import DomainKit
import Messages
import RPC
import ServiceKit

/// Bulk import: each row validated and registered on its own (one bad row does not sink the
/// rest), with a per-row report. Resending the same rows is harmless: a row whose phones are
/// the caller's customer already comes back "existing"; with an idempotency key, row i uses
/// "<key>/<i>" and replays its first answer.
extension CustomerFlow {
    public static let maxImportRows = 100_000

    func importRow(_ row: Xsc_Customers_V1_ImportCustomerRow, index: Int32, member: TeamMember,
                          idempotencyKey: String?) async -> Xsc_Customers_V1_ImportRowResult {
        var result = Xsc_Customers_V1_ImportRowResult()
        result.index = index
        do {
            let valid = try CustomerValidation.validate(row.customer)
            let ticket = idempotencyKey.map { IdempotencyTicket(scope: "customers.ImportCustomers/" + member.accountID, key: "\($0)/\(index)",
                                                               request: row.serializedBytes()) }
            let response = try await register(valid, member: member, origin: "import", idempotency: ticket)
            result.outcome = response.existing ? "existing" : "created"
            result.customerId = response.customer?.id ?? ""
        } catch let error as RPCError {
            result.outcome = "refused"
            result.error = Self.status(of: error)
        } catch {
            result.outcome = "refused"
            var status = Google_Rpc_Status()
            status.code = Int32(StatusCode.unavailable.rawValue)
            status.message = "the row could not be stored now; send it again"
            result.error = status
        }
        return result
    }

    static func status(of error: RPCError) -> Google_Rpc_Status {
        if let details = error.details, let status = try? Google_Rpc_Status(serializedBytes: details) { return status }
        var status = Google_Rpc_Status()
        status.code = Int32(error.code.rawValue)
        status.message = error.message
        return status
    }
}

extension CustomerFlow {
    /// One import row as the handler runs it, for tests without a stream.
    public func importForTests(_ row: Xsc_Customers_V1_ImportCustomerRow, index: Int32, actor: VerifiedActor,
                               idempotencyKey: String? = nil) async throws -> Xsc_Customers_V1_ImportRowResult {
        await importRow(row, index: index, member: try TeamMember.require(actor), idempotencyKey: idempotencyKey)
    }
}
