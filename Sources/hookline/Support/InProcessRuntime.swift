import HooklineCore
import HooklineServer

/// A Hookline started inside a CLI command (replay, redrive): the configured targets, audit log
/// and routes, but listening on a free loopback port only, with its workers running.
struct InProcessRuntime {
    let runtime: HooklineRuntime
    let workers: Task<Void, Never>

    static func start(_ configuration: HooklineConfiguration) async throws(CommandFailure) -> InProcessRuntime {
        var local = configuration
        local.server.host = "127.0.0.1"
        local.server.port = 0
        let runtime: HooklineRuntime
        do {
            runtime = try await HooklineRuntime.start(configuration: local)
        } catch {
            throw CommandFailure.runtime("could not start Hookline in-process: \(error)")
        }
        return InProcessRuntime(runtime: runtime, workers: Task { await runtime.run() })
    }
}
