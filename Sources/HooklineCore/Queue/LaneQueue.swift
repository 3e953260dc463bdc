import DequeModule

/// The bounded queue of jobs: FIFO within a lane (target × contact), lanes served in
/// turn so different contacts proceed in parallel, and a job waiting for a retry or a
/// rate-limit slot holds its lane — not a worker.
///
/// Not thread-safe by itself: the server wraps it in a lock. Time comes in as arguments.
package struct LaneQueue: Sendable {
    private struct Lane: Sendable {
        var jobs: Deque<Job> = []
        var busy = false
        var ready = false
        var blockedUntil: MonotonicTime?
        /// When the job in flight (the lane's oldest, while `busy`) was received.
        var inFlightReceived: UnixTime?
    }

    private struct Deadline: Sendable {
        var time: MonotonicTime
        var sequence: UInt64
        var lane: LaneKey
    }

    /// Jobs admitted and not yet finished (waiting, in flight or parked), plus reservations.
    package private(set) var count = 0
    package let capacity: Int
    /// Jobs being worked on right now.
    package private(set) var inFlight = 0

    /// Sharded: a backlog spread over a hundred thousand contacts is as many lanes, and growing
    /// one table that size paused every enqueue behind the queue's lock.
    private var lanes = ShardedDictionary<LaneKey, Lane>()
    private var readyLanes: Deque<LaneKey> = []
    private var deadlines = DeadlineHeap()
    private var sequence: UInt64 = 0
    /// Coalescing key → id of the event whose fetch has not started.
    private var waitingFetches: [String: String] = [:]
    /// Targets whose lanes hand out nothing until resumed; their jobs keep their places.
    package private(set) var pausedTargets: Set<String> = []

    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Jobs not in flight: waiting for a worker, a retry or a slot.
    package var depth: Int { count - inFlight }

    /// Claims room for `jobs` jobs, all or nothing. Ingest claims before journaling so a full
    /// queue is answered 503 before anything is written.
    package mutating func reserve(_ jobs: Int) -> Bool {
        guard jobs >= 0, count + jobs <= capacity else { return false }
        count += jobs
        return true
    }

    /// Gives back room reserved for jobs that will not be enqueued.
    package mutating func cancelReservation(_ jobs: Int) {
        count -= jobs
    }

    /// Adds a job into room claimed with `reserve`.
    package mutating func enqueue(reserved job: Job) {
        let key = job.lane
        // Mutated in place: copying a lane out and back would copy its whole deque on every append.
        lanes[key, default: Lane()].jobs.append(job)
        if let coalescing = job.coalescingKey, waitingFetches[coalescing] == nil {
            waitingFetches[coalescing] = job.event.id
        }
        markReadyIfRunnable(key)
    }

    /// Adds a job even past capacity: recovery re-queues every unfinished job, and new
    /// deliveries are refused until the queue drains below capacity again.
    package mutating func enqueue(overCapacity job: Job) {
        count += 1
        enqueue(reserved: job)
    }

    /// The event whose fetch for this coalescing key has not started, if any: a new thin
    /// message for the same contact adds nothing to it.
    package func waitingFetch(for coalescingKey: String) -> String? {
        waitingFetches[coalescingKey]
    }

    /// The next runnable job at `now`, or nil. Its lane stays busy until `finish` or `park`.
    package mutating func next(now: MonotonicTime) -> Job? {
        releaseDueLanes(now: now)
        while let key = readyLanes.popFirst() {
            guard lanes[key] != nil else { continue }
            lanes[key]?.ready = false
            // Paused since it became ready: it is made ready again on resume.
            guard !pausedTargets.contains(key.target) else { continue }
            guard lanes[key]?.busy == false, let job = lanes[key]?.jobs.popFirst() else { continue }
            lanes[key]?.busy = true
            lanes[key]?.inFlightReceived = job.event.receivedAt
            inFlight += 1
            if let coalescing = job.coalescingKey, waitingFetches[coalescing] == job.event.id {
                waitingFetches[coalescing] = nil
            }
            return job
        }
        return nil
    }

    /// The job reached a terminal outcome: its lane moves on.
    package mutating func finish(_ job: Job) {
        let key = job.lane
        guard lanes[key] != nil else { return }
        lanes[key]?.busy = false
        lanes[key]?.inFlightReceived = nil
        inFlight -= 1
        count -= 1
        if lanes[key]?.jobs.isEmpty == true && lanes[key]?.blockedUntil == nil {
            lanes[key] = nil
        } else {
            markReadyIfRunnable(key)
        }
    }

    /// Puts the job back at the head of its lane until `until` (a retry or a rate-limit slot);
    /// the lane's later jobs wait behind it.
    package mutating func park(_ job: Job, until: MonotonicTime) {
        let key = job.lane
        lanes[key, default: Lane()].jobs.prepend(job)
        lanes[key]?.busy = false
        lanes[key]?.inFlightReceived = nil
        lanes[key]?.blockedUntil = until
        inFlight -= 1
        sequence += 1
        deadlines.push(Deadline(time: until, sequence: sequence, lane: key))
    }

    /// Holds every lane of `target`: `next` hands out none of its jobs (a job in flight finishes)
    /// until `resume`. False when it was paused already.
    @discardableResult
    package mutating func pause(_ target: String) -> Bool {
        pausedTargets.insert(target).inserted
    }

    /// Releases `target`'s lanes, each at its head, in order. False when it was not paused.
    @discardableResult
    package mutating func resume(_ target: String) -> Bool {
        guard pausedTargets.remove(target) != nil else { return false }
        for key in lanes.keys where key.target == target { markReadyIfRunnable(key) }
        return true
    }

    /// Whether `next(now:)` may return a job (conservative: true can still yield nil).
    /// Parts the lanes are kept in: `oldestWaiting(part:into:)` reads one at a time.
    package static var parts: Int { ShardedDictionary<LaneKey, Lane>.shardCount }

    /// Adds to `waiting`, for each target with lanes in part `part`, its unfinished jobs and
    /// when the oldest was received (a lane's oldest is the job in flight, else its head).
    package func waiting(part: Int, into waiting: inout [String: (jobs: Int, oldest: UnixTime)]) {
        for (key, lane) in lanes.shard(part) {
            guard let received = lane.inFlightReceived ?? lane.jobs.first?.event.receivedAt else { continue }
            let jobs = lane.jobs.count + (lane.busy ? 1 : 0)
            if let known = waiting[key.target] {
                waiting[key.target] = (known.jobs + jobs, min(known.oldest, received))
            } else {
                waiting[key.target] = (jobs, received)
            }
        }
    }

    package func hasRunnableJob(now: MonotonicTime) -> Bool {
        !readyLanes.isEmpty || (deadlines.peek.map { $0.time <= now } ?? false)
    }

    /// When the earliest parked lane becomes runnable.
    package var nextDeadline: MonotonicTime? { deadlines.peek?.time }

    private mutating func releaseDueLanes(now: MonotonicTime) {
        while let first = deadlines.peek, first.time <= now {
            _ = deadlines.pop()
            guard lanes[first.lane]?.blockedUntil == first.time else { continue }
            lanes[first.lane]?.blockedUntil = nil
            markReadyIfRunnable(first.lane)
        }
    }

    private mutating func markReadyIfRunnable(_ key: LaneKey) {
        guard let lane = lanes[key], !lane.busy, !lane.ready, lane.blockedUntil == nil, !lane.jobs.isEmpty,
            !pausedTargets.contains(key.target)
        else { return }
        lanes[key]?.ready = true
        readyLanes.append(key)
    }

    /// A binary min-heap of lane deadlines, ties broken by insertion order.
    private struct DeadlineHeap: Sendable {
        private var items: [Deadline] = []

        var peek: Deadline? { items.first }

        mutating func push(_ item: Deadline) {
            items.append(item)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard precedes(items[child], items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> Deadline? {
            guard !items.isEmpty else { return nil }
            items.swapAt(0, items.count - 1)
            let top = items.removeLast()
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count, precedes(items[left], items[smallest]) { smallest = left }
                if right < items.count, precedes(items[right], items[smallest]) { smallest = right }
                guard smallest != parent else { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
            return top
        }

        private func precedes(_ a: Deadline, _ b: Deadline) -> Bool {
            a.time < b.time || (a.time == b.time && a.sequence < b.sequence)
        }
    }
}
