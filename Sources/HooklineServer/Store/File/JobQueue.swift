import DequeModule
import HooklineCore
import NIOCore
import Synchronization

/// The job queue shared by ingest (any event loop) and the workers (tasks): a `LaneQueue`
/// behind a lock, with waiting.
///
/// Workers wait without polling: an enqueue, a finished lane or a parked lane's deadline wakes
/// them. Deadlines are monotonic and scheduled on an event loop, so a retry waiting minutes holds no
/// thread and a step of the wall clock moves none of them.
package final class JobQueue: Sendable {
    private struct State: Sendable {
        var queue: LaneQueue
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
        var closed = false

        /// Resumes up to `count` waiting workers, if a job is runnable: a job that joined a busy
        /// lane gives a worker nothing to do, and waking one only to wait again is a thread
        /// switch and a new continuation per delivery. (Resuming only schedules the worker.)
        mutating func wake(_ count: Int) {
            guard !waiters.isEmpty, queue.hasRunnableJob(now: .now()) else { return }
            var woken = 0
            while woken < count, let waiter = waiters.popFirst() {
                waiter.resume()
                woken += 1
            }
        }
    }

    private let state: Mutex<State>
    private let timers: any EventLoop
    package let capacity: Int

    package init(capacity: Int, timers: any EventLoop) {
        self.state = Mutex(State(queue: LaneQueue(capacity: capacity)))
        self.timers = timers
        self.capacity = capacity
    }

    /// Jobs admitted and not finished (reservations included), and jobs waiting.
    package var occupancy: StoreOccupancy {
        state.withLock { StoreOccupancy(capacity: capacity, jobs: $0.queue.count, waiting: $0.queue.depth) }
    }
    /// Jobs admitted and not finished, reservations included.
    package var count: Int { state.withLock { $0.queue.count } }
    /// Jobs waiting (not in flight).
    package var depth: Int { state.withLock { $0.queue.depth } }
    /// Jobs being worked on.
    package var inFlight: Int { state.withLock { $0.queue.inFlight } }

    /// Claims room for `jobs` jobs, all or nothing.
    package func reserve(_ jobs: Int) -> Bool {
        state.withLock { $0.queue.reserve(jobs) }
    }

    package func cancelReservation(_ jobs: Int) {
        state.withLock { $0.queue.cancelReservation(jobs) }
    }

    /// The event whose thin fetch with this key has not started yet.
    package func waitingFetch(for key: String) -> String? {
        state.withLock { $0.queue.waitingFetch(for: key) }
    }

    /// Adds jobs into reserved room and wakes workers for them.
    package func enqueue(reserved jobs: [Job]) {
        state.withLock { state in
            for job in jobs { state.queue.enqueue(reserved: job) }
            state.wake(jobs.count)
        }
    }

    /// Adds recovered jobs regardless of capacity (nothing accepted may be dropped).
    package func enqueue(overCapacity jobs: [Job]) {
        state.withLock { state in
            for job in jobs { state.queue.enqueue(overCapacity: job) }
            state.wake(jobs.count)
        }
    }

    /// The next runnable job; waits for one. Nil once the queue is closed.
    package func next() async -> Job? {
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
    package func finish(_ job: Job) {
        state.withLock { state in
            state.queue.finish(job)
            state.wake(1)
        }
    }

    /// Holds the job (and its lane) until `until`.
    package func park(_ job: Job, until: MonotonicTime) {
        state.withLock { state in
            state.queue.park(job, until: until)
            // Another lane may have been waiting behind this worker.
            state.wake(1)
        }
        let delay = max(0, until.since(.now()).wholeNanoseconds)
        timers.scheduleTask(in: .nanoseconds(delay)) { [self] in self.wakeAll() }
    }

    /// Hands out none of `target`'s jobs until `resume`; false when it was paused already.
    package func pause(_ target: String) -> Bool {
        state.withLock { $0.queue.pause(target) }
    }

    /// Each target's unfinished jobs and when the oldest was received: the lanes are read a
    /// part at a time, each under the lock alone, so ingest never waits for the whole walk.
    package func waiting() -> [String: (jobs: Int, oldest: UnixTime)] {
        var waiting: [String: (jobs: Int, oldest: UnixTime)] = [:]
        for part in 0..<LaneQueue.parts {
            state.withLock { $0.queue.waiting(part: part, into: &waiting) }
        }
        return waiting
    }

    package func isPaused(_ target: String) -> Bool { state.withLock { $0.queue.pausedTargets.contains(target) } }

    /// Releases `target`'s jobs and wakes the workers for them; false when it was not paused.
    package func resume(_ target: String) -> Bool {
        let resumed = state.withLock { $0.queue.resume(target) }
        if resumed { wakeAll() }
        return resumed
    }

    /// Wakes every waiting worker with nil; later `next()` calls return nil at once.
    package func close() {
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
