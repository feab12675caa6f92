import CXSCProto

/// proto3 requires `string` fields to hold valid UTF-8, which protobuf-c does not check; and
/// protobuf-c keeps a string as a NUL-terminated C string, so a NUL inside one would silently
/// cut it short (two different requests could then look alike, down to an idempotency
/// fingerprint). This walks the wire bytes once before unpacking, guided by protobuf-c's own
/// descriptors, and names the first string field that is not valid UTF-8 or holds a NUL.
/// Anything it cannot read as a well-formed message is left to protobuf-c's unpack to refuse.
enum ProtoStringCheck {
    /// Nesting deeper than this is left to unpack (protobuf-c has its own recursion limit).
    static let maxDepth = 64

    /// The refusal for the first bad string field of `bytes`, or nil.
    static func problem(_ bytes: UnsafeRawBufferPointer,
                        descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> ProtoDecodeError? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        guard let problem = check(UnsafeBufferPointer(start: base, count: bytes.count), descriptor: descriptor, depth: 0) else {
            return nil
        }
        return .invalidString(field: problem.field, reason: problem.reason)
    }

    /// Field names are spelled only for a refusal, on the way out (`prefixed`): building the
    /// path for every length-delimited field of every request cost an allocation each.
    private static func check(_ bytes: UnsafeBufferPointer<UInt8>, descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
                              depth: Int) -> (field: String, reason: String)? {
        var index = 0
        while index < bytes.count {
            guard let key = readVarint(bytes, &index) else { return nil }
            let number = UInt32(truncatingIfNeeded: key >> 3)
            switch key & 7 {
            case 0: guard readVarint(bytes, &index) != nil else { return nil }
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = readVarint(bytes, &index), length <= UInt64(bytes.count - index) else { return nil }
                let field = UnsafeBufferPointer(rebasing: bytes[index..<(index + Int(length))])
                index += Int(length)
                guard let fieldDescriptor = find(number, in: descriptor) else { continue }
                switch fieldDescriptor.pointee.type {
                case PROTOBUF_C_TYPE_STRING:
                    if let reason = refusal(of: field) { return (String(cString: fieldDescriptor.pointee.name), reason) }
                case PROTOBUF_C_TYPE_MESSAGE:
                    guard depth < maxDepth, let nested = fieldDescriptor.pointee.descriptor else { continue }
                    let message = nested.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                    if let problem = check(field, descriptor: message, depth: depth + 1) {
                        return (String(cString: fieldDescriptor.pointee.name) + "." + problem.field, problem.reason)
                    }
                default:
                    continue
                }
            default:
                return nil  // groups and invalid wire types: unpack decides
            }
        }
        return nil
    }

    private static func refusal(of bytes: UnsafeBufferPointer<UInt8>) -> String? {
        // ASCII without NUL (ids, codes, most names) is valid as it is: no String is built.
        var ascii = true
        for byte in bytes {
            if byte == 0 { return "contains a NUL character" }
            if byte >= 0x80 { ascii = false }
        }
        if ascii { return nil }
        return isValidUTF8(bytes) ? nil : "is not valid UTF-8"
    }

    /// Well-formed UTF-8 as Unicode defines it (table 3-7: no overlong forms, no surrogates,
    /// nothing past U+10FFFF), checked in place. `String(validating:)` built a String per
    /// non-ASCII field and ran the standard library's unspecialised validator (callgrind: ~2.4k
    /// instructions per order, whose customer names and addresses are Chinese).
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let trailing: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: trailing = 1
            case 0xE0: trailing = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: trailing = 2
            case 0xED: trailing = 2; high = 0x9F
            case 0xF0: trailing = 3; low = 0x90
            case 0xF1...0xF3: trailing = 3
            case 0xF4: trailing = 3; high = 0x8F
            default: return false
            }
            guard count - index > trailing else { return false }
            let second = bytes[index + 1]
            guard second >= low && second <= high else { return false }
            var next = index + 2
            while next <= index + trailing {
                guard bytes[next] & 0xC0 == 0x80 else { return false }
                next += 1
            }
            index = next
        }
        return true
    }

    private static func find(_ number: UInt32, in descriptor: UnsafePointer<ProtobufCMessageDescriptor>)
        -> UnsafePointer<ProtobufCFieldDescriptor>? {
        guard let fields = descriptor.pointee.fields else { return nil }
        for offset in 0..<Int(descriptor.pointee.n_fields) where fields[offset].id == number {
            return fields + offset
        }
        return nil
    }

    private static func readVarint(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }
}

/// For the generated `decode`s: the refusal of the first bad string field, checked against the
/// message's protobuf-c descriptor, or nil.
public func protoStringProblem(_ bytes: UnsafeRawBufferPointer,
                               _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) -> ProtoDecodeError? {
    ProtoStringCheck.problem(bytes, descriptor: descriptor)
}
