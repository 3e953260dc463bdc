import HooklineCore
import HooklineSandbox
import HooklineServer

/// `hookline demo`: the sandbox CRMs and a receiver on loopback, every fixture replayed through
/// real signed HTTP, then the outcome of each compared with what `Fixtures/manifest.json` expects.
package struct DemoRunner: Sendable {
    package let sandbox: SandboxCRM
    package let running: RunningHookline
    package let catalog: FixtureCatalog

    /// The webhook base URL, `http://127.0.0.1:<port>`.
    package var baseURL: String { running.baseURL }
    package var auditPath: String { running.configuration.audit.path }

    /// Runs the sandbox and the receiver (on `port`; 0 picks one) for the length of `body`.
    package static func withRunning<Result: Sendable>(
        fixtures: String, auditPath: String, port: Int = 0, _ body: (DemoRunner) async throws -> Result
    ) async throws -> Result {
        let catalog = try FixtureCatalog(root: fixtures)
        return try await withSandboxCRM { sandbox in
            let configuration = try DemoConfiguration.load(auditPath: auditPath, sandboxURL: sandbox.baseURL, port: port)
            return try await withRunningHookline(configuration) { running in
                try await body(DemoRunner(sandbox: sandbox, running: running, catalog: catalog))
            }
        }
    }

    /// A fixture's outcome beside what the manifest expects.
    package struct Checked: Sendable {
        package var outcome: FixtureOutcome
        package var fixture: FixtureCatalog.Fixture
        /// What differs from the manifest; empty when all is as expected.
        package var differences: [String]
    }

    /// Replays every fixture in manifest order and waits (up to `timeout`) for every accepted
    /// event to finish at each of its targets.
    package func replay(timeout: Duration = .seconds(60)) async throws -> [Checked] {
        let deliverer = WebhookDeliverer()
        var outcomes: [FixtureOutcome] = []
        for fixture in catalog.fixtures {
            guard let source = running.configuration.source(named: fixture.source) else {
                throw FileError(path: fixture.path, operation: "replay", reason: "no source named \(fixture.source) in the demo")
            }
            let messageID = ReplayMessageID.make(source: fixture.source, body: fixture.body)
            let answer = try await deliverer.deliver(
                fixture.body, to: "\(baseURL)/webhooks/\(fixture.source)", source: source, messageID: messageID,
                extraHeaders: source.idHeader.map { [HeaderField(name: $0, value: messageID)] } ?? [])
            outcomes.append(
                FixtureOutcome(
                    path: fixture.path, source: fixture.source, answer: answer.status,
                    answerText: answer.outcome ?? answer.error ?? "", eventID: answer.status == 202 ? answer.eventID : nil))
        }

        let deadline = ContinuousClock.now + timeout
        var records: [AuditRecord] = []
        while true {
            _ = await running.store.flush()
            records = try Self.records(at: auditPath)
            if FixtureOutcome.allSettled(outcomes, in: records) || ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        return zip(catalog.fixtures, outcomes).map { fixture, outcome in
            var settled = outcome
            settled.settle(from: records)
            return Checked(outcome: settled, fixture: fixture, differences: Self.differences(settled, fixture))
        }
    }

    static func records(at path: String) throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        _ = try AuditLogReader.forEachRecord(in: path) { records.append($0) }
        return records
    }

    static func differences(_ outcome: FixtureOutcome, _ fixture: FixtureCatalog.Fixture) -> [String] {
        var differences: [String] = []
        if outcome.answer != fixture.answer {
            differences.append("answered \(outcome.answer), expected \(fixture.answer)")
        }
        if let status = fixture.status, outcome.answer < 400, outcome.answerText != status {
            differences.append("answered \(outcome.answerText), expected \(status)")
        }
        if let error = fixture.error, !outcome.answerText.hasPrefix(error) {
            differences.append("error '\(outcome.answerText)', expected '\(error)…'")
        }
        if outcome.answer == 202 {
            let actual = Dictionary(uniqueKeysWithValues: outcome.targets.map { ($0.target, $0.outcome) })
            if actual != fixture.outcomes {
                let describe = { (map: [String: String]) in map.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
                differences.append("outcomes {\(describe(actual))}, expected {\(describe(fixture.outcomes))}")
            }
        }
        return differences
    }
}
