// swift-tools-version:6.0
// The layers of ../shared/ARCHITECTURE.md, bottom to top. A target may depend only on targets
// listed above it in this file.
import PackageDescription

/// The request path's modules skip run-time exclusivity checks in release builds: they cost
/// about 4% of a call (a thread-local lookup per class property access), their state is confined
/// to one loop thread by design, and debug builds, which run every test, keep the checks on.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "xsc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "xsc-interop-server", targets: ["InteropServer"]),
        .executable(name: "xsc-interop-client", targets: ["InteropClient"]),
        .executable(name: "xsc-bench-server", targets: ["BenchServer"]),
        .executable(name: "xsc-orders-bench", targets: ["OrdersBench"]),
        .executable(name: "xsc-codegen", targets: ["CodeGenTool"]),
        .executable(name: "xsc-gateway", targets: ["GatewayServer"]),
        .executable(name: "xsc-orders", targets: ["OrdersServer"]),
        .executable(name: "xsc-customers", targets: ["CustomersServer"]),
        .executable(name: "xsc-proposals", targets: ["ProposalsServer"]),
        .executable(name: "xsc-notifications", targets: ["NotificationsServer"]),
        .executable(name: "xsc-settlements", targets: ["SettlementsServer"]),
        .executable(name: "xsc-campaigns", targets: ["CampaignsServer"]),
        .executable(name: "xsc", targets: ["XscCLI"]),
        .executable(name: "xsc-load", targets: ["LoadTool"]),
    ],
    dependencies: [
        // HMAC-SHA256 for the signed actor context (ServiceKit).
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        // Command-line parsing for the tools (xsc, xsc-load): subcommands, help, shell completion.
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        // Latency percentiles for xsc-load.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", exact: "0.2.0"),
    ],
    targets: [
        // 1. C shims: module map + shim header only, and the protoc-c output.
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2",
                       providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // TLS for outgoing HTTPS (the SMS gateway): the system OpenSSL.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CXSCProto", linkerSettings: [.linkedLibrary("protobuf-c")]),
        // PDFs (printed settlement statements): cairo + Pango.
        .systemLibrary(name: "CCairo", pkgConfig: "pangocairo", providers: [.apt(["libcairo2-dev", "libpango1.0-dev"])]),

        // 2. Safe wrappers: the only importers of the C modules.
        .target(name: "PDF", dependencies: ["CCairo"]),
        .target(name: "HTTP2", dependencies: ["CNGHTTP2"], swiftSettings: hotPath),
        // epoll event loops (also the task executor handlers run on) and POSIX sockets.
        .target(name: "NetIO", dependencies: ["CLinux"], swiftSettings: hotPath),
        .target(name: "LibPQ", dependencies: ["CLibPQ"]),
        // A TLS client session over memory buffers: the caller moves the bytes on its socket.
        .target(name: "TLS", dependencies: ["COpenSSL"]),
        .target(name: "ProtoCodec", dependencies: ["CXSCProto"], swiftSettings: hotPath),
        // Generated message value types and their protobuf-c conversions (touches C structs,
        // so it lives with the wrappers).
        .target(name: "Messages", dependencies: ["ProtoCodec", "CXSCProto"], swiftSettings: hotPath),

        // 3. Runtime.
        .target(name: "RPC", dependencies: ["HTTP2", "NetIO", "TLS", "ProtoCodec", "Messages"], swiftSettings: hotPath),
        .target(name: "Postgres", dependencies: ["LibPQ", "NetIO"]),
        .target(name: "CodeGen"),
        // HTTP/1.1 client requests over a socket, optionally TLS (the SMS gateway provider).
        .target(name: "HTTPClient", dependencies: ["NetIO", "TLS"]),

        // 4. Generated API: service handler protocols and typed clients.
        .target(name: "ServiceAPI", dependencies: ["RPC", "Messages", "ProtoCodec"]),

        // 5. ServiceKit: config, logs, metrics, admin listener, actor context, shutdown.
        .target(name: "ServiceKit", dependencies: [
            "RPC", "NetIO", "ProtoCodec", "Messages", "HTTPClient", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // 5. The shared domain kit, beside ServiceKit: the business rules more than one service
        // needs (mainland phone numbers, error building, money in fen, business weeks, text
        // people type), written once.
        .target(name: "DomainKit", dependencies: ["RPC", "Messages", "ProtoCodec"]),

        // ServiceKitStore: the platform's state in the service's own schema (idempotency keys,
        // outbox + relay, processed events, durable timers); its workers are ServiceKit's
        // BackgroundWorkers.
        .target(name: "ServiceKitStore", dependencies: ["ServiceKit", "DomainKit", "Postgres", "RPC", "ProtoCodec", "Messages"]),

        // 5/6. ServiceHost: turns a service name, its migrations and its handlers into a running
        // process (config, database pool, migrations, server, admin listener, workers).
        .target(name: "ServiceHost", dependencies: ["ServiceKit", "ServiceKitStore", "Postgres", "RPC", "TLS"]),

        // 6. Domain modules.
        .target(name: "Interop", dependencies: ["ServiceAPI", "RPC", "Messages"]),
        // Gateway: identity (org tree, accounts, sessions, partner keys; scrypt from _CryptoExtras) and the proxy.
        .target(name: "Gateway", dependencies: [
            "DomainKit", "ServiceKit", "ServiceKitStore", "ServiceHost", "ServiceAPI", "Postgres", "RPC", "Messages",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        .target(name: "Notifications", dependencies: [
            "DomainKit", "ServiceAPI", "ServiceKit", "ServiceKitStore", "ServiceHost", "Postgres", "RPC", "Messages", "HTTPClient",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Orders", dependencies: ["DomainKit", "ServiceKit", "ServiceKitStore", "ServiceHost", "ServiceAPI", "Postgres", "RPC", "Messages"]),
        .target(name: "Proposals", dependencies: ["DomainKit", "ServiceKit", "ServiceKitStore", "ServiceHost", "ServiceAPI", "Postgres", "RPC", "Messages"]),
        .target(name: "Settlements", dependencies: ["PDF", "DomainKit", "ServiceKit", "ServiceKitStore", "ServiceHost", "ServiceAPI", "Postgres", "RPC", "Messages"]),
        .target(name: "Campaigns", dependencies: ["DomainKit", "ServiceKit", "ServiceKitStore", "ServiceHost", "ServiceAPI", "Postgres", "RPC", "Messages"]),

        // 7. Executables.
        .executableTarget(name: "InteropServer", dependencies: ["Interop", "RPC"]),
        .executableTarget(name: "InteropClient", dependencies: ["ServiceAPI", "RPC", "Messages"]),
        .executableTarget(name: "BenchServer", dependencies: ["ServiceAPI", "RPC", "Messages", "TLS"]),
        // The SubmitOrder load generator of bench/orders.sh.
        .executableTarget(name: "OrdersBench", dependencies: ["ServiceAPI", "RPC", "Messages", "NetIO", "ProtoCodec"]),
        .executableTarget(name: "CodeGenTool", dependencies: ["CodeGen"]),
        .executableTarget(name: "GatewayServer", dependencies: ["ServiceHost", "Gateway", "ServiceKit", "RPC", "Messages"]),
        .executableTarget(name: "OrdersServer", dependencies: ["ServiceHost", "Orders"]),
        .target(name: "Customers", dependencies: ["DomainKit", "ServiceKit", "ServiceKitStore", "ServiceHost", "ServiceAPI", "Postgres", "RPC", "Messages"]),
        .executableTarget(name: "CustomersServer", dependencies: ["ServiceHost", "Customers"]),
        .executableTarget(name: "ProposalsServer", dependencies: ["ServiceHost", "Proposals"]),
        .executableTarget(name: "NotificationsServer", dependencies: ["ServiceHost", "Notifications", "ServiceKit", "ServiceKitStore", "RPC"]),
        .executableTarget(name: "SettlementsServer", dependencies: ["ServiceHost", "Settlements"]),
        .executableTarget(name: "CampaignsServer", dependencies: ["ServiceHost", "Campaigns"]),
        .executableTarget(name: "XscCLI", dependencies: [
            "ServiceKit", "ServiceKitStore", "ServiceAPI", "Postgres", "RPC", "Messages",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The load generator: one service directly (minted actor) or through the gateway, open or
        // closed loop, the scenarios of services/<name>/loadtest/.
        .executableTarget(name: "LoadTool", dependencies: [
            "ServiceKit", "ServiceAPI", "RPC", "Messages", "NetIO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),

        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2"]),
        // The CLI's pure parts: display widths, tables, JSON, times, error statuses.
        .testTarget(name: "XscCLITests", dependencies: ["XscCLI", "RPC", "Messages"]),
        .testTarget(name: "DomainKitTests", dependencies: ["DomainKit", "RPC", "Messages"]),
        .testTarget(name: "NetIOTests", dependencies: ["NetIO"]),
        .testTarget(name: "ProtoCodecTests", dependencies: ["ProtoCodec", "Messages"]),
        .testTarget(name: "CodeGenTests", dependencies: ["CodeGen"]),
        .testTarget(name: "RPCTests", dependencies: ["RPC", "ServiceAPI", "Messages", "Interop", "TLS", "XSCTestSupport"]),
        // Helpers shared by the test targets that need a real PostgreSQL.
        // ServiceKitStore: its platform migrations, for the fresh-schema fixture (ServiceDatabase).
        .target(name: "XSCTestSupport", dependencies: ["Postgres", "LibPQ", "ServiceKitStore"], path: "Tests/TestSupport"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "LibPQ", "NetIO", "XSCTestSupport"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "NetIO"]),
        .testTarget(name: "ServiceKitTests", dependencies: ["ServiceKit", "RPC", "NetIO", "Messages", "TLS", "XSCTestSupport"]),
        .testTarget(name: "ServiceKitStoreTests", dependencies: ["XSCTestSupport", "ServiceKitStore", "ServiceKit", "Postgres", "LibPQ", "RPC", "ProtoCodec"]),
        .testTarget(name: "NotificationsTests", dependencies: [
            "XSCTestSupport",
            "Notifications", "HTTPClient", "DomainKit", "ServiceKit", "ServiceKitStore", "Postgres", "LibPQ", "RPC", "ServiceAPI", "Messages", "NetIO", "ProtoCodec",
        ]),
        .testTarget(name: "CustomersTests", dependencies: ["Customers", "DomainKit", "XSCTestSupport", "ServiceKitStore", "ServiceKit", "Postgres", "RPC", "Messages", "ProtoCodec"]),
        .testTarget(name: "OrdersTests", dependencies: ["Orders", "XSCTestSupport", "ServiceKitStore", "ServiceKit", "Postgres", "RPC", "Messages", "ProtoCodec"]),
        .testTarget(name: "ProposalsTests", dependencies: ["Proposals", "Notifications", "XSCTestSupport", "ServiceKitStore", "ServiceKit", "Postgres", "RPC", "Messages", "ProtoCodec"]),
        .testTarget(name: "SettlementsTests", dependencies: ["Settlements", "DomainKit", "XSCTestSupport", "ServiceKitStore", "ServiceKit", "Postgres", "RPC", "Messages"]),
        .testTarget(name: "CampaignsTests", dependencies: ["Campaigns", "DomainKit", "XSCTestSupport", "ServiceKitStore", "ServiceKit", "Postgres", "RPC", "Messages"]),
        .testTarget(name: "ServiceHostTests", dependencies: ["ServiceHost", "XSCTestSupport", "ServiceKit", "ServiceKitStore", "Postgres", "LibPQ", "RPC", "ServiceAPI", "Messages"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "DomainKit", "ServiceKit", "ServiceKitStore", "Postgres", "RPC", "Messages",
                                                         "XSCTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
