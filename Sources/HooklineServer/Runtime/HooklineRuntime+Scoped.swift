import HooklineCore
import Logging
import ServiceLifecycle

/// Runs a Hookline for the length of `body` and drains it afterwards, whatever `body` does:
/// the scoped lifetime tests, `hookline replay`, `redrive` and `demo` use instead of a stop call.
package func withRunningHookline<Result: Sendable>(
    _ configuration: HooklineConfiguration,
    options: HooklineRuntime.Options = HooklineRuntime.Options(),
    logger: Logger = Logger(label: "hookline", factory: { _ in SwiftLogNoOpLogHandler() }),
    _ body: (RunningHookline) async throws -> Result
) async throws -> Result {
    let (started, startedContinuation) = AsyncStream.makeStream(of: RunningHookline.self)
    let runtime = HooklineRuntime(configuration: configuration, options: options, logger: logger) { running in
        startedContinuation.yield(running)
        startedContinuation.finish()
    }
    let group = ServiceGroup(
        configuration: ServiceGroupConfiguration(services: [runtime], gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            defer { startedContinuation.finish() }
            try await group.run()
        }
        var iterator = started.makeAsyncIterator()
        guard let running = await iterator.next() else {
            // It stopped before it ran: the start failed, and the group says why.
            try await tasks.waitForAll()
            throw HooklineRuntime.StoppedBeforeRunning()
        }
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await body(running))
        } catch {
            result = .failure(error)
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}

extension HooklineRuntime {
    /// The runtime returned without starting and without an error (it was cancelled first).
    package struct StoppedBeforeRunning: Error, CustomStringConvertible {
        package var description: String { "Hookline stopped before it started" }
    }
}
