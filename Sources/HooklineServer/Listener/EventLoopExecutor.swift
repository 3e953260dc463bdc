import NIOCore

/// An event loop as the store sees it: where an accept's completion runs. One per loop, made
/// when the listener binds, so the completions of one commit for one loop share a hop.
final class EventLoopExecutor: CompletionExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func execute(_ work: @escaping @Sendable () -> Void) { loop.execute(work) }

    /// One executor for each loop of `group`, found by its loop.
    struct Table: Sendable {
        private let executors: [ObjectIdentifier: EventLoopExecutor]

        init(_ group: any EventLoopGroup) {
            var executors: [ObjectIdentifier: EventLoopExecutor] = [:]
            for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = EventLoopExecutor(loop) }
            self.executors = executors
        }

        /// The executor of `loop` (a loop outside the group gets one of its own).
        subscript(_ loop: any EventLoop) -> EventLoopExecutor {
            executors[ObjectIdentifier(loop)] ?? EventLoopExecutor(loop)
        }
    }
}
