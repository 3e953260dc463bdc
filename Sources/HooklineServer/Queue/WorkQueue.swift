import DequeModule
import HooklineCore
import NIOCore
import Synchronization

/// The job queue shared by ingest (any event loop) and the workers (tasks).
///
/// Workers wait without polling: an enqueue, a finished lane or a parked lane's deadline wakes
/// them. Deadlines are scheduled on an event loop, so a retry waiting minutes holds no thread.
public final class WorkQueue: Sendable {
    private struct State: Sendable {
        var queue: JobQueue
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
        var closed = false

        mutating func takeWaiters(_ count: Int) -> [CheckedContinuation<Void, Never>] {
            var taken: [CheckedContinuation<Void, Never>] = []
            while taken.count < count, let waiter = waiters.popFirst() { taken.append(waiter) }
            return taken
        }
    }

    private let state: Mutex<State>
    private let timers: any EventLoop
    public let capacity: Int

    public init(capacity: Int, timers: any EventLoop) {
        self.state = Mutex(State(queue: JobQueue(capacity: capacity)))
        self.timers = timers
        self.capacity = capacity
    }

    /// Jobs admitted and not finished, reservations included.
    public var count: Int { state.withLock { $0.queue.count } }
    /// Jobs waiting (not in flight).
    public var depth: Int { state.withLock { $0.queue.depth } }
    /// Jobs being worked on.
    public var inFlight: Int { state.withLock { $0.queue.inFlight } }

    /// Claims room for `jobs` jobs, all or nothing.
    public func reserve(_ jobs: Int) -> Bool {
        state.withLock { $0.queue.reserve(jobs) }
    }

    public func cancelReservation(_ jobs: Int) {
        state.withLock { $0.queue.cancelReservation(jobs) }
    }

    /// The event whose thin fetch with this key has not started yet.
    public func waitingFetch(for key: String) -> String? {
        state.withLock { $0.queue.waitingFetch(for: key) }
    }

    /// Adds jobs into reserved room and wakes workers for them.
    public func enqueue(reserved jobs: [Job]) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            for job in jobs { state.queue.enqueue(reserved: job) }
            return state.takeWaiters(jobs.count)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Adds recovered jobs regardless of capacity (nothing accepted may be dropped).
    public func enqueue(overCapacity jobs: [Job]) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            for job in jobs { state.queue.enqueue(overCapacity: job) }
            return state.takeWaiters(jobs.count)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Adds jobs if there is room for all of them.
    public func enqueue(_ jobs: [Job]) -> Bool {
        guard reserve(jobs.count) else { return false }
        enqueue(reserved: jobs)
        return true
    }

    /// The next runnable job; waits for one. Nil once the queue is closed.
    public func next() async -> Job? {
        while true {
            let taken = state.withLock { state -> (job: Job?, closed: Bool) in
                if state.closed { return (nil, true) }
                return (state.queue.next(now: .now()), false)
            }
            if taken.closed { return nil }
            if let job = taken.job { return job }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.closed || state.queue.hasRunnableJob(now: .now()) { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// The job reached a terminal outcome.
    public func finish(_ job: Job) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.queue.finish(job)
            return state.takeWaiters(1)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Holds the job (and its lane) until `until`.
    public func park(_ job: Job, until: UnixTime) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.queue.park(job, until: until)
            // Another lane may have been waiting behind this worker.
            return state.takeWaiters(1)
        }
        for waiter in woken { waiter.resume() }
        let delay = max(0, until.since(.now()).wholeMilliseconds)
        timers.scheduleTask(in: .milliseconds(delay)) { [self] in self.wakeAll() }
    }

    /// Jobs not yet taken by a worker (for the shutdown record).
    public var waitingJobs: [Job] { state.withLock { $0.queue.waitingJobs } }

    /// Wakes every waiting worker with nil; later `next()` calls return nil at once.
    public func close() {
        let woken = state.withLock { state -> Deque<CheckedContinuation<Void, Never>> in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in woken { waiter.resume() }
    }

    private func wakeAll() {
        let woken = state.withLock { state -> Deque<CheckedContinuation<Void, Never>> in
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in woken { waiter.resume() }
    }
}
