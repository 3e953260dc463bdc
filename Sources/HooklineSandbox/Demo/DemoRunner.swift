import HooklineCore
import HooklineServer

/// `hookline demo`: the sandbox CRMs and a receiver on loopback, every fixture replayed through
/// real signed HTTP, then the outcome of each compared with what `Fixtures/manifest.json` expects.
public final class DemoRunner: Sendable {
    public let sandbox: SandboxCRM
    public let runtime: HooklineRuntime
    public let catalog: FixtureCatalog
    private let workers: Task<Void, Never>

    /// The webhook base URL, `http://127.0.0.1:<port>`.
    public var baseURL: String { "http://127.0.0.1:\(runtime.port)" }
    public var auditPath: String { runtime.configuration.audit.path }

    /// Starts the sandbox and the receiver (on `port`; 0 picks one).
    public static func start(fixtures: String, auditPath: String, port: Int = 0) async throws -> DemoRunner {
        let catalog = try FixtureCatalog(root: fixtures)
        let sandbox = try await SandboxCRM.start()
        do {
            let configuration = try DemoConfiguration.load(auditPath: auditPath, sandboxURL: sandbox.baseURL, port: port)
            let runtime = try await HooklineRuntime.start(configuration: configuration)
            return DemoRunner(sandbox: sandbox, runtime: runtime, catalog: catalog)
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    private init(sandbox: SandboxCRM, runtime: HooklineRuntime, catalog: FixtureCatalog) {
        self.sandbox = sandbox
        self.runtime = runtime
        self.catalog = catalog
        self.workers = Task { await runtime.run() }
    }

    /// A fixture's outcome beside what the manifest expects.
    public struct Checked: Sendable {
        public var outcome: FixtureOutcome
        public var fixture: FixtureCatalog.Fixture
        /// What differs from the manifest; empty when all is as expected.
        public var differences: [String]
    }

    /// Replays every fixture in manifest order and waits (up to `timeout`) for every accepted
    /// event to finish at each of its targets.
    public func replay(timeout: Duration = .seconds(60)) async throws -> [Checked] {
        let deliverer = WebhookDeliverer()
        var outcomes: [FixtureOutcome] = []
        for fixture in catalog.fixtures {
            guard let source = runtime.configuration.source(named: fixture.source) else {
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
            _ = await runtime.audit.flush()
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

    /// Stops the receiver (draining its workers) and the sandbox.
    public func stop() async {
        await runtime.stop()
        await workers.value
        await sandbox.stop()
    }
}
