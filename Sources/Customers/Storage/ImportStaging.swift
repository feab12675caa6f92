import Postgres

/// The import batch through COPY (session 8): the batch's rows are COPYed into a temporary
/// table of the connection, and the set-based statements of `ImportStore` read them from there
/// instead of from a dozen array parameters, so PostgreSQL parses each value once from the COPY
/// stream rather than out of array literals (bench/README.md, "Customers benchmark").
///
/// The table lives as long as the connection (created when missing, in the batch's first round
/// trip) and empties itself at every commit (ON COMMIT DELETE ROWS; a rollback takes its rows
/// back too), so it holds one batch at a time and costs no catalog work per batch. A batch's
/// statements see only their own transaction's rows: each connection has its own temporary
/// schema, so two batches in flight on two connections never meet here.
struct ImportStaging: Sendable {
    static let createStatement = PostgresStatement("""
        CREATE TEMP TABLE IF NOT EXISTS import_staging (
            id text NOT NULL, name text NOT NULL, name_key text NOT NULL, address text NOT NULL, address_key text NOT NULL,
            district_id text NOT NULL, kind smallint NOT NULL, dm_name text NOT NULL, dm_phone text NOT NULL, dm_notes text NOT NULL,
            p_name text NOT NULL, p_phone text NOT NULL, p_notes text NOT NULL, grade smallint NOT NULL,
            tags text NOT NULL, phones text NOT NULL, phone_kinds text NOT NULL, swaps text NOT NULL,
            lost boolean NOT NULL DEFAULT false
        ) ON COMMIT DELETE ROWS
        """, prepared: false)

    static let copySQL = """
        COPY pg_temp.import_staging (id, name, name_key, address, address_key, district_id, kind, dm_name, dm_phone, dm_notes,
                                     p_name, p_phone, p_notes, grade, tags, phones, phone_kinds, swaps) FROM STDIN
        """

    /// The batch in COPY's text format. Lists (tags, phones, their kinds, the phones' neighbour
    /// swaps) are joined with the unit separator, which validation keeps out of every field.
    func rows(_ rows: [ImportStore.Row]) -> CopyTextRows {
        let sep = CustomerRecord.separator
        var copy = CopyTextRows(reservingBytes: rows.count * 400)
        for row in rows {
            let v = row.valid
            copy.append(row.id)
            copy.append(v.name)
            copy.append(v.nameKey)
            copy.append(v.address)
            copy.append(v.addressKey)
            copy.append(v.districtID)
            copy.append(v.kind)
            copy.append(v.decisionMaker.name)
            copy.append(v.decisionMaker.phone)
            copy.append(v.decisionMaker.notes)
            copy.append(v.purchaser.name)
            copy.append(v.purchaser.phone)
            copy.append(v.purchaser.notes)
            copy.append(v.grade)
            copy.append(v.tags.joined(separator: sep))
            copy.append(v.phones.map(\.digits).joined(separator: sep))
            copy.append(v.phones.map { $0.isMobile ? "mobile" : "landline" }.joined(separator: sep))
            copy.append(v.phones.flatMap { NearDuplicateRules.storableTranspositions(of: $0.digits) }.joined(separator: sep))
            copy.endRow()
        }
        return copy
    }

    /// Marks the staged rows that lose a phone (someone holds one of their phones already) and
    /// returns, per such row, every live customer holding one of its phones (`ImportStore.held`):
    /// the rows are decided before anything is written, so the phone rows go in with a plain
    /// INSERT (ON CONFLICT's speculative insertion cost PostgreSQL half as much again as the
    /// insert itself, session 9) and no row is written to be taken back. A phone someone takes
    /// between this statement and the INSERT fails the INSERT on the unique index: the batch
    /// rolls back and goes row by row, which answers the same.
    static let markLostStatement = PostgresStatement("""
        WITH lost AS (
            UPDATE pg_temp.import_staging t SET lost = true
            WHERE EXISTS (SELECT 1 FROM unnest(string_to_array(t.phones, E'\\x1f')) AS x(phone)
                          JOIN customer_phones q ON q.phone = x.phone)
            RETURNING t.id, t.phones
        )
        SELECT l.id AS row_id, h.id AS holder_id, h.owner_account_id, h.team_path, h.phones AS holder_phones
        FROM lost l
        LEFT JOIN LATERAL (SELECT c.id, c.owner_account_id, c.team_path, array_to_string(c.phones, E'\\x1f') AS phones
                           FROM unnest(string_to_array(l.phones, E'\\x1f')) AS x(phone)
                           JOIN customer_phones q ON q.phone = x.phone
                           JOIN customers c ON c.id = q.customer_id AND c.merged_into IS NULL) AS h ON true
        """)

    /// Every staged row's customer that lost no phone (owner, team, creator and time shared).
    func insertCustomersStatement(owner: String, team: String, origin: String, at: Int64) -> PostgresStatement {
        PostgresStatement("""
            INSERT INTO customers (id, name, name_key, address, address_key, district_id, kind,
                decision_maker_name, decision_maker_phone, decision_maker_notes, purchaser_name, purchaser_phone, purchaser_notes,
                grade, tags, phones, owner_account_id, team_path, created_by, origin, created_at, updated_at)
            SELECT t.id, t.name, t.name_key, t.address, t.address_key, t.district_id, t.kind, t.dm_name, t.dm_phone, t.dm_notes,
                   t.p_name, t.p_phone, t.p_notes, t.grade, string_to_array(t.tags, E'\\x1f'), string_to_array(t.phones, E'\\x1f'),
                   $1, $2, $1, $3, $4, $4
            FROM pg_temp.import_staging t
            WHERE NOT t.lost
            """, [.text(owner), .text(team), .text(origin), .timestampMillis(at)])
    }

    /// The phone rows of the staged rows that lost no phone (`markLostStatement` found every one
    /// free; one taken since fails the statement on the unique index, which waits for a
    /// concurrent insert of the same number to end).
    static let insertPhonesStatement = PostgresStatement("""
        INSERT INTO customer_phones (phone, customer_id, kind)
        SELECT x.phone, t.id, x.kind
        FROM pg_temp.import_staging t,
             unnest(string_to_array(t.phones, E'\\x1f'), string_to_array(t.phone_kinds, E'\\x1f')) AS x(phone, kind)
        WHERE NOT t.lost
        ORDER BY 1
        """)

    /// Unclaimed referrals of the batch's phones, removed (their customers adopt them): only of
    /// phones a row of the batch now holds together with all its other phones. Runs after
    /// `insertPhonesStatement` in the same pipeline; a row that lost a phone wrote nothing, so
    /// its free phones keep their referrals for whoever registers them. The check is a scalar subquery on purpose: it runs only for the few
    /// waiting referrals found by phone, where a join let the planner start from the batch's
    /// thousand customers instead (a second per batch, session 6). The batch's phones and ids are
    /// each built once (ARRAY(...), an init plan), keeping the plan of the array-parameter form
    /// this replaced (an index probe per phone). Read with `ImportStore.referrals(from:)`.
    static let claimReferralsStatement = PostgresStatement("""
        DELETE FROM unclaimed_referrals u
        WHERE u.phone = ANY(ARRAY(SELECT x FROM pg_temp.import_staging t, unnest(string_to_array(t.phones, E'\\x1f')) AS x))
          AND (SELECT c.id = ANY(ARRAY(SELECT t.id FROM pg_temp.import_staging t))
                      AND NOT EXISTS (SELECT 1 FROM unnest(c.phones) AS x(phone)
                                      WHERE NOT EXISTS (SELECT 1 FROM customer_phones q WHERE q.phone = x.phone AND q.customer_id = c.id))
               FROM customer_phones p JOIN customers c ON c.id = p.customer_id WHERE p.phone = u.phone)
        RETURNING u.phone, u.intermediary_account_id, u.order_id, u.seen_at
        """)

    /// Near-duplicates of the staged customers in `team` (the batch's own customers included):
    /// the same name and address, or a neighbour swap of a phone. Read with `ImportStore.pairs`.
    func nearDuplicatesStatement(team: String) -> PostgresStatement {
        PostgresStatement("""
            SELECT b.id AS customer_id, c.id AS similar_id, 'same_name_address' AS reason
            FROM pg_temp.import_staging b
            JOIN customers c ON c.team_path = $1 AND c.name_key = b.name_key AND c.address_key = b.address_key
                AND c.merged_into IS NULL AND c.id <> b.id
            WHERE NOT b.lost
            UNION
            SELECT b.id, c.id, 'phone_transposition'
            FROM pg_temp.import_staging b
            CROSS JOIN LATERAL unnest(string_to_array(b.swaps, E'\\x1f')) AS s(phone)
            JOIN customer_phones p ON p.phone = s.phone
            -- The customer by its key for each phone found (a lateral subquery, so never a hash
            -- join over the whole team's customers, which the generic plan chose).
            CROSS JOIN LATERAL (SELECT c.id FROM customers c
                                WHERE c.id = p.customer_id AND c.team_path = $1 AND c.merged_into IS NULL AND c.id <> b.id
                                OFFSET 0) AS c
            WHERE NOT b.lost
            """, [.text(team)])
    }
}
