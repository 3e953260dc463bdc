import HooklineServer
import HooklineTestSupport
import Synchronization
import Testing

@Suite("group commit: what waits during a commit goes in the next one")
struct GroupCommitTests {
    @Test("batches keep submission order and the limit; what arrives during a commit shares the next")
    func batches() async throws {
        let commits = GroupCommit<Int>(limit: 3)
        let seen = Mutex<[[Int]]>([])
        let open = Atomic<Bool>(false)
        for item in 1...4 { #expect(commits.submit(item)) }
        let runner = Task {
            await commits.run { batch in
                seen.withLock { $0.append(batch) }
                // The first commit is slow: everything submitted meanwhile waits for the next.
                while batch == [1, 2, 3] && !open.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(1)) }
            }
        }
        try await eventually("the first commit") { seen.withLock { $0.count } == 1 }
        for item in 5...6 { #expect(commits.submit(item)) }
        open.store(true, ordering: .relaxed)
        try await eventually("every item committed") { seen.withLock { $0.flatMap { $0 } } == Array(1...6) }
        #expect(seen.withLock { $0 } == [[1, 2, 3], [4, 5, 6]])
        #expect(commits.close().isEmpty)
        #expect(await runner.value.isEmpty)
        #expect(!commits.submit(7), "closed: nothing more is queued")
    }

    @Test("closing hands back what no commit took, and ends every take")
    func closing() async {
        let commits = GroupCommit<Int>(limit: 2)
        let takers = (0..<2).map { _ in Task { await commits.take() } }
        for item in 1...3 { #expect(commits.submit(item)) }
        var taken: [Int] = []
        for taker in takers { taken += await taker.value ?? [] }
        let left = commits.close()
        #expect((taken + left).sorted() == [1, 2, 3])
        #expect(await commits.take() == nil)
    }

    @Test("a cancelled run ends, closing the queue and returning what it never took")
    func cancelled() async throws {
        let commits = GroupCommit<Int>(limit: 8)
        let started = Atomic<Bool>(false)
        let runner = Task {
            await commits.run { _ in
                started.store(true, ordering: .relaxed)
                // Held until cancelled: what is submitted meanwhile is never taken.
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(1)) }
            }
        }
        #expect(commits.submit(1))
        try await eventually("the first commit") { started.load(ordering: .relaxed) }
        #expect(commits.submit(2))
        runner.cancel()
        #expect(await runner.value == [2])
        #expect(!commits.submit(3))
    }

    @Test("an idle run waiting for items ends when cancelled")
    func idleCancelled() async {
        let commits = GroupCommit<Int>(limit: 1)
        let runner = Task { await commits.run { _ in } }
        runner.cancel()
        #expect(await runner.value.isEmpty)
    }
}

extension GroupCommit {
    /// The next batch as a value; nil once closed with nothing left.
    func take() async -> [Item]? {
        var batch: [Item] = []
        return await take(into: &batch) ? batch : nil
    }
}
