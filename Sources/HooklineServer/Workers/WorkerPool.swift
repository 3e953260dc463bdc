import HooklineCore

/// `count` workers taking jobs from the store until it stops handing them out; each finishes the job in hand.
/// They run on the apply threads (`ApplyThreads`), which yield to the listener's loops.
package struct WorkerPool: Sendable {
    let store: any Store
    let runner: JobRunner
    let count: Int
    let threads: ApplyThreads

    package init(store: any Store, runner: JobRunner, count: Int, threads: ApplyThreads) {
        self.store = store
        self.runner = runner
        self.count = count
        self.threads = threads
    }

    /// Runs the workers; returns once the store stops handing out jobs and every worker has finished its job.
    package func run() async {
        await withDiscardingTaskGroup { group in
            for index in 0..<count {
                group.addTask(executorPreference: threads.executor(for: index)) { [store, runner] in
                    while let job = await store.next() {
                        await runner.run(job)
                    }
                }
            }
        }
    }
}
