import Foundation

#if canImport(Glibc)
import Glibc
#endif

// The tests run in one process, on a cooperative pool of two threads (two cores). A test that
// blocks one of them — a child process's exit, a blocking read, a sleep — for seconds takes half
// of every other test's time with it, and Hookline runs in the process with timing promises (a
// 300 ms drain deadline once took 9.8 s while crash tests waited for their children's drains on
// the pool). Blocking work goes to a thread of its own.

/// Runs blocking work on a thread of its own; its result.
package func offThePool<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Runs blocking work that can fail on a thread of its own; its result.
package func offThePool<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
    }
}

extension Process {
    /// Waits for the child to exit (`waitUntilExit` blocks its thread, so not on the pool's);
    /// its exit status.
    @discardableResult
    package func exited() async -> Int32 {
        let process = UncheckedProcess(process: self)
        return await offThePool {
            process.process.waitUntilExit()
            return process.process.terminationStatus
        }
    }

    /// SIGTERM, and waits for the child's exit (a Hookline drains first); its exit status.
    package func terminated() async -> Int32 {
        if isRunning { terminate() }
        return await exited()
    }

    /// SIGKILL, and waits for the child to be gone.
    package func killed() async {
        killNow()
        await exited()
    }

    /// SIGKILL without waiting, for a `defer` that cannot: Foundation reaps the child.
    package func killNow() {
        if isRunning { kill(processIdentifier, SIGKILL) }
    }
}

/// A `Process` handed to the thread that waits for it; only that thread touches it meanwhile.
private struct UncheckedProcess: @unchecked Sendable {
    let process: Process
}
