import Foundation

/// Compiles the repository's proto/ with protoc into a descriptor set, the way generate.sh does.
enum DescriptorFixture {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func descriptorSet(_ files: [String]) throws -> [UInt8] {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("xsc-codegen-test-\(UUID().uuidString).pb")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["protoc", "-I", repositoryRoot.appendingPathComponent("proto").path, "-I", "/usr/include",
                             "--include_imports", "--descriptor_set_out=\(output.path)"] + files
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        return Array(try Data(contentsOf: output))
    }

    static func allProtoFiles() throws -> [String] {
        let proto = repositoryRoot.appendingPathComponent("proto")
        let enumerator = FileManager.default.enumerator(atPath: proto.path)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".proto") { files.append(path) }
        }
        return files.sorted()
    }
}
