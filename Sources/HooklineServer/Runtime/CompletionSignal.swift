import Synchronization

/// A one-shot signal tasks can wait for; a waiting task that is cancelled stops waiting.
package final class CompletionSignal: Sendable {
    private struct State: Sendable {
        var done = false
        var waiters = Waiters()
    }

    private let state = Mutex(State())

    package init() {}

    package func signal() {
        let waiters = state.withLock { state in
            state.done = true
            return state.waiters.removeAll()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once signalled, or once the calling task is cancelled.
    package func wait() async {
        await state.wait(among: \.waiters) { $0.done }
    }
}
