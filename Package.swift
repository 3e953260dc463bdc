// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "hookline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hookline", targets: ["hookline"]),
        .library(name: "HooklineCore", targets: ["HooklineCore"]),
        .library(name: "HooklineServer", targets: ["HooklineServer"]),
        .library(name: "HooklineSandbox", targets: ["HooklineSandbox"]),
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
            ]
        ),
        .target(
            name: "HooklineSandbox",
            dependencies: [
                "HooklineCore",
                "HooklineServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hookline",
            dependencies: [
                "HooklineCore",
                "HooklineServer",
                "HooklineSandbox",
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
                "HooklineSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/Sources/hookline-bench"
        ),
        .testTarget(
            name: "HooklineCoreTests",
            dependencies: ["HooklineCore"],
            exclude: ["Seeds"]
        ),
        // Raw sockets for the tests that send what HTTP clients refuse to.
        .target(name: "HooklineTestSupport", path: "Tests/HooklineTestSupport"),
        .testTarget(
            name: "HooklineCLITests",
            dependencies: [
                "hookline", "HooklineCore", "HooklineServer", "HooklineSandbox", "HooklineTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "HooklineServerTests",
            dependencies: [
                "HooklineCore", "HooklineTestSupport",
                "HooklineServer",
                "HooklineSandbox",
                .product(name: "NIOCore", package: "swift-nio"),
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
