import NIOCore
import NIOPosix

/// The threads that apply events — Hookline's own, at a lower CPU priority than the listener's
/// loops (`ThreadPriority.applying`). Target calls run on their event loops, and each worker's
/// task runs on one of them as its `TaskExecutor`, so the shared concurrency pool (which the
/// listener's callers use too) is never reniced.
package final class ApplyThreads: Sendable {
    /// The event loops: AsyncHTTPClient's, for target calls.
    package let group: MultiThreadedEventLoopGroup
    private let executors: [LoopExecutor]

    package init(threads: Int) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.group = group
        self.executors = group.makeIterator().map(LoopExecutor.init)
        for executor in executors { executor.loop.execute { ThreadPriority.lowerCurrentThread() } }
    }

    /// The executor for worker `index`: workers are spread over the loops, each kept on one.
    package func executor(for index: Int) -> some TaskExecutor { executors[index % executors.count] }

    package func shutdown() async {
        do {
            try await group.shutdownGracefully()
        } catch {
            // Only a second shutdown throws; there is nothing left to stop.
            return
        }
    }
}
