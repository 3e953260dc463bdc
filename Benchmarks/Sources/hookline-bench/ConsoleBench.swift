import ArgumentParser
import AsyncHTTPClient
import Foundation
import HooklineConsole
import HooklineCore
import HooklineServer
import NIOCore

/// Times the console's answers on a big audit log (`generate-log`), over loopback HTTP as a
/// browser or the CLI would ask: the events page, a page of one contact's events, an event's
/// detail, and how long the first index build takes; the process's resident memory after.
struct ConsoleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "console", abstract: "Time the console's pages on an audit log.")

    @Argument(help: "The audit log (made by generate-log; a start recovers it and indexes it).")
    var path: String

    @Option(help: "Requests of each kind.")
    var requests = 200

    @Option(help: "Use this PostgreSQL store (its tables loaded by Benchmarks/console-postgres.sh); the path is then this instance's own audit log.")
    var postgres: String?

    func run() async throws {
        let token = "hlc_bench"
        let configuration = try ConfigurationLoader.load(
            yaml: """
                server: {port: 0}
                audit: {path: "\(path)", fsync: none, rotate_bytes: 0}
                \(postgres.map { "store: {kind: postgres, url: \"\($0)\"}" } ?? "")
                queue: {workers: 1, capacity: 1000000}
                sources:
                  - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
                targets:
                  - {name: omnichannel, kind: omnichannel, base_url: "http://127.0.0.1:9/omnichannel", api_key: k}
                routes:
                  - {from: standard, to: omnichannel}
                console:
                  listen: 127.0.0.1:0
                  tokens: [{name: bench, role: operator, sha256: "\(SHA256Digest.hex(token))"}]
                """, file: "(bench)", environment: [:])
        guard let settings = configuration.console else { return }
        // Event ids to ask for, spread over the whole log (with PostgreSQL: taken from the
        // contacts' pages).
        var events: [String] = []
        if postgres == nil {
            var lines = 0
            _ = try AuditLogReader.forEachLine(in: path) { line, _ in
                lines += 1
                if lines % 2003 == 0, let summary = AuditLineScanner.scan(line), summary.outcome == .received, let event = summary.event { events.append(event) }
            }
            print("log: \(lines) lines, \(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0) bytes")
            // The index from nothing, as a first start on an existing log builds it.
            try? FileManager.default.removeItem(atPath: AuditIndexer.indexPath(of: path))
            let started = ContinuousClock.now
            AuditIndexer(logPath: path, logger: .init(label: "bench")).pass(all: true)
            let indexBytes = try FileManager.default.attributesOfItem(atPath: AuditIndexer.indexPath(of: path))[.size] as? Int ?? 0
            print("index built from nothing: \(format((ContinuousClock.now - started).secondsValue)) s, \(indexBytes / 1_048_576) MB on disk; resident memory \(residentMegabytes()) MB")
        }
        try await withRunningHookline(configuration, options: HooklineRuntime.Options(workers: false)) { running in
            print("resident memory with the log recovered: \(residentMegabytes()) MB")
            let console = try await ConsoleService.start(running: running, settings: settings, logger: .init(label: "bench"))
            let base = "http://127.0.0.1:\(console.port)"
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { _ = client.shutdown() }
            var seen: [String] = []
            func time(_ label: String, _ urls: [String]) async throws {
                var took: [Double] = []
                for url in urls {
                    var request = HTTPClientRequest(url: base + url)
                    request.headers.add(name: "authorization", value: "Bearer \(token)")
                    let start = ContinuousClock.now
                    let response = try await client.execute(request, timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 16 << 20)
                    took.append((ContinuousClock.now - start).secondsValue * 1000)
                    guard response.status == .ok else { throw ValidationError("\(url): \(response.status): \(String(buffer: body))") }
                    if seen.count < 1000, let json = try? JSONParser.parse(Array(body.readableBytesView)), let listed = json["events"]?.arrayValue {
                        seen += listed.compactMap { $0["id"]?.stringValue }.prefix(3)
                    }
                }
                let first = took.first ?? 0
                took.sort()
                let p95 = took[min(took.count - 1, Int(Double(took.count) * 0.95))]
                print("\(label): p50 \(format(took[took.count / 2])) ms, p95 \(format(p95)) ms, max \(format(took.last ?? 0)) ms (\(took.count) requests; the first \(format(first)) ms)")
            }
            let count = requests
            try await time("events page (newest 50)", (0..<count).map { _ in "/api/events" })
            try await time("events page as HTML", (0..<count).map { _ in "/events" })
            try await time("a contact's events (50)", (0..<count).map { "/api/events?contact=c_\(($0 * 37) % 5000)" })
            try await time("targets (health over the last day)", (0..<min(count, 50)).map { _ in "/api/targets" })
            if events.isEmpty { events = seen }
            try await time("an event's detail", (0..<count).map { "/api/events/\(events[$0 % max(1, events.count)])" })
            try await time("an event's page as HTML", (0..<count).map { "/events/\(events[$0 % max(1, events.count)])" })
            print("resident memory after: \(residentMegabytes()) MB")
            try await client.shutdown()
        }
    }

    private func format(_ value: Double) -> String { String(format: "%.1f", value) }

    private func residentMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }
}
