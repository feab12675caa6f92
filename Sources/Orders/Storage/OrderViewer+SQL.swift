import Postgres

extension OrderViewer {
    /// The same rule as `access(to:)` for SQL, over `orders o`: parameters $1 account id,
    /// $2 team path ('' for none), $3 team prefix, $4 is partner.
    static let sqlCondition = """
        ($1 <> '' AND (
            ($2 <> '' AND (o.credited_team_path = $2 OR left(o.credited_team_path, length($3)) = $3))
            OR EXISTS (SELECT 1 FROM order_participants p WHERE p.order_id = o.id AND p.account_id = $1)
            OR o.referrer_code = $1
            OR ($4 AND o.partner_id = $1)))
        """

    var sqlParameters: [PostgresValue] {
        [.text(accountID), .text(isPartner ? "" : teamPath), .text(teamPrefix), .bool(isPartner)]
    }

    /// `sqlCondition` narrowed to full access (`access(to:) == .full`: the credited team's reach
    /// or a participant), what the operations board shows: parameters $1 account id, $2 team
    /// path ('' for none), $3 team prefix - the first three of `sqlParameters`.
    static let sqlFullCondition = """
        ($1 <> '' AND (
            ($2 <> '' AND (o.credited_team_path = $2 OR left(o.credited_team_path, length($3)) = $3))
            OR EXISTS (SELECT 1 FROM order_participants p WHERE p.order_id = o.id AND p.account_id = $1)))
        """

    var sqlFullParameters: [PostgresValue] { Array(sqlParameters.prefix(3)) }
}
