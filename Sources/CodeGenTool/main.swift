// xsc-codegen: Swift code from a protoc descriptor set (see scripts/generate.sh).
//   xsc-codegen --descriptor-set FILE --messages-out DIR --services-out DIR [--no-clients]
//   xsc-codegen --descriptor-set FILE --list-files
//   xsc-codegen --descriptor-set FILE --http-routes FILE --services-out DIR --openapi-out FILE
//   xsc-codegen --descriptor-set FILE --http-routes FILE --services-out DIR --routes-type NAME   (a table, no document)
//   xsc-codegen --web-assets DIR --services-out DIR   (the staff pages as StaffWebAssets.swift)
import CodeGen
import Glibc

func fail(_ message: String) -> Never {
    fputs("xsc-codegen: \(message)\n", stderr)
    exit(1)
}

func readFile(_ path: String) -> [UInt8] {
    guard let file = fopen(path, "rb") else { fail("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return bytes
}

func write(_ files: [GeneratedFile], to directory: String) {
    for file in files {
        let path = directory + "/" + file.path
        guard let handle = fopen(path, "wb") else { fail("cannot write \(path)") }
        let bytes = Array(file.contents.utf8)
        if fwrite(bytes, 1, bytes.count, handle) != bytes.count { fail("short write to \(path)") }
        fclose(handle)
    }
}

var options: [String: String] = [:]
var flags: Set<String> = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--descriptor-set", "--messages-out", "--services-out", "--http-routes", "--openapi-out", "--routes-type", "--web-assets":
        guard let value = arguments.popFirst() else { fail("\(argument) needs a value") }
        options[argument] = value
    case "--list-files", "--no-clients":
        flags.insert(argument)
    default:
        fail("unknown argument \(argument)")
    }
}
if let webDirectory = options["--web-assets"] {
    guard let servicesOut = options["--services-out"] else { fail("--web-assets needs --services-out") }
    guard let directory = opendir(webDirectory) else { fail("cannot open \(webDirectory)") }
    var files: [WebAssetsEmitter.File] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        // Plain files only (no dot files, no subdirectories: the pages are one flat directory).
        guard !name.hasPrefix("."), entry.pointee.d_type == UInt8(DT_REG) else { continue }
        files.append(WebAssetsEmitter.File(name: name, bytes: readFile(webDirectory + "/" + name)))
    }
    closedir(directory)
    do {
        write([try WebAssetsEmitter(files: files, typeName: "StaffWebAssets", urlPrefix: "/app/").emit()], to: servicesOut)
    } catch {
        fail("\(error)")
    }
    exit(0)
}
guard let setPath = options["--descriptor-set"] else { fail("--descriptor-set is required") }

do {
    let generator = try Generator(descriptorSet: readFile(setPath), emitClients: !flags.contains("--no-clients"))
    if flags.contains("--list-files") {
        for name in generator.fileNames { print(name) }
        exit(0)
    }
    if let routesPath = options["--http-routes"], let typeName = options["--routes-type"] {
        guard let servicesOut = options["--services-out"] else { fail("--http-routes needs --services-out") }
        let source = "proto/" + (routesPath.split(separator: "/").last.map(String.init) ?? routesPath)
        write([try generator.httpRouteTable(routesText: String(decoding: readFile(routesPath), as: UTF8.self),
                                            typeName: typeName, source: source)], to: servicesOut)
        exit(0)
    }
    if let routesPath = options["--http-routes"] {
        guard let servicesOut = options["--services-out"], let openAPIOut = options["--openapi-out"] else {
            fail("--http-routes needs --services-out and --openapi-out")
        }
        let (swift, document) = try generator.httpAPIFiles(routesText: String(decoding: readFile(routesPath), as: UTF8.self))
        write([swift], to: servicesOut)
        guard let handle = fopen(openAPIOut, "wb") else { fail("cannot write \(openAPIOut)") }
        let bytes = Array(document.utf8)
        if fwrite(bytes, 1, bytes.count, handle) != bytes.count { fail("short write to \(openAPIOut)") }
        fclose(handle)
        exit(0)
    }
    guard let messagesOut = options["--messages-out"], let servicesOut = options["--services-out"] else {
        fail("--messages-out and --services-out are required")
    }
    write(try generator.messageFiles(), to: messagesOut)
    write(try generator.serviceFiles(), to: servicesOut)
} catch {
    fail("\(error)")
}
