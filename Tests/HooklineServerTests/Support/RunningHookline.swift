import HooklineCore
import HooklineSandbox
import HooklineServer
import NIOCore
import NIOPosix

/// A Hookline started for one test, with helpers to deliver signed fixtures to it.
struct RunningHookline {
    let runtime: HooklineRuntime
    let directory: TemporaryDirectory
    let deliverer = WebhookDeliverer()
    /// The workers, when started.
    let workers: Task<Void, Never>?

    var auditPath: String { runtime.configuration.audit.path }
    var baseURL: String { "http://127.0.0.1:\(runtime.port)" }

    /// Starts Hookline without workers: jobs stay in the queue for the test to read.
    /// `group` runs its listener (default: the process-wide one the other tests share).
    static func start(
        directory: TemporaryDirectory? = nil,
        group: (any EventLoopGroup)? = nil,
        _ makeYAML: (String) -> String = { TestConfiguration.yaml(auditPath: $0) }
    ) async throws -> RunningHookline {
        let directory = try directory ?? TemporaryDirectory()
        let configuration = try TestConfiguration.make(makeYAML(directory.file("audit.jsonl")))
        let runtime = try await HooklineRuntime.start(configuration: configuration, group: group ?? MultiThreadedEventLoopGroup.singleton)
        return RunningHookline(runtime: runtime, directory: directory, workers: nil)
    }

    /// Starts Hookline with its workers applying events to the sandbox at `sandbox`.
    static func startApplying(
        to sandbox: SandboxCRM,
        directory: TemporaryDirectory? = nil,
        inlinePatchDepth: Int = WebhookIngest.defaultInlinePatchDepth,
        _ makeYAML: (_ auditPath: String, _ targetBase: String) -> String = { TestConfiguration.yaml(auditPath: $0, targetBase: $1) }
    ) async throws -> RunningHookline {
        let directory = try directory ?? TemporaryDirectory()
        let configuration = try TestConfiguration.make(makeYAML(directory.file("audit.jsonl"), sandbox.baseURL))
        let runtime = try await HooklineRuntime.start(configuration: configuration, inlinePatchDepth: inlinePatchDepth)
        let workers = Task { await runtime.run() }
        return RunningHookline(runtime: runtime, directory: directory, workers: workers)
    }

    func source(_ name: String) -> SourceSettings {
        guard let source = runtime.configuration.source(named: name) else { preconditionFailure("no source \(name) in the test configuration") }
        return source
    }

    /// Signs and POSTs `body` to `/webhooks/{source}`.
    func deliver(
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
    func auditRecords() async throws -> [AuditRecord] {
        _ = await runtime.audit.flush()
        return try AuditLogReading.records(auditPath)
    }

    func stop() async {
        await runtime.stop()
        await workers?.value
    }

    /// Waits until every received event has a terminal line for each of its targets.
    func settled(timeout: Duration = .seconds(20)) async throws -> [AuditRecord] {
        var records: [AuditRecord] = []
        try await eventually(timeout: timeout, "every received event to finish at every target") {
            records = try await auditRecords()
            return AuditInvariant.unfinished(records).isEmpty && runtime.queue.count == 0
        }
        return records
    }
}
