import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

/// `hookline demo` and `hookline replay` run as a user runs them.
@Suite("hookline demo and replay, as processes", .timeLimit(.minutes(2)))
struct OperateProcessTests {
    static let fixtures = ServeProcessTests.repository.appendingPathComponent("Fixtures").path

    @Test("hookline demo prints the table and exits 0")
    func demo() async throws {
        let directory = NSTemporaryDirectory() + "hookline-demo-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let finished = try await ServeProcessTests.run(["demo", "--audit", "\(directory)/audit.jsonl"], environment: [:])
        #expect(finished.status == 0, "\(finished.output)\(finished.error)")
        #expect(finished.output.contains("FIXTURE"))
        #expect(finished.output.contains("25 fixtures: all as expected"))
        #expect(finished.output.contains("Audit log: \(directory)/audit.jsonl"))
        #expect(!finished.output.contains("\u{1B}["), "no colour codes when not on a terminal")
    }

    /// Writes the test configuration to a file and returns its path and the environment it needs.
    static func configurationFile(directory: String, auditPath: String) throws -> (path: String, environment: [String: String]) {
        let yaml = """
            audit: {path: "\(auditPath)"}
            sources:
              - {name: buildr, kind: buildr, signature: {scheme: hmac, header: X-Buildr-Signature, secret: "${B}"}, id_header: X-Buildr-Delivery}
              - {name: plannr, kind: plannr, signature: {scheme: plannr, secret: "${P}"}}
              - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "${S}"}}
            targets:
              - {name: omnichannel, kind: omnichannel, base_url: "http://127.0.0.1:9/omnichannel", api_key: k}
            routes:
              - {from: buildr, to: omnichannel}
              - {from: plannr, to: omnichannel}
              - {from: standard, to: omnichannel}
            """
        let path = "\(directory)/replay.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, ["B": "buildr-secret", "P": String(repeating: "p", count: 60), "S": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    }

    @Test("replay --to: 202s on the first run, duplicates on the second")
    func replayTo() async throws {
        let directory = NSTemporaryDirectory() + "hookline-replay-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, environment) = try Self.configurationFile(directory: directory, auditPath: "\(directory)/receiver.jsonl")
        // The receiver: the same configuration, in this process, with no workers (jobs wait).
        var configuration = try ConfigurationLoader.load(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path, environment: environment)
        configuration.server.port = 0
        try await withRunningHookline(configuration, options: HooklineRuntime.Options(workers: false)) { receiver in
            let url = receiver.baseURL
            let files = ["\(Self.fixtures)/standard", "\(Self.fixtures)/plannr/account-created.json", "\(Self.fixtures)/buildr/contact-update-full.json"]

            let first = try await ServeProcessTests.run(["replay", "--config", path, "--to", url] + files, environment: environment)
            #expect(first.status == 0, "\(first.output)\(first.error)")
            let firstLines = first.output.split(separator: "\n").filter { $0.hasPrefix("2") }
            #expect(firstLines.count == 7)
            #expect(firstLines.allSatisfy { $0.hasPrefix("202 accepted evt_") })
            #expect(first.output.contains("7 sent: 202 accepted ×7"))

            let second = try await ServeProcessTests.run(["replay", "--config", path, "--to", url] + files, environment: environment)
            #expect(second.status == 0)
            let secondLines = second.output.split(separator: "\n").filter { $0.hasPrefix("2") }
            #expect(secondLines.count == 7)
            #expect(secondLines.allSatisfy { $0.hasPrefix("200 duplicate evt_") }, "\(second.output)")
        }
    }

    @Test("replay reports a file that fails to decode with its path and reason, and runs the rest")
    func replayReportsFailures() async throws {
        let directory = NSTemporaryDirectory() + "hookline-replay-bad-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, environment) = try Self.configurationFile(directory: directory, auditPath: "\(directory)/audit.jsonl")
        let truncated = "\(Self.fixtures)/invalid/truncated.json"
        let good = "\(Self.fixtures)/standard/contact-updated.json"
        let finished = try await ServeProcessTests.run(
            ["replay", "--config", path, "--dry-run", "--source", "standard", truncated, good], environment: environment)
        #expect(finished.status == 1)
        #expect(finished.output.contains("\(truncated) (standard)\n  error: malformed JSON at byte 93: unterminated string"))
        #expect(finished.output.contains("\(good) (standard)\n  contact.updated for standard contact c_7f3a21\n    → omnichannel: PUT http://127.0.0.1:9/omnichannel/contacts/c_7f3a21"))
        #expect(finished.error.contains("1 of 2 bodies were not accepted"))
    }

    @Test("replay --dry-run shows an id with ESC, CR/LF and colour codes escaped, never raw")
    func dryRunEscapes() async throws {
        let directory = NSTemporaryDirectory() + "hookline-replay-hostile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, environment) = try Self.configurationFile(directory: directory, auditPath: "\(directory)/audit.jsonl")
        let body = "\(directory)/hostile.json"
        try #"{"type":"contact.updated","data":{"id":"c_9\u001b[2J\u001b[31m\r\nfake line\u009b1m","first_name":"Eve"}}"#
            .write(toFile: body, atomically: true, encoding: .utf8)
        let finished = try await ServeProcessTests.run(["replay", "--config", path, "--dry-run", "--source", "standard", body], environment: environment)
        #expect(finished.status == 0, "\(finished.error)")
        #expect(!finished.output.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) })
        #expect(finished.output.contains(#"contact.updated for standard contact c_9\e[2J\e[31m\r\nfake line\u{9b}1m"#), "\(finished.output)")
    }
}
