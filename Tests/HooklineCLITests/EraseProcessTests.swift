import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

/// `hookline erase` as an operator runs it: through a running Hookline's control socket, in
/// process with none running, killed between its steps and run again, on both stores.
@Suite("hookline erase, as a process", .serialized, .timeLimit(.minutes(5)))
struct EraseProcessTests {
    static func yaml(port: Int, directory: String, sandbox: SandboxCRM, store: String?) -> String {
        """
        server: {host: 127.0.0.1, port: \(port)}
        audit: {path: "\(directory)/audit.jsonl", rotate_bytes: 1200}
        \(store ?? "")
        sources:
          - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "\(LoadHarness.secret)"}}
        targets:
          - {name: omnichannel, kind: omnichannel, base_url: "\(sandbox.baseURL)/omnichannel", api_key: omni-key, timeout: 1s}
        routes:
          - {from: standard, to: omnichannel, contact_id: source_id}
        retry: {max_attempts: 60, base_delay: 50ms, max_delay: 200ms}
        """
    }

    /// A `hookline serve` of `yaml(…)` (with `payloads` when given): where its configuration
    /// is, the source senders sign as, and its audit log.
    struct Served {
        let port: Int
        let config: String
        let yaml: String
        let source: SourceSettings
        let audit: String
        let process: ServeProcess
    }

    static func serve(_ directory: TemporaryDirectory, sandbox: SandboxCRM, store: String?, payloads: String? = nil) async throws -> Served {
        let port = try ServeProcessTests.freePort()
        let config = directory.file("hookline.yaml")
        var yaml = Self.yaml(port: port, directory: directory.path, sandbox: sandbox, store: store)
        if let payloads { yaml = yaml.replacingOccurrences(of: "rotate_bytes: 1200}", with: "rotate_bytes: 1200, payloads: \(payloads)}") }
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let source = try ConfigurationLoader.load(yaml: yaml, file: config, environment: [:]).sources[0]
        let process = try await ServeProcess.start(config: config, log: directory.file("serve.log"), port: port)
        return Served(port: port, config: config, yaml: yaml, source: source, audit: directory.file("audit.jsonl"), process: process)
    }

    /// A contact update whose values name the contact and the update (`person144-2@…`).
    static func body(_ contact: String, _ sequence: Int) -> [UInt8] {
        Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","email":"person\#(contact)-\#(sequence)@example.com","first_name":"Name\#(contact)x\#(sequence)"}}"#.utf8)
    }

    /// Every line of every file of the log, oldest file first, as bytes.
    static func lines(_ audit: String) throws -> [[UInt8]] {
        try AuditLogEraser.segments(of: audit).reversed().flatMap { file in
            try FileBytes.read(file, limit: 1 << 30).split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map(Array.init)
        }
    }

    static func records(_ audit: String) throws -> [AuditRecord] {
        try lines(audit).map { try AuditRecord(jsonLine: $0) }
    }

    /// Everything in the log's directory, hidden files included, as text.
    static func everything(in directory: String) throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasSuffix(".idx") && !$0.hasSuffix(".log") && !$0.hasSuffix(".yaml") && !$0.hasSuffix(".sock") }
            .map { String(decoding: try FileBytes.read("\(directory)/\($0)", limit: 1 << 30), as: UTF8.self) }.joined(separator: "\n")
    }

    /// The lines that are not the contact's, nor what the erase itself added (its `erased` line,
    /// and what its rotation carried into the new file): they must come through byte for byte.
    static func others(_ lines: [[UInt8]], contact: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in lines {
            let record = try AuditRecord(jsonLine: line)
            if record.contact == contact || record.outcome == .erased || record.reason == "carried_forward" { continue }
            counts[String(decoding: line, as: UTF8.self), default: 0] += 1
        }
        return counts
    }

    /// Sends `updates` updates of each contact, and waits until each has ended at the target.
    static func send(_ contacts: [String], updates: Int, port: Int, source: SourceSettings, audit: String, ending: Int? = nil) async throws -> [String: [String]] {
        var events: [String: [String]] = [:]
        for sequence in 1...updates {
            for contact in contacts {
                // The shared client may still hold a connection to the Hookline that ran on this port
                // before, closed but not yet seen closed: such a send never reached it, and is sent
                // again under the same message id (a repeat that did reach it is a duplicate).
                let messageID = MessageIDGenerator.random()
                var tries = 0
                var delivered: WebhookDeliverer.Answer?
                while delivered == nil {
                    tries += 1
                    do {
                        delivered = try await WebhookDeliverer().deliver(
                            Self.body(contact, sequence), to: "http://127.0.0.1:\(port)/webhooks/standard", source: source, messageID: messageID)
                    } catch where tries < 3 {
                        continue
                    }
                }
                guard let answer = delivered else { throw ProcessTestError("no answer") }
                #expect(answer.status == 202)
                events[contact, default: []].append(answer.eventID ?? "")
            }
        }
        let expected = ending ?? contacts.count * updates
        try await eventuallyTrue(timeout: .seconds(30)) { try records(audit).filter { $0.outcome.endsTargetJob }.count >= expected }
        return events
    }

    static func erase(_ arguments: [String], config: String, crashAt: String? = nil) async throws -> ServeProcessTests.Finished {
        var environment = ProcessInfo.processInfo.environment
        if let crashAt { environment["HOOKLINE_CRASH_AT"] = crashAt }
        return try await ServeProcessTests.run(["erase"] + arguments + ["--config", config], environment: environment)
    }

    /// What every erase leaves: none of the contact's values anywhere, each of its event lines
    /// marked, and the other lines as they were.
    static func expectErased(_ audit: String, directory: String, contact: String, others before: [String: Int]) throws {
        #expect(!(try everything(in: directory)).contains("person\(contact)-"), "a value of \(contact) is still kept")
        #expect(!(try everything(in: directory)).contains("Name\(contact)x"))
        let records = try records(audit)
        let theirs = records.filter { $0.contact == contact && $0.event != nil }
        #expect(!theirs.isEmpty)
        #expect(theirs.allSatisfy { $0.erased != nil && $0.payload == nil && $0.error == nil }, "\(theirs.filter { $0.erased == nil })")
        #expect(try others(lines(audit), contact: contact) == before)
    }

    @Test("through the running Hookline: a dry run changes nothing; the erase keeps every other line byte for byte; owed events refuse it; later events are kept")
    func throughTheSocket() async throws {
        let directory = try TemporaryDirectory()
        try await withSandboxCRM(configuration: SandboxConfiguration(createUnknownContacts: true)) { sandbox in
            let served = try await Self.serve(directory, sandbox: sandbox, store: nil)
            let (port, config, source, audit, serve) = (served.port, served.config, served.source, served.audit, served.process)
            defer { serve.killNow() }
            // One update of 144 fails, and the target's answer quotes the contact's email.
            sandbox.inject(.status(422, on: "/omnichannel/contacts/144", body: ["error": "email person144-1@example.com is taken"]))
            let events = try await Self.send(["144", "145", "146"], updates: 3, port: port, source: source, audit: audit)
            #expect(AuditLogEraser.segments(of: audit).count > 2, "the log rotated into archives")
            #expect(try Self.records(audit).filter { $0.outcome == .applied }.count == 8)
            #expect(try Self.records(audit).contains { $0.outcome == .failed && $0.error?.contains("person144-1") == true })
            let before = try Self.lines(audit)

            let dry = try await Self.erase(["--contact", "144", "--source", "standard", "--dry-run"], config: config)
            #expect(dry.status == 0, "\(dry.output)\(dry.error)")
            #expect(dry.output.contains("would erase contact 144 of standard: 3 events,"), "\(dry.output)")
            #expect(try Self.lines(audit) == before, "a dry run changed the log")

            let erased = try await Self.erase(["--contact", "144", "--source", "standard", "--reason", "request #4711", "--by", "dpo"], config: config)
            #expect(erased.status == 0, "\(erased.output)\(erased.error)")
            #expect(erased.output.contains("erased contact 144 of standard: 3 events,"), "\(erased.output)")
            try Self.expectErased(audit, directory: directory.path, contact: "144", others: try Self.others(before, contact: "144"))
            let records = try Self.records(audit)
            let line = try #require(records.first { $0.outcome == .erased })
            #expect(line.contact == "144" && line.source == "standard" && line.count == 3 && line.by == "dpo" && line.reason == "request #4711")
            #expect(records.filter { $0.outcome == .erased }.count == 1)
            let theirs = records.filter { $0.contact == "144" && $0.event != nil }
            #expect(theirs.allSatisfy { $0.erasedReason == "request #4711" })
            #expect(theirs.contains { $0.outcome == .failed && $0.status == 422 }, "the failure's status stays")

            // tail reads erased lines; redrive of the erased failure says why it cannot be.
            let tail = try await ServeProcessTests.run(["tail", "--contact", "144"] + AuditLogEraser.segments(of: audit), environment: [:])
            #expect(tail.status == 0, "\(tail.error)")
            #expect(tail.output.contains("erased "), "\(tail.output)")
            // The log's files run together (as an operator would cat them): the failure and its opening.
            let merged = directory.file("merged.jsonl")
            try Data(try Self.lines(audit).map { $0 + [0x0A] }.joined()).write(to: URL(fileURLWithPath: merged))
            let failedEvent = try #require(events["144"]?.first)
            let redrive = try await ServeProcessTests.run(["redrive", "--outcome", "failed", "--event", failedEvent, merged, "--config", config], environment: [:])
            #expect(redrive.output.contains("its payload was erased at"), "\(redrive.output)\(redrive.error)")
            #expect(redrive.output.contains("(request #4711) and cannot be applied again"))

            // An event still owed refuses the erase of its contact, and nothing changes.
            sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/contacts/146", action: .delay(.seconds(30)), count: .max))
            let owed = try #require(try await WebhookDeliverer().deliver(Self.body("146", 9), to: "http://127.0.0.1:\(port)/webhooks/standard", source: source).eventID)
            let unchanged = try Self.lines(audit)
            let refused = try await Self.erase(["--contact", "146"], config: config)
            #expect(refused.status == 1, "\(refused.output)\(refused.error)")
            #expect(refused.output.contains("  \(owed) → omnichannel"), "\(refused.output)")
            #expect(refused.error.contains("1 event of contact 146 is still owed to a target (above); nothing was erased"), "\(refused.error)")
            // Retries of the owed event go on (and may rotate the log), but no line was changed.
            #expect(Set(unchanged).isSubset(of: Set(try Self.lines(audit))), "the refused erase changed the log")
            sandbox.clearFaults()
            try await eventuallyTrue(timeout: .seconds(30)) { try Self.records(audit).contains { $0.event == owed && $0.outcome == .applied } }

            // The contact's next update, after the erase, is kept and applied as any other.
            let later = try await WebhookDeliverer().deliver(Self.body("144", 7), to: "http://127.0.0.1:\(port)/webhooks/standard", source: source)
            try await eventuallyTrue { try Self.records(audit).contains { $0.event == later.eventID && $0.outcome == .applied } }
            #expect(try Self.records(audit).first { $0.event == later.eventID && $0.outcome == .received }?.payload == Self.body("144", 7))
            #expect(events["144"]?.count == 3)
            #expect(await serve.terminate() == 0)
        }
    }

    @Test("killed between its steps, the log is whole at every point, and the same command run again finishes the erase", arguments: [
        "erase.after-rotation", "erase.before-rename", "erase.after-archive", "erase.before-line",
    ])
    func killedAndRunAgain(point: String) async throws {
        let directory = try TemporaryDirectory()
        try await withSandboxCRM(configuration: SandboxConfiguration(createUnknownContacts: true)) { sandbox in
            let served = try await Self.serve(directory, sandbox: sandbox, store: nil)
            let (port, config, yaml, source, audit, serve) = (served.port, served.config, served.yaml, served.source, served.audit, served.process)
            _ = try await Self.send(["144", "145"], updates: 4, port: port, source: source, audit: audit)
            #expect(await serve.terminate() == 0)
            // One more update of 144 with rotation off, so the live file surely holds some of its
            // lines (the erase then rotates it first) whatever the rotations above left there.
            try yaml.replacingOccurrences(of: ", rotate_bytes: 1200", with: ", rotate_bytes: 0").write(toFile: config, atomically: true, encoding: .utf8)
            let again = try await ServeProcess.start(config: config, log: directory.file("serve-again.log"), port: port)
            _ = try await Self.send(["144"], updates: 1, port: port, source: source, audit: audit, ending: 9)
            #expect(await again.terminate() == 0)
            #expect(String(decoding: try FileBytes.read(audit), as: UTF8.self).contains(#""contact":"144""#))
            let before = try Self.others(try Self.lines(audit), contact: "144")

            let killed = try await Self.erase(["--contact", "144"], config: config, crashAt: point)
            #expect(killed.status == 9, "\(point): \(killed.output)\(killed.error)")
            // Whole at this point: every line of every file reads, and nothing else changed.
            #expect(try Self.others(try Self.lines(audit), contact: "144") == before)
            #expect(!(try Self.records(audit)).contains { $0.outcome == .erased })

            let finished = try await Self.erase(["--contact", "144"], config: config)
            #expect(finished.status == 0, "\(point): \(finished.output)\(finished.error)")
            #expect(finished.output.contains("erased contact 144: 5 events,"), "\(point): \(finished.output)")
            try Self.expectErased(audit, directory: directory.path, contact: "144", others: before)
            #expect(try Self.records(audit).filter { $0.outcome == .erased }.map(\.count) == [5])
            #expect(!(try FileManager.default.contentsOfDirectory(atPath: directory.path)).contains { $0.hasSuffix(".erasing") })

            // Recovery reads the erased lines: the next start serves, and a third run finds it done.
            let restarted = try await ServeProcess.start(config: config, log: directory.file("serve2.log"), port: port)
            #expect(await restarted.terminate() == 0)
            let third = try await Self.erase(["--contact", "144"], config: config)
            #expect(third.output.contains("erased contact 144: 5 events, 0 lines in 0 files ("), "\(third.output)")
        }
    }

    @Test("with PostgreSQL: the events' payloads, the outbox and this instance's log; killed after the database's part, run again to finish the log")
    func postgres() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        let storeLine = cluster.storeLine(database)
        let directory = try TemporaryDirectory()
        try await withSandboxCRM(configuration: SandboxConfiguration(createUnknownContacts: true)) { sandbox in
            let served = try await Self.serve(directory, sandbox: sandbox, store: storeLine)
            let (port, config, source, audit, serve) = (served.port, served.config, served.source, served.audit, served.process)
            defer { serve.killNow() }
            _ = try await Self.send(["144", "145"], updates: 3, port: port, source: source, audit: audit)
            let before = try Self.others(try Self.lines(audit), contact: "144")

            let erased = try await Self.erase(["--contact", "144", "--reason", "request #4711"], config: config)
            #expect(erased.status == 0, "\(erased.output)\(erased.error)")
            #expect(erased.output.contains("erased contact 144: 3 events,"), "\(erased.output)")
            #expect(erased.output.contains("  database: 3 events"), "\(erased.output)")
            try Self.expectErased(audit, directory: directory.path, contact: "144", others: before)
            let rows = try await cluster.query(
                "SELECT contact, length(payload), erased_reason FROM hookline_events ORDER BY contact, received_at", database: database)
            #expect(rows.components(separatedBy: "144|0|request #4711").count - 1 == 3, "\(rows)")
            #expect(rows.components(separatedBy: "145|").count - 1 == 3 && !rows.contains("145|0|"), "\(rows)")
            // The console's event shows the erasure, not a payload.
            #expect(await serve.terminate() == 0)

            // Killed once the database's part is committed: the next run finds it done and erases the log.
            let restarted = try await ServeProcess.start(config: config, log: directory.file("serve2.log"), port: port)
            _ = try await Self.send(["147"], updates: 2, port: port, source: source, audit: audit, ending: 8)
            #expect(await restarted.terminate() == 0)
            let others = try Self.others(try Self.lines(audit), contact: "147")
            let killed = try await Self.erase(["--contact", "147"], config: config, crashAt: "erase.after-database")
            #expect(killed.status == 9, "\(killed.output)\(killed.error)")
            let halfway = try await cluster.query("SELECT count(*) FROM hookline_events WHERE contact = '147' AND erased_at IS NOT NULL", database: database)
            #expect(halfway.contains("2"), "\(halfway)")
            let again = try await Self.erase(["--contact", "147"], config: config)
            #expect(again.status == 0, "\(again.output)\(again.error)")
            #expect(again.output.contains("erased contact 147: 2 events,") && again.output.contains("  database: 0 events"), "\(again.output)")
            try Self.expectErased(audit, directory: directory.path, contact: "147", others: others)
        }
    }
}
