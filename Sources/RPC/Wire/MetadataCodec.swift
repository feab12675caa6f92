import HTTP2
import NetIO

/// Converts between HTTP/2 header fields and gRPC `Metadata`.
enum MetadataCodec {
    enum Failure: Error { case badBinaryValue(String) }

    /// Application metadata of a received header block: every field except pseudo-headers and
    /// the ones gRPC itself defines. `-bin` values are base64-decoded.
    static func metadata(from block: HTTP2HeaderBlock) throws(Failure) -> Metadata {
        var metadata = Metadata()
        for index in 0..<block.count {
            if isReserved(block, index) { continue }
            // HTTP/2 field names are lower-case (nghttp2 refuses others), so no lowercasing.
            let nameString = String(decoding: block.name(at: index), as: UTF8.self)
            if block.hasBinarySuffix(at: index) {
                // Several values may arrive joined by commas in one field.
                let value = block.value(at: index)
                var partStart = value.startIndex
                while true {
                    let partEnd = value[partStart...].firstIndex(of: UInt8(ascii: ",")) ?? value.endIndex
                    guard let decoded = Base64.decode(value[partStart..<partEnd].drop { $0 == UInt8(ascii: " ") }) else {
                        throw .badBinaryValue(nameString)
                    }
                    metadata.add(Metadata.Entry(name: nameString, value: .binary(decoded)))
                    guard partEnd < value.endIndex else { break }
                    partStart = value.index(after: partEnd)
                }
            } else {
                metadata.add(Metadata.Entry(name: nameString, value: .text(String(decoding: block.value(at: index), as: UTF8.self))))
            }
        }
        return metadata
    }

    /// The name of the first `-bin` field whose value is not base64, if any.
    static func firstInvalidBinaryField(in block: HTTP2HeaderBlock) -> String? {
        var knownValid = ValidBase64Texts()
        return firstInvalidBinaryField(in: block, knownValid: &knownValid)
    }

    /// As above; values in `knownValid` (found valid earlier on the connection) are not checked
    /// again, and values found valid are added.
    static func firstInvalidBinaryField(in block: HTTP2HeaderBlock, knownValid: inout ValidBase64Texts) -> String? {
        for index in 0..<block.count where block.hasBinarySuffix(at: index) && !isReserved(block, index) {
            // Each comma-separated part, leading spaces dropped, checked in place (splitting
            // and decoding every call's actor headers here, then again when read, showed in profiles).
            let value = block.value(at: index)
            if knownValid.contains(value) { continue }
            var partStart = value.startIndex
            while true {
                let partEnd = value[partStart...].firstIndex(of: UInt8(ascii: ",")) ?? value.endIndex
                if !Base64.isValid(value[partStart..<partEnd].drop { $0 == UInt8(ascii: " ") }) {
                    return String(decoding: block.name(at: index), as: UTF8.self)
                }
                guard partEnd < value.endIndex else { break }
                partStart = value.index(after: partEnd)
            }
            knownValid.remember(value)
        }
        return nil
    }

    /// About how many bytes `append` adds (names and values, binary ones base64-encoded), to
    /// reserve room once.
    static func encodedSize(_ metadata: Metadata) -> Int {
        var size = 0
        for entry in metadata {
            switch entry.value {
            case .text(let text): size += entry.name.utf8.count + text.utf8.count
            case .binary(let bytes): size += entry.name.utf8.count + (bytes.count + 2) / 3 * 4
            }
        }
        return size
    }

    static func append(_ metadata: Metadata, to list: inout HTTP2HeaderList) {
        for entry in metadata {
            switch entry.value {
            case .text(let text): list.add(entry.name, text)
            case .binary(let bytes): list.add(entry.name) { Base64.encode(bytes, appendingTo: &$0) }
            }
        }
    }

    /// As above, binary values' texts taken from (and added to) `encodings`.
    static func append(_ metadata: Metadata, to list: inout HTTP2HeaderList, encodings: inout Base64Encodings) {
        for entry in metadata {
            switch entry.value {
            case .text(let text): list.add(entry.name, text)
            case .binary(let bytes): list.add(entry.name) { encodings.append(bytes, to: &$0) }
            }
        }
    }

    static func isBinaryName(_ name: String) -> Bool { ByteStrings.hasLongerSuffix(name, "-bin") }

    /// The index of the first application metadata field named `name`, as `metadata(from:)`
    /// would decode it (reserved fields never match).
    static func firstApplicationField(named name: String, in block: HTTP2HeaderBlock) -> Int? {
        // A reserved name is reserved wherever it occurs: the first field of the name decides.
        guard let index = block.firstIndex(named: name), !isReserved(block, index) else { return nil }
        return index
    }

    /// The binary value of `name` when the block holds exactly one (counting comma-joined
    /// parts as `metadata(from:)` does), decoded; the block was validated on arrival.
    static func singleBinaryValue(named name: String, in block: HTTP2HeaderBlock) -> SingleMetadataValue<[UInt8]> {
        guard let index = firstApplicationField(named: name, in: block) else { return .absent }
        let value = block.value(at: index)
        guard !ByteStrings.contains(value, UInt8(ascii: ",")) else { return .several }
        if block.firstIndex(named: name, from: index + 1) != nil { return .several }
        guard let decoded = Base64.decode(value.drop { $0 == UInt8(ascii: " ") }) else { return .several }
        return .one(decoded)
    }

    /// Pseudo-headers and the fields gRPC itself defines are not application metadata.
    static func isReserved(_ block: HTTP2HeaderBlock, _ index: Int) -> Bool {
        if block.isPseudoHeader(at: index) { return true }
        switch block.nameLength(at: index) {
        case 2: return block.matches(index, "te")
        case 11: return block.matches(index, "grpc-status")
        case 12: return block.matches(index, "content-type") || block.matches(index, "grpc-timeout")
            || block.matches(index, "grpc-message")
        case 13: return block.matches(index, "grpc-encoding")
        case 14: return block.matches(index, "content-length")
        case 20: return block.matches(index, "grpc-accept-encoding")
        case 23: return block.matches(index, "grpc-status-details-bin")
        default: return false
        }
    }
}
