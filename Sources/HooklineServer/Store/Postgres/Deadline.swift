import NIOCore
import NIOPosix
import Synchronization

/// Runs `body` in a task of its own and answers by `timeout` either way: the pool waits for a
/// connection as long as the database is away, and a sender must not wait with it. The body is
/// cancelled when the time is up (or the caller is); what it still returns then is dropped.
/// The body's task is unstructured on purpose: a task group would wait for a body that does not
/// heed its cancellation (a query on a connection the database stopped answering), which is the
/// very wait the deadline exists to cut. The timer is a task scheduled on `timers` (postgres-nio
/// runs on the same loops), not a second task.
package func withDeadline<Value: Sendable>(
    _ timeout: Duration, timers: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(),
    _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = DeadlineRace<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            race.answer.withLock { $0 = continuation }
            let work = Task {
                let result: Result<Value, any Error>
                do {
                    result = .success(try await body())
                } catch {
                    result = .failure(error)
                }
                race.resume(result)
                race.tasks.withLock { $0.timer }?.cancel()
            }
            let timer = timers.scheduleTask(in: .nanoseconds(timeout.wholeNanoseconds)) {
                race.resume(.failure(DeadlinePassed(timeout: timeout)))
                work.cancel()
            }
            race.tasks.withLock { $0 = (work, timer) }
            // Answered before the timer was kept: stop it here.
            if race.answer.withLock({ $0 == nil }) { timer.cancel() }
            // Cancelled before the tasks were kept (the handler found none to cancel).
            if Task.isCancelled {
                race.resume(.failure(CancellationError()))
                work.cancel()
                timer.cancel()
            }
        }
    } onCancel: {
        race.resume(.failure(CancellationError()))
        let (work, timer) = race.tasks.withLock { $0 }
        work?.cancel()
        timer?.cancel()
    }
}

/// Whoever answers first — the body, the timer or a cancellation — resumes the caller.
private final class DeadlineRace<Value: Sendable>: Sendable {
    let answer = Mutex<CheckedContinuation<Value, any Error>?>(nil)
    let tasks = Mutex<(work: Task<Void, Never>?, timer: Scheduled<Void>?)>((nil, nil))

    func resume(_ result: Result<Value, any Error>) {
        answer.withLock { continuation in
            defer { continuation = nil }
            return continuation
        }?.resume(with: result)
    }
}

/// The database did not answer in time.
package struct DeadlinePassed: Error, CustomStringConvertible {
    package let timeout: Duration
    package var description: String { "no answer from the database within \(timeout.configurationText)" }
}
