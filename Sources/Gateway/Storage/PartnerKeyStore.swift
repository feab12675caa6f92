import Foundation
import Messages
import Postgres

/// Partner API keys in `gateway.partner_keys`, stored as SHA-256 of the key.
public struct PartnerKeyStore: Sendable {
    /// Two active keys per partner: the current one and its replacement during rotation.
    public static let maxActivePerPartner = 2

    public enum CreateOutcome: Sendable {
        case created(Xsc_Gateway_V1_PartnerKey)
        case tooManyActive
    }

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let columns = """
        id, partner_id, channel, display_prefix, (extract(epoch from created_at) * 1000)::bigint,
        coalesce((extract(epoch from revoked_at) * 1000)::bigint, 0), coalesce(client_cert_sha256, '')
        """

    /// `clientCertSHA256`: the client certificate the key is bound to (lower-case hex), nil for none.
    public func create(partnerID: String, channel: String, keySHA256: [UInt8], displayPrefix: String,
                       clientCertSHA256: String? = nil) async throws -> CreateOutcome {
        try await pool.transaction { transaction in
            // Serialises key creation per partner, so two racing creates cannot make a third key.
            _ = try await transaction.query("SELECT pg_advisory_xact_lock(hashtext('gateway.partner_keys:' || $1))",
                                            [.text(partnerID)])
            let active = try await transaction.query(
                "SELECT count(*) FROM partner_keys WHERE partner_id = $1 AND revoked_at IS NULL", [.text(partnerID)])
            guard try active[0].decode(Int64.self, at: 0) < Int64(Self.maxActivePerPartner) else { return .tooManyActive }
            let rows = try await transaction.query("""
                INSERT INTO partner_keys (id, key_sha256, display_prefix, partner_id, channel, client_cert_sha256)
                VALUES ($1, $2, $3, $4, $5, $6)
                RETURNING \(Self.columns)
                """, [.text(UUID().uuidString.lowercased()), .bytea(keySHA256), .text(displayPrefix),
                      .text(partnerID), .text(channel), clientCertSHA256.map { .text($0) } ?? .null])
            return .created(try Self.key(rows[0]))
        }
    }

    public func list(partnerID: String) async throws -> [Xsc_Gateway_V1_PartnerKey] {
        let rows = try await pool.query("""
            SELECT \(Self.columns) FROM partner_keys WHERE ($1 = '' OR partner_id = $1) ORDER BY partner_id, created_at LIMIT 1000
            """, [.text(partnerID)])
        return try rows.map(Self.key)
    }

    public func revoke(id: String) async throws -> Xsc_Gateway_V1_PartnerKey? {
        let rows = try await pool.query("""
            UPDATE partner_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING \(Self.columns)
            """, [.text(id)])
        return try rows.first.map(Self.key)
    }

    public func active(keySHA256: [UInt8]) async throws -> PartnerCredential? {
        let rows = try await pool.query(
            "SELECT id, partner_id, channel, client_cert_sha256 FROM partner_keys WHERE key_sha256 = $1 AND revoked_at IS NULL",
            [.bytea(keySHA256)])
        guard let row = rows.first else { return nil }
        return PartnerCredential(keyID: try row.decode(String.self, at: 0), partnerID: try row.decode(String.self, at: 1),
                                 channel: try row.decode(String.self, at: 2),
                                 clientCertSHA256: try row.decode(String?.self, at: 3))
    }

    public func key(id: String) async throws -> Xsc_Gateway_V1_PartnerKey? {
        let rows = try await pool.query("SELECT \(Self.columns) FROM partner_keys WHERE id = $1", [.text(id)])
        return try rows.first.map(Self.key)
    }

    static func key(_ row: PostgresRow) throws -> Xsc_Gateway_V1_PartnerKey {
        var key = Xsc_Gateway_V1_PartnerKey()
        key.id = try row.decode(String.self, at: 0)
        key.partnerId = try row.decode(String.self, at: 1)
        key.channel = try row.decode(String.self, at: 2)
        key.displayPrefix = try row.decode(String.self, at: 3)
        key.createdAtMs = try row.decode(Int64.self, at: 4)
        key.revokedAtMs = try row.decode(Int64.self, at: 5)
        key.clientCertSha256 = try row.decode(String.self, at: 6)
        return key
    }
}
