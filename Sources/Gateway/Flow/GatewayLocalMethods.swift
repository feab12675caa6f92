import Messages
import RPC

/// The gateway's own methods the staff pages reach over JSON, called in process (no loopback
/// connection to our own gRPC port): packed request in, packed response out, with the caller
/// the front door admitted (nil only for Login, which is anonymous).
struct GatewayLocalMethods: Sendable {
    typealias Method = @Sendable (_ request: [UInt8], _ caller: Caller?, _ peer: String) async throws -> [UInt8]

    let door: FrontDoor
    let auth: AuthHandler
    let accounts: AccountHandler

    init(core: GatewayCore) {
        door = core.door
        auth = AuthHandler(core: core)
        accounts = AccountHandler(core: core)
    }

    func method(for grpcPath: String) -> Method? {
        let auth = self.auth, accounts = self.accounts
        switch grpcPath {
        case "/xsc.gateway.v1.AuthService/Login":
            return { bytes, _, peer in
                try await auth.login(Xsc_Gateway_V1_LoginRequest(serializedBytes: bytes), peer: peer).serializedBytes()
            }
        case "/xsc.gateway.v1.AuthService/Logout":
            return { _, caller, _ in try await auth.logout(caller: Self.required(caller)).serializedBytes() }
        case "/xsc.gateway.v1.AuthService/WhoAmI":
            return { _, caller, _ in try await auth.whoAmI(caller: Self.required(caller)).serializedBytes() }
        case "/xsc.gateway.v1.AccountService/ListAssignees":
            return { bytes, caller, _ in
                try await accounts.listAssignees(Xsc_Gateway_V1_ListAssigneesRequest(serializedBytes: bytes),
                                                 caller: Self.required(caller)).serializedBytes()
            }
        default:
            return nil
        }
    }

    private static func required(_ caller: Caller?) throws(RPCError) -> Caller {
        guard let caller else { throw GatewayErrors.noCredentials }
        return caller
    }
}
