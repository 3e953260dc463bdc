import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

/// `audit.payloads: redacted | none` on both stores, as a process: payloads whole while owed,
/// kept less once done, and a redrive that says why it cannot be.
@Suite("audit.payloads, as a process", .serialized, .timeLimit(.minutes(3)))
struct PayloadsProcessTests {
    @Test("what is kept once events are done: archives (file) or the events' rows and this instance's log (postgres)", arguments: [
        ("file", "redacted"), ("file", "none"), ("postgres", "redacted"), ("postgres", "none"),
    ])
    func keptLess(store: String, keeping: String) async throws {
        var storeLine: String?
        var database: String?
        let cluster = store == "postgres" ? try await PostgresCluster.shared() : nil
        if let cluster {
            let name = try await cluster.createDatabase()
            database = name
            storeLine = cluster.storeLine(name)
        }
        let directory = try TemporaryDirectory()
        try await withSandboxCRM(configuration: SandboxConfiguration(createUnknownContacts: true)) { sandbox in
            let served = try await EraseProcessTests.serve(directory, sandbox: sandbox, store: storeLine, payloads: keeping)
            let (port, config, source, audit, serve) = (served.port, served.config, served.source, served.audit, served.process)
            let check = try await ServeProcessTests.run(["check-config", config], environment: [:])
            #expect(check.output.contains("  payloads   whole in the "), "\(check.output)")
            defer { serve.killNow() }
            sandbox.inject(.status(422, on: "/omnichannel/contacts/144"))
            let events = try await EraseProcessTests.send(["144", "145"], updates: 3, port: port, source: source, audit: audit)
            let failed = try #require(events["144"]?.first)

            if let cluster, let database {
                // Every finished event's row keeps less, and this instance's log never had more.
                try await eventuallyTrue {
                    try await cluster.query("SELECT count(*) FROM hookline_events WHERE payload_kept = '\(keeping)'", database: database) == "6\n"
                }
                let rows = try await cluster.query("SELECT convert_from(payload, 'UTF8') FROM hookline_events", database: database)
                #expect(!rows.contains("@example.com"), "\(rows)")
                let text = String(decoding: try FileBytes.read(audit, limit: 1 << 30), as: UTF8.self)
                #expect(!text.contains("@example.com") && !text.contains("Name14"), "\(text.prefix(2000))")
            } else {
                // The archives are written kept less; the live file keeps what it still may need.
                try await eventuallyTrue {
                    let archives = AuditLogEraser.segments(of: audit).dropFirst()
                    return archives.count >= 2 && !archives.contains { $0.hasSuffix(".whole") }
                }
                for archive in AuditLogEraser.segments(of: audit).dropFirst() {
                    let text = String(decoding: try FileBytes.read(archive, limit: 1 << 30), as: UTF8.self)
                    #expect(!text.contains("@example.com") && !text.contains("Name14"), "\(archive): \(text.prefix(2000))")
                }
            }
            let openings = try EraseProcessTests.records(audit).filter { $0.outcome == .received && $0.reason == nil && $0.payloadKept != nil }
            #expect(!openings.isEmpty)
            #expect(openings.allSatisfy { $0.payloadKept?.rawValue == keeping })
            if keeping == "redacted" {
                #expect(openings.allSatisfy { PersonalFields.isRedacted($0.payload ?? []) && String(decoding: $0.payload ?? [], as: UTF8.self).contains(#""id":"14"#) })
            } else {
                #expect(openings.allSatisfy { $0.payload == nil })
            }
            // A redrive of the failed event from the files says its payload was not kept.
            // The event's opening as kept and its failure, as an operator would cut them from the
            // files (the whole log run together orders a rotation's carried lines unpredictably).
            // Both lines are awaited in the files as read for the cut: while an archive is being
            // written kept less, its `.whole` and its final copy are briefly both listed.
            var cut: [[UInt8]] = []
            try await eventuallyTrue {
                let lines = try EraseProcessTests.lines(audit).compactMap { line in (try? AuditRecord(jsonLine: line)).map { (line, $0) } }
                    .filter { $0.1.event == failed }
                cut = lines.filter { ($0.1.outcome == .received && $0.1.payloadKept != nil) || $0.1.outcome == .failed }.map(\.0)
                return lines.contains { $0.1.outcome == .received && $0.1.payloadKept != nil } && lines.contains { $0.1.outcome == .failed }
            }
            let merged = directory.file("merged.jsonl")
            try Data(cut.map { $0 + [0x0A] }.joined()).write(to: URL(fileURLWithPath: merged))
            let fromFile = try await ServeProcessTests.run(["redrive", "--outcome", "failed", "--event", failed, merged, "--config", config], environment: [:])
            #expect(
                fromFile.output.contains(keeping == "redacted" ? "kept redacted (audit.payloads: redacted)" : "was not kept (audit.payloads: none)"),
                "\(fromFile.output)\(fromFile.error)\nfrom \(cut.map { String(decoding: $0, as: UTF8.self).prefix(300) }.joined(separator: "\n"))")
            // On the database too. (A file store may still hold the opening whole in its live file,
            // where a redrive would rightly run.)
            let fromStore = try await ServeProcessTests.run(["redrive", "--outcome", "failed", "--event", failed, "--config", config], environment: [:])
            if store == "postgres" {
                #expect(fromStore.output.contains(keeping == "redacted" ? "kept redacted (audit.payloads: redacted)" : "was not kept (audit.payloads: none)"), "\(fromStore.output)\(fromStore.error)")
            }
            #expect(await serve.terminate() == 0)
        }
    }
}
