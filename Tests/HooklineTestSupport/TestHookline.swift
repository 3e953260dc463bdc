import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTools
import NIOCore
import NIOPosix

/// A Hookline running for one test, with helpers to deliver signed fixtures to it.
package struct TestHookline: Sendable {
    package let running: RunningHookline
    package let directory: TemporaryDirectory
    package let deliverer = WebhookDeliverer()

    package var auditPath: String { running.configuration.audit.path }
    package var baseURL: String { running.baseURL }

    package func source(_ name: String) -> SourceSettings {
        guard let source = running.configuration.source(named: name) else { preconditionFailure("no source \(name) in the test configuration") }
        return source
    }

    /// Signs and POSTs `body` to `/webhooks/{source}`.
    package func deliver(
        _ body: [UInt8],
        to source: String,
        messageID: String = MessageIDGenerator.random(),
        timestamp: UnixTime = .now(),
        extraHeaders: [HeaderField] = []
    ) async throws -> WebhookDeliverer.Answer {
        try await deliverer.deliver(
            body, to: "\(baseURL)/webhooks/\(source)", source: self.source(source), messageID: messageID,
            timestamp: timestamp, extraHeaders: extraHeaders)
    }

    /// The audit log's records, once everything submitted is written.
    package func auditRecords() async throws -> [AuditRecord] {
        _ = await running.store.flush()
        return try AuditLogReading.records(auditPath)
    }

    /// Waits until every received event has a terminal line for each of its targets.
    package func settled(timeout: Duration = .seconds(20)) async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        try await eventually(timeout: timeout, "every received event to finish at every target") {
            records = try await auditRecords()
            return AuditInvariant.unfinished(records).isEmpty && running.store.occupancy.jobs == 0
        }
        return records
    }

    /// How many times the audit log has rotated.
    package var rotations: Int { (running.store as? FileStore)?.journal.writer.rotations ?? 0 }
}

/// Waits until every event received by any of `instances` has a terminal line for each of its
/// targets in one of their logs — the promise over the union of a fleet's logs.
package func settled(across instances: [TestHookline], timeout: Duration = .seconds(20)) async throws -> [AuditRecord] {
    var records: [AuditRecord] = []
    try await eventually(timeout: timeout, "every received event to finish at every target, over the fleet's logs") {
        records = try await union(of: instances)
        return AuditInvariant.unfinished(records).isEmpty && instances.allSatisfy { $0.running.store.occupancy.jobs == 0 }
    }
    return records
}

/// The records of every instance's log, merged by time (as `hookline tail` merges files).
package func union(of instances: [TestHookline]) async throws -> [AuditRecord] {
    var logs: [[AuditRecord]] = []
    for instance in instances { logs.append(try await instance.auditRecords()) }
    return AuditLogMerge.merged(logs)
}

/// Runs Hookline for the length of `body` without workers: jobs stay in the queue for the test
/// to read. `group` runs its listener (default: the process-wide one the other tests share).
package func withHookline<Result: Sendable>(
    directory: TemporaryDirectory? = nil,
    group: (any EventLoopGroup)? = nil,
    yaml makeYAML: (String) -> String = { TestConfiguration.yaml(auditPath: $0) },
    _ body: (TestHookline) async throws -> Result
) async throws -> Result {
    let directory = try directory ?? TemporaryDirectory()
    let configuration = try TestConfiguration.make(makeYAML(directory.file("audit.jsonl")))
    let options = HooklineRuntime.Options(workers: false, eventLoops: group ?? MultiThreadedEventLoopGroup.singleton)
    return try await withRunningHookline(configuration, options: options) { running in
        try await body(TestHookline(running: running, directory: directory))
    }
}

/// Runs Hookline for the length of `body` with its workers applying events to `sandbox`.
package func withApplyingHookline<Result: Sendable>(
    to sandbox: SandboxCRM,
    directory: TemporaryDirectory? = nil,
    inlinePatchDepth: Int = WebhookIngest.defaultInlinePatchDepth,
    yaml makeYAML: (_ auditPath: String, _ targetBase: String) -> String = { TestConfiguration.yaml(auditPath: $0, targetBase: $1) },
    tracing: HooklineTracing? = nil,
    _ body: (TestHookline) async throws -> Result
) async throws -> Result {
    let directory = try directory ?? TemporaryDirectory()
    let configuration = try TestConfiguration.make(makeYAML(directory.file("audit.jsonl"), sandbox.baseURL))
    var options = HooklineRuntime.Options(inlinePatchDepth: inlinePatchDepth, eventLoops: MultiThreadedEventLoopGroup.singleton)
    options.tracing = tracing
    return try await withRunningHookline(configuration, options: options) { running in
        try await body(TestHookline(running: running, directory: directory))
    }
}

/// Learned ids given by a test.
package struct KnownReferences: ReferenceLookup {
    private var ids: [String: String] = [:]

    package init(_ entries: [(target: String, key: String, id: String)] = []) {
        for entry in entries { ids["\(entry.target)\u{1F}\(entry.key)"] = entry.id }
    }

    package func reference(target: String, key: String) -> String? { ids["\(target)\u{1F}\(key)"] }
}
