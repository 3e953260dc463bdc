import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

@Suite("the file journal's memory")
struct FileJournalMemoryTests {
    @Test("message ids held for carrying forward stay within the dedup window's bound however many arrive")
    func seenStaysBounded() async throws {
        let place = try TemporaryDirectory()
        let maximum = 1024
        let journal = try FileJournal.open(
            path: place.file("audit.jsonl"), options: AuditLogWriter.Options(fsync: .none, dedupMaxEntries: maximum))
        let received = maximum + 3 * ChunkedList<AuditLogIndex.SeenMessage>.chunkSize
        for index in 0..<received {
            journal.append(
                AuditRecord(
                    ts: .now(), outcome: .received, event: "evt_\(index)", message: "msg_\(index)", source: "standard", targets: ["omnichannel"],
                    payload: []))
        }
        let failure = await journal.flush()
        #expect(failure == nil)
        let (seen, newest, owed) = journal.writer.withJournal { ($0.seenMessages.count, $0.seenMessages.map(\.message).last, $0.pendingCount) }
        #expect(seen >= maximum && seen <= maximum + ChunkedList<AuditLogIndex.SeenMessage>.chunkSize)
        #expect(newest == "msg_\(received - 1)")
        #expect(owed == received, "every event is still owed: only message ids are bounded")
        await journal.close()
    }
}
