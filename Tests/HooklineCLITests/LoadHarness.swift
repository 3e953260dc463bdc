import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `hookline serve` as a child process, a sandbox target in this process, and senders that
/// behave like real ones: per contact, update k+1 only after update k got a 2xx; any failure is
/// retried with the same message id.
final class LoadHarness: Sendable {
    static let contacts = ["c_7f3a21", "48213", "c_0d91e4", "144", "2279", "2291", SandboxSeed.garethAccount, SandboxSeed.secondAccount]
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    let directory: String
    let configPath: String
    let port: Int
    let sandbox: SandboxCRM
    private let process = Mutex<Process?>(nil)
    /// Event ids Hookline answered 2xx with, by message id.
    let acknowledged = Mutex<[String: String]>([:])
    let source: SourceSettings

    var auditPath: String { "\(directory)/audit.jsonl" }

    init(drainTimeout: String = "5s", targetDelay: Duration = .milliseconds(30)) async throws {
        directory = NSTemporaryDirectory() + "hookline-load-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        sandbox = try await SandboxCRM.start()
        sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(targetDelay), count: .max))
        port = try ServeProcessTests.freePort()
        configPath = "\(directory)/hookline.yaml"
        let yaml = Self.yaml(port: port, drainTimeout: drainTimeout, auditPath: "\(directory)/audit.jsonl", fsync: "batch", sandbox: sandbox)
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        source = try ConfigurationLoader.load(yaml: yaml, file: configPath, environment: [:]).sources[0]
    }

    /// Starts `hookline serve` and waits until it answers.
    func startServer() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServeProcessTests.binary())
        process.arguments = ["serve", "--config", configPath]
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process.withLock { $0 = process }
        try await eventuallyTrue { (try? await HTTPGet.status("http://127.0.0.1:\(self.port)/healthz")) == 200 }
    }

    /// SIGKILL: no chance to flush, drain or say goodbye.
    func kill() async {
        guard let process = process.withLock({ $0 }) else { return }
        await process.killed()
    }

    /// SIGTERM, and the process's exit status and how long it took to exit.
    func terminate() async -> (status: Int32, seconds: Double) {
        guard let process = process.withLock({ $0 }) else { return (-1, 0) }
        let started = ContinuousClock.now
        let status = await process.terminated()
        return (status, (ContinuousClock.now - started).secondsValue)
    }

    /// The configuration of a harness instance: one standard source routed to the sandbox's
    /// omnichannel, quick retries, and `store` (a YAML `store:` line) when it is not the file.
    static func yaml(
        port: Int, drainTimeout: String, auditPath: String, fsync: String, sandbox: SandboxCRM, store: String? = nil, targetTimeout: String? = nil
    ) -> String {
        """
        server: {host: 127.0.0.1, port: \(port), drain_timeout: \(drainTimeout)}
        audit: {path: "\(auditPath)", fsync: \(fsync)}
        queue: {workers: 8}
        retry: {base_delay: 50ms, max_delay: 200ms, max_attempts: 20, max_age: 5m}
        \(store ?? "")
        \(sandbox.standardToOmnichannelYAML(secret: secret, timeout: targetTimeout))
        """
    }

    /// The body of update `sequence` to `contact`.
    static func body(_ contact: String, _ sequence: Int) -> [UInt8] {
        Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"v\#(sequence)"}}"#.utf8)
    }

    /// Sends `updates` updates to every contact; `onAcknowledged` is told the running count.
    func send(updates: Int, onAcknowledged: @escaping @Sendable (Int) async -> Void) async throws {
        let url = "http://127.0.0.1:\(port)/webhooks/standard"
        try await Self.send(
            updates: updates, source: source, patience: .seconds(60), url: { url },
            acknowledge: { [self] messageID, event in
                acknowledged.withLock { acknowledged in
                    acknowledged[messageID] = event
                    return acknowledged.count
                }
            }, onAcknowledged: onAcknowledged)
    }

    /// Sends `updates` updates to every contact, in order per contact, each delivery to `url()`
    /// and retried until a 2xx or `patience` runs out; `acknowledge` records a 2xx's event and
    /// returns the running count, which `onAcknowledged` is told.
    static func send(
        updates: Int, to contacts: [String] = contacts, source: SourceSettings, patience: Duration, url: @escaping @Sendable () -> String,
        acknowledge: @escaping @Sendable (_ messageID: String, _ event: String) -> Int,
        onAcknowledged: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let deliverer = WebhookDeliverer()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for contact in contacts {
                group.addTask {
                    for sequence in 1...updates {
                        let messageID = "msg_\(contact)_\(sequence)"
                        let deadline = ContinuousClock.now + patience
                        while true {
                            guard ContinuousClock.now < deadline else { throw ProcessTestError("\(messageID) was never acknowledged") }
                            if let answer = try? await deliverer.deliver(body(contact, sequence), to: url(), source: source, messageID: messageID, timeout: .seconds(5)),
                                (200..<300).contains(answer.status), let event = answer.eventID
                            {
                                await onAcknowledged(acknowledge(messageID, event))
                                break
                            }
                            try await Task.sleep(for: .milliseconds(20))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Every line of the log and its archives, in order.
    func records() throws -> [AuditRecord] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("audit.jsonl.") && !$0.hasSuffix(".sock") && !$0.hasSuffix(".next") }.sorted()
        var records: [AuditRecord] = []
        for path in names.map({ "\(directory)/\($0)" }) + [auditPath] {
            _ = try AuditLogReader.forEachRecord(in: path) { records.append($0) }
        }
        return records
    }

    func cleanUp() async {
        if let process = process.withLock({ $0 }) { await process.killed() }
        await sandbox.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The log's promises, checked over all its lines.
enum LogPromises {
    /// The same over several instances' logs: counted per (event, target), in any order.
    static func fleetProblems(_ records: [AuditRecord]) -> [String] {
        let ledger = AuditLedger(counting: records)
        return ledger.unopenedEnds.map { "\($0.key): more terminal lines than openings" } + ledger.unfinished.map { "\($0): no terminal line" }
    }

    /// Each opening (received or redriven) of an (event, target) ends in exactly one terminal line.
    static func problems(_ records: [AuditRecord]) -> [String] {
        let ledger = AuditLedger(records)
        return ledger.unopenedEnds.map { "\($0.key): a second terminal line (\($0.outcome.rawValue))" }
            + ledger.unfinished.map { "\($0): no terminal line" }
    }
}
