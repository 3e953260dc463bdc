import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

/// Where the stores keep different promises, each stated per store: what one process can do
/// alone (coalesce, confirm, hold recovered jobs past capacity) and what only a fleet needs
/// (leases that run out, fencing).
extension JournalConformanceTests {
    /// A thin delivery's job, waiting for its fetch, as ingest queues it.
    static func thinJob(_ event: String) -> Job {
        Job(
            event: ContactEvent(
                id: event, messageID: "msg_\(event)", source: "buildr", type: "contact.update", kind: .updated, receivedAt: .now(),
                contactID: "2279", contact: .reference(ContactReference(id: "2279"))),
            route: Route(source: "buildr", target: "omnichannel"),
            coalescingKey: Job.coalescingKey(source: "buildr", contactID: "2279", targets: ["omnichannel"]))
    }

    @Test("a thin message whose fetch is already waiting is coalesced by the file store; a shared store never coalesces (each instance fetches)", arguments: JournalStore.all)
    func coalescing(store: JournalStore) async throws {
        try await store.with(try TemporaryDirectory()) { _, board in
            let job = Self.thinJob("evt_thin")
            #expect(board.reserve(1))
            board.enqueue(reserved: [job])
            let waiting = board.waitingFetch(for: job.coalescingKey ?? "")
            switch store.name {
            case "file": #expect(waiting == "evt_thin")
            default: #expect(waiting == nil, "a second thin message is queued and fetches the same contact again")
            }
        }
    }

    @Test("a confirmed claim (a delivery folded into another) makes redeliveries duplicates in the file store; a shared store, which never coalesces, only releases it", arguments: JournalStore.all)
    func confirm(store: JournalStore) async throws {
        try await store.with(try TemporaryDirectory()) { journal in
            let key = MessageKey(source: "buildr", messageID: "msg_folded")
            #expect(journal.claim(message: key, eventID: "evt_folded", now: .now()) == .new)
            journal.confirm(message: key)
            let again = journal.claim(message: key, eventID: "evt_again", now: .now())
            switch store.name {
            case "file": #expect(again == .duplicate(eventID: "evt_folded"))
            default: #expect(again == .new)
            }
        }
    }

    @Test("jobs recovered at start are queued past capacity by the file store; a shared store's are in the database already, so it queues nothing", arguments: JournalStore.all)
    func overCapacity(store: JournalStore) async throws {
        try await store.with(try TemporaryDirectory()) { _, board in
            let jobs = (0..<3).map { Self.thinJob("evt_over_\($0)") }
            let before = board.count
            board.enqueue(overCapacity: jobs)
            #expect(board.count == before + (store.name == "file" ? 3 : 0))
        }
    }

    @Test("a call is permitted while the job's lease covers its timeout and a margin; one process holds no lease, so the file store always permits", arguments: JournalStore.all)
    func permits(store: JournalStore) async throws {
        try await store.with(try TemporaryDirectory()) { journal, board in
            let (record, jobs) = try Self.delivery("evt_permit")
            #expect(await Self.queue(journal, board, record, jobs: jobs) == .durable)
            let job = try #require(await board.next())
            #expect(board.permit(job, callTimeout: .seconds(2)) == .granted)
            // The suite's lease is the default, 30 s: a call that may take 40 s never starts under it.
            let long = board.permit(job, callTimeout: .seconds(40))
            if store.name == "file" {
                #expect(long == .granted)
            } else {
                guard case .expiring(let left, let needed) = long else {
                    Issue.record("a 40 s call under a 30 s lease: \(long)")
                    return
                }
                #expect(left <= .seconds(30) && left > .seconds(25) && needed == .seconds(41))
            }
            #expect(await board.finish(job, line: Self.line(job, .applied)) == .written)
        }
    }
}
