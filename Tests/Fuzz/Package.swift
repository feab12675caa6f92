// swift-tools-version:6.0
// libFuzzer targets for the parsers that read untrusted bytes (issue 16). The modules under test
// are the repository's own sources, linked in through symlinks (Sources/<Module> ->
// ../../../Sources/<Module>) so that they are compiled with -sanitize=fuzzer,address like the
// harnesses; build.sh builds, run.sh runs each target for a bounded time on the committed seeds.
import PackageDescription

let package = Package(
    name: "xsc-fuzz",
    platforms: [.macOS(.v15)],
    targets: [
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2"),
        .systemLibrary(name: "CLinux"),
        .target(name: "CXSCProto", linkerSettings: [.linkedLibrary("protobuf-c")]),
        .target(name: "HTTP2", dependencies: ["CNGHTTP2"]),
        .target(name: "NetIO", dependencies: ["CLinux"]),
        .target(name: "ProtoCodec", dependencies: ["CXSCProto"]),
        .target(name: "Messages", dependencies: ["ProtoCodec", "CXSCProto"]),
        .target(name: "RPC", dependencies: ["HTTP2", "NetIO", "ProtoCodec", "Messages"]),
        // ServiceKit's admin HTTP/1.1 head parser alone (the rest of ServiceKit needs swift-crypto).
        .target(name: "AdminHTTP"),
        .executableTarget(name: "FuzzDeframer", dependencies: ["RPC"]),
        .executableTarget(name: "FuzzMessages", dependencies: ["Messages", "ProtoCodec"]),
        .executableTarget(name: "FuzzHeaders", dependencies: ["RPC", "HTTP2"]),
        .executableTarget(name: "FuzzAdminHTTP", dependencies: ["AdminHTTP"]),
    ],
    swiftLanguageModes: [.v5]
)
