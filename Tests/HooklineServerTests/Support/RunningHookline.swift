import HooklineCore
import HooklineServer

/// A Hookline started for one test, with helpers to deliver signed fixtures to it.
struct RunningHookline {
    let runtime: HooklineRuntime
    let directory: TemporaryDirectory
    let deliverer = WebhookDeliverer()

    var auditPath: String { runtime.configuration.audit.path }
    var baseURL: String { "http://127.0.0.1:\(runtime.port)" }

    static func start(
        directory: TemporaryDirectory? = nil,
        _ makeYAML: (String) -> String = { TestConfiguration.yaml(auditPath: $0) }
    ) async throws -> RunningHookline {
        let directory = try directory ?? TemporaryDirectory()
        let configuration = try TestConfiguration.make(makeYAML(directory.file("audit.jsonl")))
        let runtime = try await HooklineRuntime.start(configuration: configuration)
        return RunningHookline(runtime: runtime, directory: directory)
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
    }
}
