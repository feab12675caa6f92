/// Every message and enum in the descriptor set by fully qualified name, with its Swift and C
/// names, plus which message fields close a cycle of inline values (those need a box).
final class TypeRegistry {
    final class MessageInfo {
        let fullName: String
        let descriptor: MessageDescriptor
        let swiftName: String
        let cTypeName: String
        let cFunctionPrefix: String
        let isTopLevel: Bool

        init(fullName: String, descriptor: MessageDescriptor, swiftName: String, isTopLevel: Bool) {
            self.fullName = fullName
            self.descriptor = descriptor
            self.swiftName = swiftName
            self.cTypeName = Naming.cTypeName(fullName: fullName)
            self.cFunctionPrefix = Naming.cFunctionPrefix(fullName: fullName)
            self.isTopLevel = isTopLevel
        }
    }

    struct EnumInfo {
        let fullName: String
        let descriptor: EnumDescriptor
        let swiftName: String
        let cTypeName: String
        /// Swift case name of the value declared first (the proto3 default).
        var defaultCase: String {
            Naming.swiftEnumCaseName(descriptor.values.first?.name ?? "", enumName: descriptor.name)
        }
    }

    private(set) var messages: [String: MessageInfo] = [:]
    private(set) var enums: [String: EnumInfo] = [:]

    init(files: [FileDescriptor]) {
        for file in files {
            let prefix = Naming.swiftPrefix(package: file.package)
            let scope = file.package.isEmpty ? "" : file.package + "."
            for message in file.messages {
                register(message, fullName: scope + message.name, swiftName: prefix + message.name, isTopLevel: true)
            }
            for enumeration in file.enums {
                registerEnum(enumeration, fullName: scope + enumeration.name, swiftName: prefix + enumeration.name)
            }
        }
    }

    private func register(_ message: MessageDescriptor, fullName: String, swiftName: String, isTopLevel: Bool) {
        messages[fullName] = MessageInfo(fullName: fullName, descriptor: message, swiftName: swiftName, isTopLevel: isTopLevel)
        for nested in message.nestedMessages {
            register(nested, fullName: fullName + "." + nested.name,
                     swiftName: swiftName + "." + Naming.swiftNestedTypeName(nested.name), isTopLevel: false)
        }
        for enumeration in message.enums {
            registerEnum(enumeration, fullName: fullName + "." + enumeration.name,
                         swiftName: swiftName + "." + Naming.swiftNestedTypeName(enumeration.name))
        }
    }

    private func registerEnum(_ enumeration: EnumDescriptor, fullName: String, swiftName: String) {
        enums[fullName] = EnumInfo(fullName: fullName, descriptor: enumeration, swiftName: swiftName,
                                   cTypeName: Naming.cTypeName(fullName: fullName))
    }

    /// `typeName` as descriptors spell it, with a leading dot.
    func message(_ typeName: String) throws -> MessageInfo {
        guard let info = messages[Self.strip(typeName)] else { throw GeneratorError("unknown message type \(typeName)") }
        return info
    }

    func enumeration(_ typeName: String) throws -> EnumInfo {
        guard let info = enums[Self.strip(typeName)] else { throw GeneratorError("unknown enum type \(typeName)") }
        return info
    }

    static func strip(_ typeName: String) -> String {
        typeName.hasPrefix(".") ? String(typeName.dropFirst()) : typeName
    }

    // MARK: Recursion

    /// Targets of the fields a message stores inline (singular and oneof message fields);
    /// repeated and map fields live in heap storage and cannot make a value infinite.
    private func inlineEdges(_ fullName: String) -> [String] {
        guard let info = messages[fullName] else { return [] }
        return info.descriptor.fields
            .filter { $0.kind == .message && !$0.isRepeated }
            .map { Self.strip($0.typeName) }
    }

    private var reachCache: [String: Set<String>] = [:]

    private func reachable(from start: String) -> Set<String> {
        if let cached = reachCache[start] { return cached }
        var seen: Set<String> = []
        var stack = [start]
        while let next = stack.popLast() {
            for target in inlineEdges(next) where !seen.contains(target) {
                seen.insert(target)
                stack.append(target)
            }
        }
        reachCache[start] = seen
        return seen
    }

    /// True when a singular/oneof field of `container` of type `target` closes an inline cycle,
    /// so its value must be stored out of line.
    func needsBox(container: String, target typeName: String) -> Bool {
        let target = Self.strip(typeName)
        return target == container || reachable(from: target).contains(container)
    }
}

public struct GeneratorError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
