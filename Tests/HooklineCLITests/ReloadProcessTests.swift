import AsyncHTTPClient
import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hookline reload` and SIGHUP, as an operator uses them, while signed deliveries keep coming.
@Suite("reloading the configuration, as a process", .serialized, .timeLimit(.minutes(3)))
struct ReloadProcessTests {
    static let secondSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3ItcmVsb2FkLXRlc3Rz"

    /// The configuration with `secrets`, and a second target and route when `second`.
    static func yaml(port: Int, directory: String, sandbox: SandboxCRM, store: String?, secrets: [String], second: Bool, maxAttempts: Int = 20) -> String {
        """
        server: {host: 127.0.0.1, port: \(port)}
        audit: {path: "\(directory)/audit.jsonl"}
        \(store ?? "")
        queue: {workers: 4}
        retry: {base_delay: 50ms, max_delay: 200ms, max_attempts: \(maxAttempts)}
        sources:
          - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secrets: [\(secrets.map { "\"\($0)\"" }.joined(separator: ", "))]}}
        targets:
          - {name: omnichannel, kind: omnichannel, base_url: "\(sandbox.baseURL)/omnichannel", api_key: omni-key, timeout: 2s}
        \(second ? "  - {name: second, kind: omnichannel, base_url: \"\(sandbox.baseURL)/omnichannel-b\", api_key: omni-key, timeout: 2s}" : "")
        routes:
          - {from: standard, to: omnichannel, contact_id: source_id}
        \(second ? "  - {from: standard, to: second, contact_id: source_id}" : "")
        """
    }

    /// A sender's view of the source: it signs with `secret`.
    static func source(secret: String) throws -> SourceSettings {
        try ConfigurationLoader.load(
            yaml: """
                sources: [{name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "\(secret)"}}]
                targets: [{name: t, kind: omnichannel, base_url: "http://127.0.0.1:9", api_key: k}]
                routes: [{from: standard, to: t}]
                """, file: "sender.yaml", environment: [:]
        ).sources[0]
    }

    @Test("under signed load: a secret rotated, a target and route added, a retry changed, by reload and SIGHUP; refused and invalid files change nothing; no 5xx, nothing lost", arguments: ["file", "postgres"])
    func underLoad(store: String) async throws {
        let storeLine = try await PostgresCluster.storeLine(for: store, lease: "5s")
        let directory = try TemporaryDirectory()
        try await withSandboxCRM(configuration: SandboxConfiguration(createUnknownContacts: true)) { sandbox in
            // Calls take a while, so attempts are in flight when each reload lands.
            sandbox.inject(SandboxFault(pathPrefix: "/omnichannel", action: .delay(.milliseconds(15)), count: .max))
            let port = try ServeProcessTests.freePort()
            let config = directory.file("hookline.yaml")
            let path = directory.path
            let write: @Sendable (_ secrets: [String], _ second: Bool, _ maxAttempts: Int) throws -> Void = { [storeLine] secrets, second, maxAttempts in
                let yaml = Self.yaml(port: port, directory: path, sandbox: sandbox, store: storeLine, secrets: secrets, second: second, maxAttempts: maxAttempts)
                try yaml.write(toFile: config, atomically: true, encoding: .utf8)
            }
            try write([LoadHarness.secret], false, 20)
            let serve = try await ServeProcess.start(config: config, log: directory.file("serve.log"), port: port)
            defer { serve.killNow() }

            let tally = Tally(signer: try Self.source(secret: LoadHarness.secret))
            let pid = serve.process.processIdentifier
            let contacts = (1...8).map { "c\($0)" }
            let updates = 70
            let url = "http://127.0.0.1:\(port)/webhooks/standard"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for contact in contacts {
                    group.addTask {
                        for sequence in 1...updates {
                            do {
                                let answer = try await WebhookDeliverer().deliver(
                                    LoadHarness.body(contact, sequence), to: url, source: tally.signer.withLock { $0 }, timeout: .seconds(10))
                                tally.answers.withLock { $0[answer.status, default: 0] += 1 }
                                if let event = answer.eventID, answer.status == 202 { tally.accepted.withLock { $0.append(event) } }
                            } catch {
                                tally.failures.withLock { $0.append("\(contact) #\(sequence): \(error)") }
                            }
                            tally.sent.add(1, ordering: .relaxed)
                        }
                    }
                }
                group.addTask {
                    func reload() async throws -> ServeProcessTests.Finished {
                        try await ServeProcessTests.run(["reload", "--config", config, "--by", "test"], environment: [:])
                    }
                    func waitFor(_ count: Int) async throws { try await eventuallyTrue(timeout: .seconds(60)) { tally.sent.load(ordering: .relaxed) >= count } }

                    // 1. A second secret beside the first (hookline reload); senders move to it.
                    try await waitFor(60)
                    try write([LoadHarness.secret, Self.secondSecret], false, 20)
                    let rotated = try await reload()
                    #expect(rotated.status == 0, "\(rotated.output)\(rotated.error)")
                    #expect(rotated.output.contains("source standard: secrets (1 → 2)"), "\(rotated.output)")
                    tally.signer.withLock { $0 = try! Self.source(secret: Self.secondSecret) }
                    // 2. A target and its route added, the retry policy changed (SIGHUP).
                    try await waitFor(160)
                    try write([LoadHarness.secret, Self.secondSecret], true, 30)
                    kill(pid, SIGHUP)
                    try await eventuallyTrue {
                        (try? String(contentsOfFile: "\(path)/serve.log", encoding: .utf8))?.contains(#""target second added""#) == true
                    }
                    // 3. The old secret retired.
                    try await waitFor(260)
                    try write([Self.secondSecret], true, 30)
                    let retired = try await reload()
                    #expect(retired.status == 0 && retired.output.contains("secrets (2 → 1)"), "\(retired.output)\(retired.error)")
                    // 4. An invalid file, then a new port: refused, nothing changed.
                    try await waitFor(330)
                    try Self.yaml(port: port, directory: path, sandbox: sandbox, store: storeLine, secrets: [Self.secondSecret], second: true, maxAttempts: 30)
                        .replacingOccurrences(of: "kind: omnichannel, base_url", with: "kind: omnichanel, base_url")
                        .write(toFile: config, atomically: true, encoding: .utf8)
                    let invalid = try await reload()
                    #expect(invalid.status == 1 && invalid.error.contains("hookline.yaml:"), "\(invalid.output)\(invalid.error)")
                    #expect(invalid.error.contains("targets[0].kind"), "\(invalid.error)")
                    try Self.yaml(port: port + 1, directory: path, sandbox: sandbox, store: storeLine, secrets: [Self.secondSecret], second: true, maxAttempts: 30)
                        .write(toFile: config, atomically: true, encoding: .utf8)
                    let refused = try await reload()
                    #expect(refused.status == 1 && refused.output.contains("server: the listener address"), "\(refused.output)\(refused.error)")
                    try write([Self.secondSecret], true, 30)
                    let same = try await reload()
                    #expect(same.output.contains("nothing changed"), "\(same.output)\(same.error)")
                }
                try await group.waitForAll()
            }

            // No delivery was refused or failed for the reloads: every one was answered 202.
            #expect(tally.failures.withLock { $0 }.isEmpty, "\(tally.failures.withLock { $0 }.prefix(5))")
            #expect(tally.answers.withLock { $0 } == [202: contacts.count * updates], "\(tally.answers.withLock { $0 })")
            // Nothing lost: every accepted event ends at each of its targets, the new one included.
            let audit = directory.file("audit.jsonl")
            try await eventuallyTrue(timeout: .seconds(60)) {
                let records = try EraseProcessTests.records(audit)
                return LogPromises.problems(records).isEmpty && Set(records.filter { $0.outcome == .received }.compactMap(\.event)) == Set(tally.accepted.withLock { $0 })
            }
            let records = try EraseProcessTests.records(audit)
            let openings = records.filter { $0.outcome == .received }
            #expect(openings.count == contacts.count * updates)
            let routedToBoth = openings.filter { $0.targets == ["omnichannel", "second"] }
            #expect(routedToBoth.count > 0 && routedToBoth.count < openings.count, "deliveries after the reload go to the new target too")
            #expect(records.filter { $0.outcome == .applied && $0.target == "second" }.count == routedToBoth.count)
            #expect(!records.contains { [.failed, .dead].contains($0.outcome) })
            let metrics = try await HTTPGet.fetch("http://127.0.0.1:\(port)/metrics")
            #expect(metrics.body.contains(#"hookline_config_reloads_total{result="applied"} 3"#), "\(metrics.body)")
            #expect(metrics.body.contains(#"hookline_config_reloads_total{result="refused"} 1"#))
            #expect(metrics.body.contains(#"hookline_config_reloads_total{result="invalid"} 1"#))
            #expect(metrics.body.contains(#"hookline_config_reloads_total{result="unchanged"} 1"#))
            let hash = Hex.encode(SHA256Digest.hash(try FileBytes.read(config)))
            #expect(metrics.body.contains(#"hookline_config_info{sha256="\#(hash)"} 1"#))
            #expect(await serve.terminate() == 0)
        }
    }
}

extension ReloadProcessTests {
    /// A bearer GET's status.
    static func status(_ url: String, token: String) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return Int(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code)
    }

    @Test("a secret kept in a file (${file:…}) is read again by a reload, and console tokens change without a restart")
    func secretFileAndTokens() async throws {
        let directory = try TemporaryDirectory()
        try await withSandboxCRM(configuration: SandboxConfiguration(createUnknownContacts: true)) { sandbox in
            let port = try ServeProcessTests.freePort()
            let consolePort = try ServeProcessTests.freePort()
            let config = directory.file("hookline.yaml")
            let secretFile = directory.file("standard.secret")
            try "\(LoadHarness.secret)\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
            func write(token: String) throws {
                let yaml = Self.yaml(port: port, directory: directory.path, sandbox: sandbox, store: nil, secrets: ["${file:\(secretFile)}"], second: false)
                try (yaml + """

                    console:
                      listen: 127.0.0.1:\(consolePort)
                      tokens: [{name: ops, role: operator, sha256: "\(Hex.encode(SHA256Digest.hash(Array(token.utf8))))"}]
                    """).write(toFile: config, atomically: true, encoding: .utf8)
            }
            try write(token: "hlc_first_token")
            let serve = try await ServeProcess.start(config: config, log: directory.file("serve.log"), port: port)
            defer { serve.killNow() }
            let url = "http://127.0.0.1:\(port)/webhooks/standard"
            let first = try Self.source(secret: LoadHarness.secret)
            let second = try Self.source(secret: Self.secondSecret)
            #expect(try await WebhookDeliverer().deliver(LoadHarness.body("c1", 1), to: url, source: first).status == 202)
            let events = "http://127.0.0.1:\(consolePort)/api/events"
            #expect(try await Self.status(events, token: "hlc_first_token") == 200)

            // The secret file now holds the next secret; the console the next token.
            try "\(Self.secondSecret)\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
            try write(token: "hlc_second_token")
            let reloaded = try await ServeProcessTests.run(["reload", "--config", config], environment: [:])
            #expect(reloaded.status == 0, "\(reloaded.output)\(reloaded.error)")
            #expect(reloaded.output.contains("source standard: secrets (1 → 1)") && reloaded.output.contains("console token ops changed"), "\(reloaded.output)")
            #expect(try await WebhookDeliverer().deliver(LoadHarness.body("c1", 2), to: url, source: first).status == 401)
            #expect(try await WebhookDeliverer().deliver(LoadHarness.body("c1", 3), to: url, source: second).status == 202)
            #expect(try await Self.status(events, token: "hlc_first_token") == 401)
            #expect(try await Self.status(events, token: "hlc_second_token") == 200)

            // A secret file that cannot be read: the reload is refused as invalid, naming it.
            try FileManager.default.removeItem(atPath: secretFile)
            let missing = try await ServeProcessTests.run(["reload", "--config", config], environment: [:])
            #expect(missing.status == 1 && missing.error.contains("cannot read the file \(secretFile)"), "\(missing.output)\(missing.error)")
            #expect(try await WebhookDeliverer().deliver(LoadHarness.body("c1", 4), to: url, source: second).status == 202)
            #expect(await serve.terminate() == 0)
        }
    }
}

/// What the senders and the reloads share.
final class Tally: Sendable {
    let signer: Mutex<SourceSettings>
    let answers = Mutex<[Int: Int]>([:])
    let failures = Mutex<[String]>([])
    let accepted = Mutex<[String]>([])
    let sent = Atomic<Int>(0)

    init(signer: SourceSettings) { self.signer = Mutex(signer) }
}
