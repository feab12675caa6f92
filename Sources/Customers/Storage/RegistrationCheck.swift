import Postgres

/// The check of CreateCustomer's one-round-trip path (migration 0003): one statement that fails
/// the transaction (SQLSTATE XC001, `isMiss`) when the registration needs more than an insert: a
/// referral waits for one of its phones, or its team has a near-duplicate (the same lookups as
/// `ReferralStore.claimStatement` and `DuplicateStore.candidatesStatement`, as EXISTS: the path
/// only needs to know whether there is anything). bench/customers/create.sql runs it too.
struct RegistrationCheck: Sendable {
    static let missState = "XC001"

    static func isMiss(_ error: Error) -> Bool {
        (error as? PostgresError)?.sqlState == missState
    }

    func statement(team: String, nameKey: String, addressKey: String, phones: [String], exclude: String) -> PostgresStatement {
        let transposed = phones.flatMap(NearDuplicateRules.transpositions(of:))
        return PostgresStatement("""
            SELECT registration_is_plain(
                EXISTS (SELECT 1 FROM unclaimed_referrals WHERE phone = ANY(string_to_array($1, E'\\x1f'))),
                EXISTS (SELECT 1 FROM customers c
                        WHERE c.team_path = $2 AND c.name_key = $3 AND c.address_key = $4 AND c.merged_into IS NULL AND c.id <> $5)
                OR EXISTS (SELECT 1 FROM customer_phones p JOIN customers c ON c.id = p.customer_id
                           WHERE p.phone = ANY($6::text[]) AND c.team_path = $2 AND c.merged_into IS NULL AND c.id <> $5))
            """, [.text(phones.joined(separator: CustomerRecord.separator)), .text(team), .text(nameKey), .text(addressKey),
                  .text(exclude), .text(NearDuplicateRules.arrayLiteral(transposed))])
    }
}
