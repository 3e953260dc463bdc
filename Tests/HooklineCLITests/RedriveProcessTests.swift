import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

@Suite("hookline redrive, as a process", .serialized, .timeLimit(.minutes(2)))
struct RedriveProcessTests {
    static func yaml(directory: String, sandbox: SandboxCRM, database: String? = nil) -> String {
        """
        server: {host: 127.0.0.1, port: 0}
        audit: {path: "\(directory)/audit.jsonl"}
        \(database.map { "store: {kind: postgres, url: \"\($0)\", lease: 3s}" } ?? "")
        retry: {base_delay: 10ms, max_delay: 20ms, max_attempts: 2, max_age: 1m}
        \(sandbox.standardToOmnichannelYAML(secret: LoadHarness.secret, timeout: database == nil ? nil : "1s"))
        """
    }

    static func outcomes(_ path: String, event: String?) throws -> [AuditOutcome] {
        var outcomes: [AuditOutcome] = []
        _ = try AuditLogReader.forEachRecord(in: path) { record in
            if record.event == event, record.outcome != .received { outcomes.append(record.outcome) }
        }
        return outcomes
    }

    @Test("redrive hands dead targets to the running Hookline through its control socket; with none running it needs --config")
    func redrive() async throws {
        let directory = NSTemporaryDirectory() + "hookline-redrive-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(503, on: "/omnichannel/", count: .max))
            let yaml = Self.yaml(directory: directory, sandbox: sandbox)
            let configPath = "\(directory)/hookline.yaml"
            try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
            let configuration = try ConfigurationLoader.load(yaml: yaml, file: configPath, environment: [:])
            let audit = "\(directory)/audit.jsonl"

            // A running Hookline (in this process) where three events die.
            let second = try await withRunningHookline(configuration) { running in
                let url = "\(running.baseURL)/webhooks/standard"
                let first = try await WebhookDeliverer().deliver(LoadHarness.body("144", 1), to: url, source: configuration.sources[0])
                let second = try await WebhookDeliverer().deliver(LoadHarness.body("2279", 1), to: url, source: configuration.sources[0])
                let third = try await WebhookDeliverer().deliver(LoadHarness.body("48213", 1), to: url, source: configuration.sources[0])
                try await eventuallyTrue {
                    _ = await running.store.flush()
                    return try [first, second, third].allSatisfy { try Self.outcomes(audit, event: $0.eventID).last == .dead }
                }
                sandbox.clearFaults()

                let sent = try await ServeProcessTests.run(["redrive", "--event", first.eventID ?? "", audit], environment: [:])
                #expect(sent.status == 0, "\(sent.output)\(sent.error)")
                #expect(sent.output.contains("sent to the running Hookline (\(audit).sock)"))
                #expect(sent.output.contains("\(first.eventID ?? "") → omnichannel"))
                #expect(sent.output.contains("1 of 1 events redriven"))
                try await eventuallyTrue {
                    _ = await running.store.flush()
                    return try Self.outcomes(audit, event: first.eventID).last == .applied
                }
                #expect(try Self.outcomes(audit, event: first.eventID) == [.retry, .dead, .redriven, .applied])

                // Without a file, the running Hookline's journal selects.
                let selected = try await ServeProcessTests.run(["redrive", "--config", configPath, "--event", third.eventID ?? ""], environment: [:])
                #expect(selected.status == 0, "\(selected.output)\(selected.error)")
                #expect(selected.output.contains("sent to the running Hookline (\(audit).sock)"))
                #expect(selected.output.contains("\(third.eventID ?? "") → omnichannel"))
                try await eventuallyTrue {
                    _ = await running.store.flush()
                    return try Self.outcomes(audit, event: third.eventID).last == .applied
                }
                return second
            }

            // Nothing running: without --config, a clear error; with it, in-process.
            let refused = try await ServeProcessTests.run(["redrive", audit], environment: [:])
            #expect(refused.status == 1)
            #expect(refused.error.contains("no Hookline is running for \(audit) — give --config to redrive in-process"))
            let inProcess = try await ServeProcessTests.run(["redrive", "--config", configPath, audit], environment: [:])
            #expect(inProcess.status == 0, "\(inProcess.output)\(inProcess.error)")
            #expect(inProcess.output.contains("\(second.eventID ?? "") → omnichannel"))
            #expect(try Self.outcomes(audit, event: second.eventID).suffix(2) == [.redriven, .applied])
            #expect(sandbox.omnichannelContact("2279")?["first_name"] == "v1")

            let nothing = try await ServeProcessTests.run(["redrive", "--config", configPath, audit], environment: [:])
            #expect(nothing.output.contains("nothing to redrive"))
            let badOutcome = try await ServeProcessTests.run(["redrive", "--outcome", "applied", audit], environment: [:])
            #expect(badOutcome.status == 2)
        }
    }

    @Test("on PostgreSQL, redrive --config selects from the shared database: an event that died on one instance is redriven by another")
    func redriveFromTheDatabase() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = cluster.url(try await cluster.createDatabase())
        let first = try TemporaryDirectory(), second = try TemporaryDirectory()
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(503, on: "/omnichannel/", count: .max))
            let yaml = Self.yaml(directory: first.path, sandbox: sandbox, database: database)
            let configuration = try ConfigurationLoader.load(yaml: yaml, file: first.file("hookline.yaml"), environment: [:])
            let died = try await withRunningHookline(configuration) { running in
                let url = "\(running.baseURL)/webhooks/standard"
                let delivered = try await WebhookDeliverer().deliver(LoadHarness.body("144", 1), to: url, source: configuration.sources[0])
                try await eventuallyTrue { try Self.outcomes(first.file("audit.jsonl"), event: delivered.eventID).last == .dead }
                return delivered
            }
            sandbox.clearFaults()

            // Another instance's configuration: the same database, its own audit log, nothing running.
            let otherPath = second.file("hookline.yaml")
            try Self.yaml(directory: second.path, sandbox: sandbox, database: database).write(toFile: otherPath, atomically: true, encoding: .utf8)
            let redriven = try await ServeProcessTests.run(["redrive", "--config", otherPath], environment: [:])
            #expect(redriven.status == 0, "\(redriven.output)\(redriven.error)")
            #expect(redriven.output.contains("\(died.eventID ?? "") → omnichannel"), "\(redriven.output)")
            #expect(redriven.output.contains("1 of 1 events redriven"))
            #expect(try Self.outcomes(first.file("audit.jsonl"), event: died.eventID) == [.retry, .dead])
            #expect(try Self.outcomes(second.file("audit.jsonl"), event: died.eventID) == [.redriven, .applied])
            #expect(sandbox.omnichannelContact("144")?["first_name"] == "v1")

            let nothing = try await ServeProcessTests.run(["redrive", "--config", otherPath], environment: [:])
            #expect(nothing.status == 0)
            #expect(nothing.output.contains("0 of 0 events redriven") || nothing.output.contains("nothing to redrive"), "\(nothing.output)")
        }
    }
}
