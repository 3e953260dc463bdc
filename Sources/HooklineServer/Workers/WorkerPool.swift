import HooklineCore

/// `count` workers taking jobs from the queue until it closes; each finishes the job in hand.
/// They run on the apply threads (`ApplyThreads`), which yield to the listener's loops.
package struct WorkerPool: Sendable {
    let queue: any JobBoard
    let runner: JobRunner
    let count: Int
    let threads: ApplyThreads

    package init(queue: any JobBoard, runner: JobRunner, count: Int, threads: ApplyThreads) {
        self.queue = queue
        self.runner = runner
        self.count = count
        self.threads = threads
    }

    /// Runs the workers; returns once the queue is closed and every worker has finished its job.
    package func run() async {
        await withDiscardingTaskGroup { group in
            for index in 0..<count {
                group.addTask(executorPreference: threads.executor(for: index)) { [queue, runner] in
                    while let job = await queue.next() {
                        await runner.run(job)
                    }
                }
            }
        }
    }
}
