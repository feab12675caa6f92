import Foundation
import Synchronization

/// The development provider: each SMS becomes one JSON line appended to a file, which is the
/// developer's "phone" (so it holds the full number; the logs are what mask numbers).
/// Line: {"id","to","text","segments","region","provider_id","at_ms"}.
public final class DevFileProvider: SMSProvider {
    public let name = "dev-file"
    public let path: String
    private let clock: @Sendable () -> Int64
    private let lock = Mutex(())

    public init(path: String, clock: @escaping @Sendable () -> Int64) {
        self.path = path
        self.clock = clock
    }

    public func send(_ sms: OutgoingSMS) async throws(SMSProviderError) -> String {
        let providerID = "dev-" + sms.messageID
        let record: [String: Any] = [
            "id": sms.messageID, "to": sms.phone.digits, "text": sms.text, "segments": sms.segments,
            "region": sms.regionCode, "provider_id": providerID, "at_ms": clock(),
        ]
        do {
            var line = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes])
            line.append(0x0A)
            try lock.withLock { _ in try Self.append(line, to: path) }
        } catch {
            throw .transient("cannot write \(path): \(error)")
        }
        return providerID
    }

    private static func append(_ data: Data, to path: String) throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try manager.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            guard manager.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }
}
