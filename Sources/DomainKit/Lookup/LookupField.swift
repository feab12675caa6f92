import RPC

/// The one rule for fields that name something to look up (ids, codes, cursors): they are
/// checked for shape before anything is looked up, so SQL text, a megabyte or a typo is
/// INVALID_ARGUMENT naming the field, and only a well-formed value that matches nothing (or
/// nothing the caller may see) is NOT_FOUND. A refusal never echoes the value: it may be huge.
public enum LookupField {
    /// What a lookup field must look like.
    public enum Shape: Sendable {
        /// An object id: a UUID in canonical form (8-4-4-4-12 lower-case hex digits), as every
        /// service makes them (`UUID().uuidString.lowercased()`, `gen_random_uuid()`).
        case id
        /// A short code a person reads or types (order codes, referral codes, region codes):
        /// 1 to `maxLength` ASCII letters, digits, '-' or '_'.
        case code(maxLength: Int)
        /// An opaque paging or stream position the service handed out: 1 to 512 bytes of
        /// URL-safe base64 or the separators services use (`.`, `:`, `-`, `_`, `=`). Whether it
        /// also decodes is the service's check (`cursorProblem`).
        case cursor
        /// A path of the organisation tree (OrgPath).
        case orgPath
        /// A name other parts of the system chose (account ids from the directory, sku, region
        /// and partner ids, event and provider ids): 1 to 128 ASCII letters, digits or
        /// `- _ . : @`.
        case key
        /// A search term or filter typed by a person: any text up to `maxBytes` of UTF-8 (its
        /// meaning is the handler's to check; this only bounds what reaches a query).
        case text(maxBytes: Int)
    }

    public static let maxCursorBytes = 512

    /// Why `value` is not of `shape`, or nil. An empty value is a problem only when `required`.
    public static func problem(_ value: String, _ shape: Shape, required: Bool = true) -> String? {
        if value.isEmpty { return required ? "required" : nil }
        switch shape {
        case .id:
            return isCanonicalUUID(value) ? nil : "must be an id (a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e)"
        case .code(let maxLength):
            let bytes = value.utf8
            guard bytes.count <= maxLength else { return "must be at most \(maxLength) characters" }
            return bytes.allSatisfy(isCodeByte) ? nil : "must be letters, digits, '-' or '_'"
        case .cursor:
            let bytes = value.utf8
            guard bytes.count <= maxCursorBytes else { return "is not a cursor this service handed out" }
            return bytes.allSatisfy(isCursorByte) ? nil : "is not a cursor this service handed out"
        case .key:
            let bytes = value.utf8
            guard bytes.count <= 128 else { return "must be at most 128 characters" }
            return bytes.allSatisfy(isKeyByte) ? nil : "must be letters, digits or - _ . : @"
        case .text(let maxBytes):
            return value.utf8.count <= maxBytes ? nil : "must be at most \(maxBytes) bytes"
        case .orgPath:
            guard value.utf8.count <= 5 * 41 else { return "must be an organisation path such as /hq/cq" }
            return OrgPath.isValidPath(value) ? nil : "must be an organisation path such as /hq/cq"
        }
    }

    /// Throws INVALID_ARGUMENT for each field (name, value, shape) whose value is not of its
    /// shape, every bad field listed at once. Empty values are allowed: required-ness is the
    /// handler's own rule (`requiredIDs` for the common case).
    public static func check(_ fields: [(String, String, Shape)]) throws(RPCError) {
        var violations = FieldViolations()
        for (name, value, shape) in fields {
            violations.add(name, ifProblem: problem(value, shape, required: false))
        }
        try violations.check()
    }

    /// Throws INVALID_ARGUMENT unless `value` is a well-formed, non-empty id.
    public static func requireID(_ value: String, _ field: String) throws(RPCError) {
        if let problem = problem(value, .id) { throw FieldViolations.error(field, problem) }
    }

    /// Throws INVALID_ARGUMENT unless every named value is a well-formed, non-empty id.
    public static func requireIDs(_ fields: [(String, String)]) throws(RPCError) {
        var violations = FieldViolations()
        for (name, value) in fields { violations.add(name, ifProblem: problem(value, .id)) }
        try violations.check()
    }

    /// Adds a violation for each element of a repeated field that is not of `shape`
    /// (`field[3]`), and one for the list itself past `maxCount`.
    public static func checkIDs(_ values: [String], field: String, shape: Shape = .id, maxCount: Int,
                                into violations: inout FieldViolations) {
        if values.count > maxCount {
            violations.add(field, "at most \(maxCount) ids")
            return
        }
        for (index, value) in values.enumerated() {
            violations.add("\(field)[\(index)]", ifProblem: problem(value, shape))
        }
    }

    public static func isCanonicalUUID(_ value: String) -> Bool {
        let bytes = value.utf8
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            switch index {
            case 8, 13, 18, 23: if byte != UInt8(ascii: "-") { return false }
            default: if !((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)) { return false }
            }
        }
        return true
    }

    private static func isCodeByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
            || byte == 0x2d || byte == 0x5f
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        isCodeByte(byte) || byte == 0x2e || byte == 0x3a || byte == 0x40
    }

    private static func isCursorByte(_ byte: UInt8) -> Bool {
        isCodeByte(byte) || byte == 0x2e || byte == 0x3a || byte == 0x3d || byte == 0x2b || byte == 0x2f
    }
}
