import NIOCore
import NIOPosix
import Synchronization

/// The threads that apply events — Hookline's own, at a lower CPU priority than the listener's
/// loops (`ThreadPriority.applying`). Target calls run on their event loops, and the workers'
/// tasks run on them as a `TaskExecutor`, so the shared concurrency pool (which the listener's
/// callers use too) is never reniced.
package final class ApplyThreads: TaskExecutor, Sendable {
    /// The event loops: AsyncHTTPClient's, for target calls.
    package let group: MultiThreadedEventLoopGroup
    private let loops: [any EventLoop]
    private let next = Atomic<Int>(0)

    package init(threads: Int) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.group = group
        self.loops = Array(group.makeIterator())
        for loop in loops { loop.execute { ThreadPriority.lowerCurrentThread() } }
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        let executor = asUnownedTaskExecutor()
        loops[index % loops.count].execute { job.runSynchronously(on: executor) }
    }

    package func shutdown() async {
        do {
            try await group.shutdownGracefully()
        } catch {
            // Only a second shutdown throws; there is nothing left to stop.
            return
        }
    }
}
