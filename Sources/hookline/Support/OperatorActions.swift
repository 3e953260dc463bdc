import Foundation
import HooklineCore
import HooklineServer

/// Who an operator's action is written in the name of: `--by`, else the shell user.
func actingUser(_ by: String?) -> String {
    by ?? "shell:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")"
}

/// Carries out an operator's action on the Hookline that owns `configuration`'s audit log:
/// through its control socket when one runs (`socket`), else in-process with no workers, under
/// the log's lock (`inProcess`). Other failures are runtime failures (exit 1).
func onRunningOrInProcess<Result: Sendable>(
    _ configuration: HooklineConfiguration,
    socket: () async throws -> Result,
    inProcess: @escaping @Sendable (RunningHookline) async throws -> Result
) async throws -> Result {
    do {
        return try await socket()
    } catch is ControlClient.Unreachable {
        return try await withInProcessHookline(configuration, workers: false) { running in
            do {
                return try await inProcess(running)
            } catch let failure as CommandFailure {
                throw failure
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
        }
    } catch let failure as CommandFailure {
        throw failure
    } catch {
        throw CommandFailure.runtime("\(error)")
    }
}
