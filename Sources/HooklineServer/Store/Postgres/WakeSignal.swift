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
        var waiters = Waiters()
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> Waiters.Continuation? in
            if let waiter = state.waiters.popAny() { return waiter }
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
        await state.wait(among: \.waiters) { state in
            // A signal kept for the next wait is taken here.
            defer { state.pending = false }
            return state.pending
        }
    }
}
