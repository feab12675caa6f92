/// Type OIDs of the built-in types the wrapper encodes or decodes (pg_type.oid; stable
/// across PostgreSQL versions).
public enum PGType {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let char: UInt32 = 18
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let xml: UInt32 = 142
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let unknown: UInt32 = 705
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let date: UInt32 = 1082
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let numeric: UInt32 = 1700
    public static let void: UInt32 = 2278
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802

    /// Types whose wire form is their text: compared by value (a Set's hashing per decoded
    /// cell showed in the outbox relay's profile, issue 15).
    static func isTextLike(_ oid: UInt32) -> Bool {
        switch oid {
        case char, name, text, json, xml, unknown, bpchar, varchar: true
        default: false
        }
    }
}
