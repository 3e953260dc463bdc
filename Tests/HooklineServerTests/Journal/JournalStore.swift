import HooklineCore
import HooklineServer
import HooklineTestSupport

/// A store the conformance suite runs against: opened at a place, closed, and opened again at
/// the same place to read back what it kept. A second store is one more value in `all`.
struct JournalStore: Sendable, CustomStringConvertible {
    let name: String
    /// Opens the store kept under `place` (a fresh directory per test).
    let open: @Sendable (_ place: TemporaryDirectory) async throws -> any Journal

    var description: String { name }

    static let file = JournalStore(name: "file") { place in
        try FileJournal.open(
            path: place.file("audit.jsonl"), options: AuditLogWriter.Options(fsync: .batch, dedupMaxAge: .seconds(3600), dedupMaxEntries: 1000))
    }

    static let all: [JournalStore] = [.file]
}
