import Messages
import RPC
import ServiceAPI
import ServiceKit

/// The customers service's answer, by RPC (`GetRewardee`, signed as settlements' SYSTEM actor):
/// who a customer is permanently bound to. Any failure to get an answer is UNAVAILABLE, so the
/// visited order's event is redelivered by orders' outbox, never booked without its binding.
public struct CustomersServiceBindings: CustomerBindings {
    let client: Xsc_Customers_V1_CustomerServiceClient
    let secret: ActorSecret
    let timeout: Duration

    public init(channel: RPCChannel, secret: ActorSecret, timeout: Duration = .seconds(5)) {
        client = Xsc_Customers_V1_CustomerServiceClient(channel: channel)
        self.secret = secret
        self.timeout = timeout
    }

    public func binding(customerPhone: String, regionID: String) async throws -> CustomerBinding {
        var request = Xsc_Customers_V1_GetRewardeeRequest()
        request.customerPhone = customerPhone
        var options = CallOptions(metadata: ActorMint.mint(secret: secret, accountID: "svc-settlements", role: .system,
                                                           teamPath: "/", lifetime: .seconds(60), audience: "customers"))
        options.timeout = timeout
        let answer: Xsc_Customers_V1_GetRewardeeResponse
        do {
            answer = try await client.getRewardee(request, options: options)
        } catch let error as RPCError where error.code == .invalidArgument {
            // A phone customers cannot read has no binding there: reward nobody rather than retry forever.
            return .unbound
        } catch {
            throw RPCError(code: .unavailable, message: "the customers service did not answer the customer's binding; the event is retried")
        }
        return answer.intermediaryAccountId.isEmpty ? .unbound : .bound(accountID: answer.intermediaryAccountId)
    }
}
