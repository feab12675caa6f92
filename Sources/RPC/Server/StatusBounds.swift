/// Bounds on what a status carries back in trailers. A message or details that echo a huge
/// request field would make a header block no client accepts (nghttp2 refuses to send one
/// over 64 KiB; grpcio takes 8 KiB of metadata by default), and the caller would see a reset
/// stream or wait for its deadline instead of the error. Services should not echo such input;
/// this is the net under them.
enum StatusBounds {
    static let maxMessageBytes = 1024
    static let maxDetailsBytes = 4096

    /// `message`, cut on a character boundary to at most `maxMessageBytes` bytes plus "…".
    static func message(_ message: String) -> String {
        guard message.utf8.count > maxMessageBytes else { return message }
        var kept = 0
        var end = message.startIndex
        for index in message.indices {
            let size = message[index].utf8.count
            if kept + size > maxMessageBytes { break }
            kept += size
            end = message.index(after: index)
        }
        return String(message[..<end]) + "…"
    }

    /// Details past the bound are dropped: a cut protobuf would not decode, and the code and
    /// message still say what went wrong.
    static func details(_ details: [UInt8]?) -> [UInt8]? {
        guard let details, details.count <= maxDetailsBytes else { return nil }
        return details
    }
}
