import Synchronization

/// Tasks suspended until someone says go, each under a key so that its own cancellation can
/// take it out. Kept inside a `Mutex`'s state, next to what the tasks wait for.
struct Waiters {
    private var next = 0
    private var waiting: [Int: CheckedContinuation<Void, Never>] = [:]

    /// Takes any one waiter out, to be resumed outside the lock.
    mutating func popAny() -> CheckedContinuation<Void, Never>? {
        guard let key = waiting.keys.first else { return nil }
        return waiting.removeValue(forKey: key)
    }

    /// Takes every waiter out, to be resumed outside the lock.
    mutating func removeAll() -> [CheckedContinuation<Void, Never>] {
        defer { waiting.removeAll() }
        return Array(waiting.values)
    }

    fileprivate mutating func add(_ continuation: CheckedContinuation<Void, Never>) -> Int {
        next += 1
        waiting[next] = continuation
        return next
    }

    fileprivate mutating func remove(_ key: Int) -> CheckedContinuation<Void, Never>? { waiting.removeValue(forKey: key) }
}

extension Mutex {
    /// Suspends among the `waiters` in this state until one pops it, unless `goNow` (asked under
    /// the lock) says not to wait; returns at once when the task is cancelled, before or during.
    func wait(among waiters: any WritableKeyPath<Value, Waiters> & Sendable, unless goNow: (inout Value) -> Bool) async {
        let key = Mutex<Int?>(nil)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = withLock { state -> Bool in
                    if goNow(&state) || Task.isCancelled { return true }
                    key.withLock { $0 = state[keyPath: waiters].add(continuation) }
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            withLock { state in key.withLock { $0 }.flatMap { state[keyPath: waiters].remove($0) } }?.resume()
        }
    }
}
