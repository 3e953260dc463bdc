import HooklineCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `hookline serve` as a swift-service-lifecycle `Service`: runs until graceful shutdown
/// (SIGTERM/SIGINT through the `ServiceGroup`), then stops accepting and flushes the log.
public struct HooklineService: Service {
    public let configuration: HooklineConfiguration
    public let logger: Logger
    private let onStart: @Sendable (HooklineRuntime) -> Void

    public init(configuration: HooklineConfiguration, logger: Logger, onStart: @escaping @Sendable (HooklineRuntime) -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.onStart = onStart
    }

    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.server.eventLoops ?? System.coreCount)
        let runtime: HooklineRuntime
        do {
            runtime = try await HooklineRuntime.start(configuration: configuration, group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let recovery = runtime.recovery
        logger.info(
            "listening",
            metadata: [
                "address": "http://\(configuration.server.host):\(runtime.port)",
                "sources": .string(configuration.sources.map(\.name).joined(separator: ",")),
                "audit": .string(configuration.audit.path),
                "recovered_events": "\(recovery.recoveredEvents)",
                "log_lines": "\(recovery.lines)",
                "recovery_seconds": "\(Double(Int(recovery.seconds * 1000)) / 1000)",
            ])
        if recovery.unreadableLines > 0 || recovery.truncatedBytes > 0 {
            logger.warning(
                "the audit log had damaged lines",
                metadata: ["unreadable_lines": "\(recovery.unreadableLines)", "truncated_bytes": "\(recovery.truncatedBytes)"])
        }
        onStart(runtime)
        await withDiscardingTaskGroup { tasks in
            tasks.addTask { await runtime.run() }
            try? await gracefulShutdown()
            logger.info("shutting down")
            await runtime.stop()
        }
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }
}
