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

/// Several `hookline serve` processes on one PostgreSQL database, a sandbox target in this
/// process, and senders that behave like real ones — per contact, update k+1 only after update
/// k got a 2xx; each delivery to a random instance; any failure retried (to any instance) with
/// the same message id.
final class FleetHarness: Sendable {
    static let contacts = LoadHarness.contacts
    /// The contacts this fleet's senders update.
    let contacts: [String]
    let directory: String
    let cluster: PostgresCluster
    let database: String
    let sandbox: SandboxCRM
    let ports: [Int]
    private let processes: Mutex<[Process?]>
    /// Event ids the fleet answered 2xx with, by message id.
    let acknowledged = Mutex<[String: String]>([:])
    let source: SourceSettings

    func auditPath(_ instance: Int) -> String { "\(directory)/audit-\(instance).jsonl" }
    func configPath(_ instance: Int) -> String { "\(directory)/hookline-\(instance).yaml" }

    /// Instances stopped with SIGSTOP: the load balancer sends them nothing until they continue.
    private let frozen = Mutex<Set<Int>>([])
    /// For the instances made with `proxied`: the proxy their database connections go through
    /// (to cut them off), and the one their calls to the target go through (to see when they call).
    let databaseProxies: [Int: TCPProxy]
    let targetProxies: [Int: TCPProxy]

    init(
        instances: Int = 2, lease: String = "3s", adoptAfter: String = "1h", targetDelay: Duration = .milliseconds(20), fsync: String = "none",
        targetTimeout: String = "1s", contacts: [String] = FleetHarness.contacts, proxied: Set<Int> = [], secondTarget: Set<Int> = [],
        ownCluster: Bool = false
    ) async throws {
        self.contacts = contacts
        directory = NSTemporaryDirectory() + "hookline-fleet-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        cluster = try await ownCluster ? PostgresCluster.dedicated() : PostgresCluster.shared()
        database = try await cluster.createDatabase()
        sandbox = try await SandboxCRM.start(configuration: SandboxConfiguration(createUnknownContacts: true))
        sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(targetDelay), count: .max))
        ports = try (0..<instances).map { _ in try ServeProcessTests.freePort() }
        processes = Mutex(Array(repeating: nil, count: instances))
        let (databasePort, sandboxPort) = (cluster.port, sandbox.port)
        databaseProxies = try Dictionary(uniqueKeysWithValues: proxied.map { ($0, try TCPProxy(upstreamPort: databasePort)) })
        targetProxies = try Dictionary(uniqueKeysWithValues: proxied.map { ($0, try TCPProxy(upstreamPort: sandboxPort)) })
        var source: SourceSettings?
        let directory = self.directory
        for instance in 0..<instances {
            let auditPath = "\(directory)/audit-\(instance).jsonl"
            let configPath = "\(directory)/hookline-\(instance).yaml"
            var url = cluster.url(database)
            if let proxy = databaseProxies[instance] { url = url.replacingOccurrences(of: ":\(cluster.port)/", with: ":\(proxy.port)/") }
            var yaml = LoadHarness.yaml(
                port: ports[instance], drainTimeout: "5s", auditPath: auditPath, fsync: fsync, sandbox: sandbox,
                store: "store: {kind: postgres, url: \"\(url)\", pool_size: 6, lease: \(lease), adopt_after: \(adoptAfter)}",
                targetTimeout: targetTimeout)
            if let proxy = targetProxies[instance] { yaml = yaml.replacingOccurrences(of: sandbox.baseURL, with: "http://127.0.0.1:\(proxy.port)") }
            if secondTarget.contains(instance) {
                // A newer configuration: one more target, and a route to it (a rolling update that adds them).
                yaml = yaml.replacingOccurrences(
                    of: "\nroutes:\n",
                    with: "\n  - {name: omnichannel_b, kind: omnichannel, base_url: \"\(sandbox.baseURL)/omnichannel-b\", api_key: omni-key, timeout: \(targetTimeout)}\nroutes:\n")
                yaml += "\n  - {from: standard, to: omnichannel_b, contact_id: source_id}\n"
            }
            try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
            source = try ConfigurationLoader.load(yaml: yaml, file: configPath, environment: [:]).sources[0]
        }
        guard let source else { throw ProcessTestError("no instances") }
        self.source = source
    }

    /// Starts instance `index` and waits until it answers; `environment` is added to the test's.
    func start(_ index: Int, environment: [String: String] = [:]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServeProcessTests.binary())
        process.arguments = ["serve", "--config", configPath(index), "--log-format", "json"]
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        // O_APPEND: every run of the instance adds to one log.
        let descriptor = Glibc.open("\(directory)/serve-\(index).log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ProcessTestError("cannot open serve-\(index).log: errno \(errno)") }
        process.standardError = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try processes.withLock { processes in
            if let running = processes[index], running.isRunning { throw ProcessTestError("instance \(index) is already running") }
            try process.run()
            processes[index] = process
        }
        try await eventuallyTrue(timeout: .seconds(30)) {
            guard process.isRunning else { throw ProcessTestError("instance \(index) exited (\(process.terminationStatus)):\n\(self.serveLog(index).suffix(1500))") }
            return (try? await HTTPGet.status("http://127.0.0.1:\(self.ports[index])/healthz")) == 200
        }
    }

    /// The name instance `index` goes by in the fleet (beside its audit log).
    func instanceName(_ index: Int) throws -> String {
        try String(contentsOfFile: auditPath(index) + ".instance", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One series of instance `index`'s `/metrics`, or nil.
    func metric(_ index: Int, _ series: String) async throws -> Double? {
        let text = try await HTTPGet.fetch("http://127.0.0.1:\(ports[index])/metrics").body
        return text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// What instance `index` logged (its process log, not its audit log).
    func serveLog(_ index: Int) -> String { (try? String(contentsOfFile: "\(directory)/serve-\(index).log", encoding: .utf8)) ?? "" }

    /// SIGKILL instance `index`: no chance to flush, drain or give its leases back.
    func kill(_ index: Int) async {
        guard let process = processes.withLock({ $0[index] }) else { return }
        await process.killed()
    }

    /// SIGSTOP instance `index`: it holds its leases, connections and jobs, and does nothing —
    /// a paused VM, a debugger, a stalled kernel — until `thaw`.
    func freeze(_ index: Int) {
        guard let process = processes.withLock({ $0[index] }) else { return }
        frozen.withLock { _ = $0.insert(index) }
        Glibc.kill(process.processIdentifier, SIGSTOP)
    }

    /// Whether instance `index` is stopped (it stopped itself at a `HOOKLINE_STALL_AT` point, or
    /// was frozen); once it is, the senders leave it alone as they do a frozen one.
    func isStopped(_ index: Int) -> Bool {
        guard let process = processes.withLock({ $0[index] }),
            let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ")
        else { return false }
        let stopped = stat[afterName.upperBound...].hasPrefix("T")
        if stopped { frozen.withLock { _ = $0.insert(index) } }
        return stopped
    }

    /// SIGCONT instance `index`: it carries on from where it was stopped.
    func thaw(_ index: Int) {
        guard let process = processes.withLock({ $0[index] }) else { return }
        Glibc.kill(process.processIdentifier, SIGCONT)
        frozen.withLock { _ = $0.remove(index) }
    }

    /// SIGTERM instance `index`; its exit status.
    func terminate(_ index: Int) async -> Int32 {
        guard let process = processes.withLock({ $0[index] }) else { return -1 }
        return await process.terminated()
    }

    /// Sends `updates` updates to every contact, each delivery to a random instance.
    func send(updates: Int, onAcknowledged: @escaping @Sendable (Int) async -> Void) async throws {
        try await LoadHarness.send(
            updates: updates, to: contacts, source: source, patience: .seconds(90),
            url: { [self] in
                // As a load balancer with health checks would: to a running instance when there is one.
                var generator = SystemRandomNumberGenerator()
                let stopped = frozen.withLock { $0 }
                let running = processes.withLock { processes in
                    processes.indices.filter { processes[$0]?.isRunning == true && !stopped.contains($0) }
                }
                let port = ports[(running.isEmpty ? Array(ports.indices) : running).randomElement(using: &generator) ?? 0]
                return "http://127.0.0.1:\(port)/webhooks/standard"
            },
            acknowledge: { [self] messageID, event in
                acknowledged.withLock { acknowledged in
                    acknowledged[messageID] = event
                    return acknowledged.count
                }
            }, onAcknowledged: onAcknowledged)
    }

    /// `instance`'s log files: its archives, oldest first, then its live file.
    func logFiles(of instance: Int) throws -> [String] {
        let base = "audit-\(instance).jsonl"
        let archives = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix(base + ".") && !$0.hasSuffix(".sock") && !$0.hasSuffix(".next") && !$0.hasSuffix(".instance") }.sorted()
        return archives.map { "\(directory)/\($0)" } + [auditPath(instance)]
    }

    /// Every instance's log (and `also`, as if more logs: a dead instance's outbox), merged as
    /// `hookline tail` merges them: a committed line in two of them counts once.
    func records(also: [[AuditRecord]] = []) throws -> [AuditRecord] {
        var logs: [[AuditRecord]] = []
        for instance in ports.indices {
            var records: [AuditRecord] = []
            for path in try logFiles(of: instance) {
                _ = try AuditLogReader.forEachRecord(in: path) { records.append($0) }
            }
            logs.append(records)
        }
        return AuditLogMerge.merged(logs + also)
    }

    /// The lines of `instance`'s log files that mention `text`, as they are.
    func linesMentioning(_ text: String, instance: Int) -> [Substring] {
        ((try? logFiles(of: instance)) ?? []).flatMap { path in
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.contains(text) }
        }
    }

    /// The lines `instance` committed to the shared outbox and had not written to its own log
    /// (a SIGKILL can come between the two): what its restart, or its adoption by another
    /// instance after `store.adopt_after`, copies into a log.
    func outboxRecords(of instance: Int) async throws -> [AuditRecord] {
        let name = try String(contentsOfFile: auditPath(instance) + ".instance", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let text = try await cluster.query(
            "SELECT convert_from(line, 'UTF8') FROM hookline_outbox WHERE instance = '\(name)' ORDER BY seq", database: database)
        return try text.split(separator: "\n").map { try AuditRecord(jsonLine: Array($0.utf8)) }
    }

    /// The first names the sandbox was sent for `contact`, in arrival order (answered 200).
    func appliedNames(_ contact: String) -> [Int] {
        sandbox.requests(pathPrefix: "/omnichannel/contacts/\(contact)").filter { $0.path == "/omnichannel/contacts/\(contact)" && $0.status == 200 }
            .compactMap { $0.json?["first_name"]?.stringValue }.compactMap { Int($0.dropFirst()) }
    }

    /// Applications of an update older than one the target already applied, per contact: what
    /// a fleet must never do.
    func regressions(_ contact: String) -> [(applied: Int, after: Int)] {
        var newest = 0
        var found: [(applied: Int, after: Int)] = []
        for name in appliedNames(contact) {
            if name < newest { found.append((name, newest)) }
            newest = max(newest, name)
        }
        return found
    }

    /// What the target saw for `contact` and what every instance logged about it, in time order:
    /// for a test's failure message.
    func history(of contact: String) throws -> String {
        let start = sandbox.requests.first?.receivedAt ?? .now
        let calls = sandbox.requests(pathPrefix: "/omnichannel/contacts/\(contact)").filter { $0.path == "/omnichannel/contacts/\(contact)" }
            .map { "  target +\($0.receivedAt - start): \($0.json?["first_name"]?.stringValue ?? "?") → \($0.status.map(String.init) ?? "dropped")" }
        var lines: [String] = []
        for instance in ports.indices {
            _ = try AuditLogReader.forEachRecord(in: auditPath(instance)) { record in
                guard record.contact == contact else { return }
                lines.append(
                    "  \(record.ts.rfc3339) [\(instance)] \(record.outcome.rawValue) \(record.event ?? "") #\(record.attempt ?? 0) \(record.status.map(String.init) ?? "") \(record.ms.map { "\($0)ms" } ?? "") \(record.reason ?? "") \(record.error ?? "")")
            }
        }
        return "\(contact):\n" + calls.joined(separator: "\n") + "\n" + lines.sorted().joined(separator: "\n") + "\n" + serveLogTail()
    }

    private func serveLogTail() -> String {
        ports.indices.map { "serve \($0):\n" + serveLog($0).split(separator: "\n").filter { $0.contains("warning") || $0.contains("error") || $0.contains("notice") }.suffix(15).joined(separator: "\n") }.joined(separator: "\n")
    }

    /// Runs a test's `body` on this fleet, then cleans up, whether it threw or not.
    func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()
    }

    private func cleanUp() async {
        for index in ports.indices { thaw(index) }
        for proxy in Array(databaseProxies.values) + Array(targetProxies.values) { proxy.stop() }
        for process in processes.withLock({ $0 }) {
            if let process { await process.killed() }
        }
        await sandbox.stop()
        if ProcessInfo.processInfo.environment["HOOKLINE_KEEP_FLEET"] == nil { try? FileManager.default.removeItem(atPath: directory) }
    }
}
