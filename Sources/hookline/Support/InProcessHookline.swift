import HooklineCore
import HooklineServer

/// Runs a Hookline inside a CLI command (replay, redrive) for the length of `body`: the
/// configured targets, journal and routes, listening on a free loopback port only, its workers
/// applying what it queues (unless `workers` is false); drained when `body` returns. It judges
/// no alert rules: a command run from a shell pages no one (`hookline serve` does).
func withInProcessHookline<Result: Sendable>(
    _ configuration: HooklineConfiguration,
    workers: Bool = true,
    _ body: (RunningHookline) async throws -> Result
) async throws -> Result {
    var local = configuration
    local.server.host = "127.0.0.1"
    local.server.port = 0
    local.alerts = AlertSettings()
    do {
        return try await withRunningHookline(local, options: HooklineRuntime.Options(workers: workers), body)
    } catch let failure as CommandFailure {
        throw failure
    } catch {
        throw CommandFailure.runtime("Hookline in-process: \(error)")
    }
}
