import Messages
import RPC
import ServiceAPI
import ServiceKit

/// Who owns an intermediary's short referral code. The customers service issues the codes
/// (`GetMyReferralCode`) and answers this by RPC; orders needs only this one question, so it
/// stays behind this protocol (tests give a dictionary).
public protocol ReferralCodes: Sendable {
    /// The account id of the code's intermediary, nil when no one has that code. Throws
    /// UNAVAILABLE when there is no answer now.
    func accountID(ofCode code: String) async throws -> String?
}

/// No customers service configured (a test running orders alone): a short code cannot be
/// checked, so an order naming one is answered UNAVAILABLE (retry) rather than taken with a
/// referrer nobody can pay. Account ids pass through without asking (ReferrerResolution).
public struct NoReferralCodes: ReferralCodes {
    public init() {}

    public func accountID(ofCode code: String) async throws -> String? {
        throw RPCError(code: .unavailable, message: "referral codes cannot be checked: orders has no customers service")
    }
}

/// The customers service's `ResolveReferralCode`, signed as orders' SYSTEM actor for the
/// audience "customers". NOT_FOUND means no such code; any other failure is UNAVAILABLE.
public struct CustomersReferralCodes: ReferralCodes {
    let client: Xsc_Customers_V1_CustomerServiceClient
    let secret: ActorSecret
    let timeout: Duration

    public init(channel: RPCChannel, secret: ActorSecret, timeout: Duration = .seconds(3)) {
        client = Xsc_Customers_V1_CustomerServiceClient(channel: channel)
        self.secret = secret
        self.timeout = timeout
    }

    public func accountID(ofCode code: String) async throws -> String? {
        var request = Xsc_Customers_V1_ResolveReferralCodeRequest()
        request.code = code
        var options = CallOptions(metadata: ActorMint.mint(secret: secret, accountID: "svc-orders", role: .system,
                                                           teamPath: "/", lifetime: .seconds(60), audience: "customers"))
        options.timeout = timeout
        do {
            let answer = try await client.resolveReferralCode(request, options: options)
            return answer.accountId.isEmpty ? nil : answer.accountId
        } catch let error as RPCError where error.code == .notFound || error.code == .invalidArgument {
            return nil
        } catch {
            throw RPCError(code: .unavailable, message: "the referral code could not be checked just now (customers did not answer); "
                           + "submit the order again: the same external_id or idempotency key is safe")
        }
    }
}
