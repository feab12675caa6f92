import DomainKit
import Messages
import RPC
import ServiceAPI

/// xsc.gateway.v1.PartnerKeyService (hq_admin only, by the access policy): API keys for partner
/// platforms and SMS providers, shown once, stored hashed, two active per partner for rotation.
public struct PartnerKeyHandler: Xsc_Gateway_V1_PartnerKeyServiceHandler {
    let core: GatewayCore
    /// The order channels a partner platform can submit through (DOMAIN.md, "Sources"), and
    /// the reserved channel of SMS-provider keys (provider callbacks only, see AccessPolicy).
    static let channels: Set<String> = ["mall", "groupbuy_platform", "alliance", PartnerCredential.smsProviderChannel]

    public init(core: GatewayCore) {
        self.core = core
    }

    public func createKey(_ request: Xsc_Gateway_V1_CreateKeyRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_CreateKeyResponse {
        try await core.door.admit(context)
        var violations = FieldViolations()
        if !OrgPath.isValidSlug(request.partnerId) { violations.add("partner_id", "1-40 lower-case letters, digits or '-'") }
        if !Self.channels.contains(request.channel) {
            violations.add("channel", "one of " + Self.channels.sorted().joined(separator: ", "))
        }
        let certificate = CertificateFingerprint.normalized(request.clientCertSha256)
        if !request.clientCertSha256.isEmpty && certificate == nil {
            violations.add("client_cert_sha256", CertificateFingerprint.expected)
        }
        try violations.check()
        let secret = SecretToken.generate(prefix: SecretToken.partnerKeyPrefix)
        switch try await core.keys.create(partnerID: request.partnerId, channel: request.channel,
                                          keySHA256: SecretToken.sha256(secret),
                                          displayPrefix: SecretToken.displayPrefix(of: secret, prefix: SecretToken.partnerKeyPrefix),
                                          clientCertSHA256: certificate) {
        case .tooManyActive:
            throw RPCError(code: .failedPrecondition,
                           message: "the partner already has \(PartnerKeyStore.maxActivePerPartner) active keys: revoke one first")
        case .created(let key):
            var response = Xsc_Gateway_V1_CreateKeyResponse()
            response.key = key
            response.secret = secret
            return response
        }
    }

    public func listKeys(_ request: Xsc_Gateway_V1_ListKeysRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_ListKeysResponse {
        try await core.door.admit(context)
        try LookupField.check([("partner_id", request.partnerId, .key)])
        var response = Xsc_Gateway_V1_ListKeysResponse()
        response.keys = try await core.keys.list(partnerID: request.partnerId)
        return response
    }

    public func revokeKey(_ request: Xsc_Gateway_V1_RevokeKeyRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_PartnerKey {
        try await core.door.admit(context)
        try LookupField.requireID(request.keyId, "key_id")
        guard let key = try await core.keys.revoke(id: request.keyId) else { throw GatewayErrors.notFound("key") }
        core.door.cache.forget(keyID: key.id)
        return key
    }
}
