/// The staff pages' static files (`services/gateway/web/`) as one generated Swift file, so the
/// gateway binary carries exactly the pages of its commit (check-generated.sh keeps them in
/// step) and needs no files beside it. Each asset has its URL path, content type and an ETag
/// from its content (FNV-1a 64: a cache validator, not a security measure).
public struct WebAssetsEmitter {
    public struct File {
        /// Relative to the web directory: "app.js", "board.html".
        public var name: String
        public var bytes: [UInt8]

        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    public let files: [File]
    public let typeName: String
    /// URL path the files are served under ("/app/").
    public let urlPrefix: String

    public init(files: [File], typeName: String, urlPrefix: String) {
        self.files = files.sorted { $0.name < $1.name }
        self.typeName = typeName
        self.urlPrefix = urlPrefix
    }

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml", "json": "application/json", "txt": "text/plain; charset=utf-8",
    ]

    static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    public func emit() throws -> GeneratedFile {
        var out = CodeWriter()
        out.line(Generator.header(source: "services/gateway/web/"))
        out.line("/// The staff pages' static files, served by the gateway under \(urlPrefix).")
        try out.block("public enum \(typeName)") { out in
            out.block("public struct Asset: Sendable") { out in
                out.line("public let path: String")
                out.line("public let contentType: String")
                out.line("/// A strong ETag from the content.")
                out.line("public let etag: String")
                out.line("public let body: String")
            }
            out.line()
            out.line("public static let assets: [Asset] = [")
            for file in files {
                let ext = file.name.split(separator: ".").last.map(String.init) ?? ""
                guard let type = Self.contentTypes[ext] else {
                    throw GeneratorError("web asset \(file.name): no content type for .\(ext)")
                }
                let text = String(decoding: file.bytes, as: UTF8.self)
                guard Array(text.utf8) == file.bytes else { throw GeneratorError("web asset \(file.name) is not UTF-8") }
                guard !text.contains("\"\"\"####") else { throw GeneratorError("web asset \(file.name) contains \"\"\"####") }
                let hash = String(Self.fnv1a64(file.bytes), radix: 16)
                out.line("    Asset(path: \"\(urlPrefix)\(file.name)\", contentType: \"\(type)\", etag: \"\\\"\(hash)\\\"\", body: ####\"\"\"")
                // Raw lines: the literal's closing delimiter sets the indentation to none.
                for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    out.raw(String(line) + "\n")
                }
                out.raw("\"\"\"####),\n")
            }
            out.line("]")
        }
        return GeneratedFile(path: typeName + ".swift", contents: out.text)
    }
}
