import ProtoCodec

/// What server reflection needs to answer, independent of the protocol version: the embedded
/// descriptors by file and by symbol, and the services this server actually hosts.
struct ReflectionIndex: Sendable {
    enum Query: Sendable {
        case fileByFilename(String)
        case fileContainingSymbol(String)
        case fileContainingExtension(type: String, number: Int32)
        case allExtensionNumbers(ofType: String)
        case listServices
        case missing
    }

    enum Answer: Sendable, Equatable {
        /// Serialized FileDescriptorProtos: the file asked for first, then its imports, transitively.
        case files([[UInt8]])
        case extensionNumbers(baseType: String, numbers: [Int32])
        case services([String])
        case error(code: StatusCode, message: String)
    }

    private let filesByName: [String: EmbeddedProtoFile]
    private let fileNameBySymbol: [String: String]
    let serviceNames: [String]

    init(files: [EmbeddedProtoFile], serviceNames: [String]) {
        var byName: [String: EmbeddedProtoFile] = [:]
        var bySymbol: [String: String] = [:]
        for file in files {
            byName[file.name] = file
            for symbol in file.symbols { bySymbol[symbol] = file.name }
        }
        filesByName = byName
        fileNameBySymbol = bySymbol
        self.serviceNames = serviceNames.sorted()
    }

    func answer(_ query: Query) -> Answer {
        switch query {
        case .fileByFilename(let name):
            guard filesByName[name] != nil else { return .error(code: .notFound, message: "file not found: \(name)") }
            return .files(withDependencies(name))
        case .fileContainingSymbol(let symbol):
            let trimmed = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
            guard let name = fileNameBySymbol[trimmed] else { return .error(code: .notFound, message: "symbol not found: \(symbol)") }
            return .files(withDependencies(name))
        case .fileContainingExtension(let type, let number):
            return .error(code: .notFound, message: "no extension \(number) of \(type)")
        case .allExtensionNumbers(let type):
            // proto3 declares no extensions: a known message type has none.
            guard fileNameBySymbol[type] != nil else { return .error(code: .notFound, message: "type not found: \(type)") }
            return .extensionNumbers(baseType: type, numbers: [])
        case .listServices:
            return .services(serviceNames)
        case .missing:
            return .error(code: .invalidArgument, message: "no message_request set")
        }
    }

    private func withDependencies(_ root: String) -> [[UInt8]] {
        var ordered: [String] = []
        var seen: Set<String> = []
        var queue = [root]
        while !queue.isEmpty {
            let name = queue.removeFirst()
            guard seen.insert(name).inserted, let file = filesByName[name] else { continue }
            ordered.append(name)
            queue += file.dependencies
        }
        return ordered.compactMap { filesByName[$0]?.serializedDescriptor }
    }
}
