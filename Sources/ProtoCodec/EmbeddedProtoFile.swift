/// One .proto file's descriptor, embedded at build time for server reflection.
public struct EmbeddedProtoFile: Sendable {
    /// Path as imported, e.g. `bench/v1/bench.proto`.
    public let name: String
    public let package: String
    /// Paths of the files it imports.
    public let dependencies: [String]
    /// Fully qualified services it declares.
    public let services: [String]
    /// Fully qualified names of every message, enum, service and method it declares, nested
    /// ones included (what reflection's `file_containing_symbol` looks up).
    public let symbols: [String]
    @usableFromInline let descriptorBase64: String

    public init(name: String, package: String, dependencies: [String], services: [String],
                symbols: [String], descriptorBase64: String) {
        self.name = name
        self.package = package
        self.dependencies = dependencies
        self.services = services
        self.symbols = symbols
        self.descriptorBase64 = descriptorBase64
    }

    /// The serialized `google.protobuf.FileDescriptorProto`, decoded on use.
    public var serializedDescriptor: [UInt8] {
        // The generator only embeds valid base64, so a failure here is a generator bug.
        guard let bytes = Base64.decode(descriptorBase64) else {
            preconditionFailure("corrupt embedded descriptor for \(name)")
        }
        return bytes
    }
}
