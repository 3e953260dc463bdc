import DequeModule
import Synchronization

/// Group commit: what is submitted while a commit is under way goes in the next one, so every
/// writer waiting at one moment shares one round trip (or one sync). The owner runs `run` in as
/// many tasks as it wants commits in flight, and says what a commit is; this only queues, hands
/// out batches in submission order, and ends.
///
/// The PostgreSQL store's accepts (two commits in flight) and finishes (one) go through it.
package final class GroupCommit<Item: Sendable>: Sendable {
    private struct State {
        var items: Deque<Item> = []
        var takers = Waiters()
        var closed = false
    }

    /// Items one commit takes at most.
    package let limit: Int
    private let state = Mutex(State())
    /// Made once: `\.takers` spelled in `take` would be instantiated on every wait.
    private let takers: any WritableKeyPath<State, Waiters> & Sendable = \.takers

    package init(limit: Int) {
        precondition(limit > 0, "a group commit takes at least one item")
        self.limit = limit
    }

    /// Queues `item` for the next commit. False, queueing nothing, once closed: the caller fails it.
    package func submit(_ item: Item) -> Bool {
        let (queued, waiter) = state.withLock { state -> (Bool, Waiters.Continuation?) in
            guard !state.closed else { return (false, nil) }
            state.items.append(item)
            return (true, state.takers.popAny())
        }
        waiter?.resume()
        return queued
    }

    /// Stops taking items. Returns those never taken, for the caller to fail; the runs end once
    /// their commits in flight are done.
    package func close() -> [Item] {
        let (items, waiters) = state.withLock { state -> ([Item], [Waiters.Continuation]) in
            state.closed = true
            defer { state.items.removeAll() }
            return (Array(state.items), state.takers.removeAll())
        }
        for waiter in waiters { waiter.resume() }
        return items
    }

    /// Commits batches of at most `limit` items, in submission order, until closed — or until the
    /// task is cancelled, which closes it too; what was never taken is returned to be failed.
    package func run(_ commit: ([Item]) async -> Void) async -> [Item] {
        var batch: [Item] = []
        while await take(into: &batch) { await commit(batch) }
        return Task.isCancelled ? close() : []
    }

    /// Replaces `batch` with the next batch (its storage is reused: a batch allocates nothing);
    /// false once closed with nothing left to take, or once the task is cancelled (what is left
    /// then is the closer's to fail).
    package func take(into batch: inout [Item]) async -> Bool {
        batch.removeAll(keepingCapacity: true)
        while true {
            if Task.isCancelled { return false }
            let found = state.withLock { state -> Bool? in
                if !state.items.isEmpty {
                    let count = min(limit, state.items.count)
                    batch.append(contentsOf: state.items.prefix(count))
                    state.items.removeFirst(count)
                    return true
                }
                return state.closed ? false : nil
            }
            if let found { return found }
            await state.wait(among: takers) { $0.closed || !$0.items.isEmpty }
        }
    }
}
