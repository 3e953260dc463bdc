import HooklineCore

/// `count` workers taking jobs from the queue until it closes; each finishes the job in hand.
public struct WorkerPool: Sendable {
    let queue: WorkQueue
    let runner: JobRunner
    let count: Int

    public init(queue: WorkQueue, runner: JobRunner, count: Int) {
        self.queue = queue
        self.runner = runner
        self.count = count
    }

    /// Runs the workers; returns once the queue is closed and every worker has finished its job.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<count {
                group.addTask { [queue, runner] in
                    while let job = await queue.next() {
                        // Whichever pool thread runs a job yields to the listener's loops.
                        ThreadPriority.lowerCurrentThread()
                        await runner.run(job)
                    }
                }
            }
        }
    }
}
