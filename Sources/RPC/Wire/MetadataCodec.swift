import HTTP2

/// Converts between HTTP/2 header fields and gRPC `Metadata`.
enum MetadataCodec {
    enum Failure: Error { case badBinaryValue(String) }

    /// Application metadata of a received header block: every field except pseudo-headers and
    /// the ones gRPC itself defines. `-bin` values are base64-decoded.
    static func metadata(from block: HTTP2HeaderBlock) throws(Failure) -> Metadata {
        var metadata = Metadata()
        for index in 0..<block.count {
            let name = block.name(at: index)
            if isReserved(name, block, index) { continue }
            let nameString = String(decoding: name, as: UTF8.self)
            if name.count > 4 && name.suffix(4).elementsEqual("-bin".utf8) {
                // Several values may arrive joined by commas in one field.
                for part in block.value(at: index).split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                    let trimmed = part.drop { $0 == UInt8(ascii: " ") }
                    guard let decoded = Base64.decode(trimmed) else { throw .badBinaryValue(nameString) }
                    metadata.add(nameString, binary: decoded)
                }
            } else {
                metadata.add(nameString, String(decoding: block.value(at: index), as: UTF8.self))
            }
        }
        return metadata
    }

    static func append(_ metadata: Metadata, to list: inout HTTP2HeaderList) {
        for entry in metadata {
            switch entry.value {
            case .text(let text): list.add(entry.name, text)
            case .binary(let bytes): list.add(entry.name, Base64.encode(bytes))
            }
        }
    }

    private static func isReserved(_ name: ArraySlice<UInt8>, _ block: HTTP2HeaderBlock, _ index: Int) -> Bool {
        if name.first == UInt8(ascii: ":") { return true }
        return block.matches(index, "content-type") || block.matches(index, "te")
            || block.matches(index, "grpc-timeout") || block.matches(index, "grpc-encoding")
            || block.matches(index, "grpc-accept-encoding") || block.matches(index, "grpc-status")
            || block.matches(index, "grpc-message") || block.matches(index, "grpc-status-details-bin")
            || block.matches(index, "content-length")
    }
}
