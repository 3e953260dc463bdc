import Synchronization

/// Tasks suspended until someone says go, each under a key so that its own cancellation can
/// take it out. Kept inside a `Mutex`'s state, next to what the tasks wait for.
///
/// The continuations are unsafe ones: each is resumed exactly once, by whoever takes it out of
/// this table under the lock (`popAny`, `removeAll`, or its own cancellation), and a checked
/// continuation costs an allocation per wait on the audit writer's path.
struct Waiters {
    typealias Continuation = UnsafeContinuation<Void, Never>

    private var next = 0
    private var waiting: [Int: Continuation] = [:]

    /// Takes any one waiter out, to be resumed outside the lock.
    mutating func popAny() -> Continuation? {
        guard let key = waiting.keys.first else { return nil }
        return waiting.removeValue(forKey: key)
    }

    /// Takes every waiter out, to be resumed outside the lock.
    mutating func removeAll() -> [Continuation] {
        defer { waiting.removeAll() }
        return Array(waiting.values)
    }

    /// A key for a waiter about to suspend.
    fileprivate mutating func newKey() -> Int {
        next += 1
        return next
    }

    fileprivate mutating func add(_ continuation: Continuation, key: Int) { waiting[key] = continuation }

    fileprivate mutating func remove(_ key: Int) -> Continuation? { waiting.removeValue(forKey: key) }
}

extension Mutex {
    /// Suspends among the `waiters` in this state until one pops it, unless `goNow` (asked under
    /// the lock) says not to wait; returns at once when the task is cancelled, before or during.
    /// A caller in a generic type passes a key path it made once: a key path literal there is
    /// instantiated, and allocated, on every call.
    func wait(among waiters: any WritableKeyPath<Value, Waiters> & Sendable, unless goNow: (inout Value) -> Bool) async {
        // The key is taken first, so that a cancellation racing the suspension finds it.
        let key = withLock { $0[keyPath: waiters].newKey() }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: Waiters.Continuation) in
                let resumeNow = withLock { state -> Bool in
                    if goNow(&state) || Task.isCancelled { return true }
                    state[keyPath: waiters].add(continuation, key: key)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            withLock { $0[keyPath: waiters].remove(key) }?.resume()
        }
    }
}
