// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "hookline",
    // Linux: Hookline's system layer (Glibc, fdatasync, flock) is written for it.
    products: [
        .executable(name: "hookline", targets: ["hookline"]),
    ],
    traits: [
        // Benchmarks/floors.sh only: HOOKLINE_FLOOR stops a delivery after a chosen step
        // (MeasuredFloor.swift). Off in every other build, where it costs nothing.
        .trait(name: "MeasuredFloors", description: "Read HOOKLINE_FLOOR: answer deliveries early, for Benchmarks/floors.sh"),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Already resolved through swift-nio; its FileDescriptor is Hookline's file layer.
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        // The shared store for several Hooklines (store: {kind: postgres}); its TLS is swift-nio-ssl's,
        // already resolved through async-http-client.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Counts allocations for the ingest path's budget (hookline-allocations, preloaded).
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
        // Traces (tracing: in the configuration): the API, and OpenTelemetry's exporter over
        // OTLP/HTTP only — the gRPC trait would add grpc-swift and about twice the build.
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "HooklineCore",
            dependencies: [
                "COpenSSL",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "HooklineServer",
            dependencies: [
                "HooklineCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ]
        ),
        // The web console: pages and a JSON API over a running Hookline, on a listener of its own.
        .target(
            name: "HooklineConsole",
            dependencies: [
                "HooklineCore",
                "HooklineServer",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The sandbox CRMs speak the three APIs on their own; they know nothing of the server.
        .target(
            name: "HooklineSandbox",
            dependencies: [
                "HooklineCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // What the CLI and the tests drive Hookline with: replay files, fixtures, the dry run,
        // signed delivery, tables, the demo.
        .target(
            name: "HooklineTools",
            dependencies: [
                "HooklineCore",
                "HooklineServer",
                "HooklineSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "hookline",
            dependencies: [
                "HooklineCore",
                "HooklineServer",
                "HooklineConsole",
                "HooklineSandbox",
                "HooklineTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "hookline-bench",
            dependencies: [
                "HooklineCore",
                "HooklineServer",
                "HooklineConsole",
                "HooklineSandbox",
                "HooklineTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/Sources/hookline-bench"
        ),
        // Allocations per accepted webhook, bytes in to the journal write (run with the
        // interposer preloaded); HooklineCLITests holds it to a budget.
        .executableTarget(
            name: "hookline-allocations",
            dependencies: [
                "HooklineCore",
                "HooklineServer",
                "HooklineSandbox",
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Benchmarks/Sources/hookline-allocations"
        ),
        .testTarget(
            name: "HooklineCoreTests",
            dependencies: ["HooklineCore"],
            exclude: ["Seeds", "JSONTestSuite"]
        ),
        // What the test targets share: a scoped Hookline, the HTTP helper, `eventually`, the
        // audit log's ledger, raw sockets for what HTTP clients refuse to send.
        .target(
            name: "HooklineTestSupport",
            dependencies: [
                "HooklineCore", "HooklineServer", "HooklineSandbox", "HooklineTools",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/HooklineTestSupport"
        ),
        .testTarget(
            name: "HooklineCLITests",
            dependencies: [
                "hookline", "hookline-allocations", "HooklineCore", "HooklineServer", "HooklineSandbox", "HooklineTools", "HooklineTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "HooklineServerTests",
            dependencies: [
                "HooklineCore", "HooklineTestSupport", "HooklineServer", "HooklineSandbox", "HooklineTools", "HooklineConsole",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets, built only for Fuzz/run.sh (which sets HOOKLINE_FUZZ and the sanitizer flags):
// the executable has no main of its own, libFuzzer's is linked in.
if Context.environment["HOOKLINE_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(name: "hookline-fuzz", dependencies: ["HooklineCore"], path: "Fuzz/Sources/hookline-fuzz"))
}

// Our own targets: strict Swift 6, and a warning is a build failure.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.treatAllWarnings(as: .error))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
