import HooklineCore
import Synchronization

/// Wakes one waiting task, or the next one to wait: "there may be work". A signal with nobody
/// waiting is kept (once) for the next wait, so none is lost between a check and a wait. An
/// alarm (`signal(at:)`) ends the waits that would outlast it, with no task of its own.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        /// The earliest time something is due, for the waits to end at.
        var alarm: MonotonicTime?
        var next = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let key = state.waiters.keys.first { return state.waiters.removeValue(forKey: key) }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Something is due at `time` (a parked lane's turn): no wait lasts past it. A wait already
    /// under way is woken now when the alarm is earlier than any set before.
    func signal(at time: MonotonicTime) {
        let earlier = state.withLock { state -> Bool in
            guard state.alarm.map({ time < $0 }) ?? true else { return false }
            state.alarm = time
            return true
        }
        if earlier { signal() }
    }

    /// Returns when signalled, after `timeout` or at the alarm, whichever is first, or when the
    /// task is cancelled.
    func wait(timeout: Duration) async {
        let alarm = state.withLock { $0.alarm }
        let limit = alarm.map { min(timeout, max(.zero, $0.since(.now()))) } ?? timeout
        if limit > .zero {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.waitForSignal() }
                group.addTask { _ = await HooklineRuntime.sleep(for: limit) }
                await group.next()
                group.cancelAll()
            }
        }
        let now = MonotonicTime.now()
        state.withLock { state in
            if let alarm = state.alarm, alarm <= now { state.alarm = nil }
        }
    }

    private func waitForSignal() async {
        let id = state.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
