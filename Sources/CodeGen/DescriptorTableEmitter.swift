/// Emits the table of embedded file descriptors that server reflection answers from.
struct DescriptorTableEmitter {
    static let typeName = "XSCProtoDescriptors"

    func emit(_ files: [FileDescriptor]) -> String {
        var out = CodeWriter()
        out.line(Generator.header(source: "all proto files"))
        out.line("import ProtoCodec")
        out.line()
        out.line("/// Every .proto file compiled into this build, imports included, for server reflection.")
        out.block("public enum \(Self.typeName)") { out in
            out.line("public static let files: [EmbeddedProtoFile] = [")
            out.indented { out in
                for file in files {
                    out.line("EmbeddedProtoFile(")
                    out.indented { out in
                        out.line("name: \(literal(file.name)),")
                        out.line("package: \(literal(file.package)),")
                        out.line("dependencies: \(list(file.dependencies)),")
                        out.line("services: \(list(services(of: file))),")
                        out.line("symbols: \(list(symbols(of: file))),")
                        out.line("descriptorBase64: \"\(base64(file.serialized))\"")
                    }
                    out.line("),")
                }
            }
            out.line("]")
        }
        return out.text
    }

    func services(of file: FileDescriptor) -> [String] {
        file.services.map { qualify(file.package, $0.name) }
    }

    /// Messages, enums (nested included), services and their methods, fully qualified.
    func symbols(of file: FileDescriptor) -> [String] {
        var result: [String] = []
        func addMessage(_ message: MessageDescriptor, scope: String) {
            let name = qualify(scope, message.name)
            result.append(name)
            for nested in message.nestedMessages { addMessage(nested, scope: name) }
            for enumeration in message.enums { result.append(qualify(name, enumeration.name)) }
        }
        for message in file.messages { addMessage(message, scope: file.package) }
        for enumeration in file.enums { result.append(qualify(file.package, enumeration.name)) }
        for service in file.services {
            let name = qualify(file.package, service.name)
            result.append(name)
            for method in service.methods { result.append(name + "." + method.name) }
        }
        return result
    }

    private func qualify(_ scope: String, _ name: String) -> String {
        scope.isEmpty ? name : scope + "." + name
    }

    private func literal(_ text: String) -> String {
        var escaped = "\""
        for char in text {
            if char == "\\" || char == "\"" { escaped.append("\\") }
            escaped.append(char)
        }
        return escaped + "\""
    }

    private func list(_ items: [String]) -> String {
        "[" + items.map(literal).joined(separator: ", ") + "]"
    }

    private func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(index + 1 < bytes.count ? alphabet[Int(n >> 6 & 63)] : "=")
            out.append(index + 2 < bytes.count ? alphabet[Int(n & 63)] : "=")
            index += 3
        }
        return out
    }
}
