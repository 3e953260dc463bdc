import NIOCore

/// An event loop as the two kinds of executor Hookline hands work to: a `TaskExecutor` (a
/// worker's jobs, the audit writer's commits run on it between suspensions) and a
/// `CompletionExecutor` (the store runs an accept's completion on the accepting connection's
/// loop), so the store knows no NIO.
final class LoopExecutor: TaskExecutor, CompletionExecutor, Sendable {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(job)
    }

    func execute(_ work: @escaping @Sendable () -> Void) { loop.execute(work) }

    /// One executor for each loop of a group, found by its loop: made when the listener binds,
    /// so the completions of one commit for one loop share a hop.
    struct Table: Sendable {
        private let executors: [ObjectIdentifier: LoopExecutor]

        init(_ group: any EventLoopGroup) {
            var executors: [ObjectIdentifier: LoopExecutor] = [:]
            for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = LoopExecutor(loop) }
            self.executors = executors
        }

        /// The executor of `loop` (a loop outside the group gets one of its own).
        subscript(_ loop: any EventLoop) -> LoopExecutor {
            executors[ObjectIdentifier(loop)] ?? LoopExecutor(loop)
        }
    }
}
