import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

/// `hookline serve` behind a pretend proxy (this process, from 127.0.0.1), on both stores: the
/// client address comes from X-Forwarded-For only because 127.0.0.1 is a trusted proxy, the
/// allow list is checked against that client, and both lines and the JSON log carry it.
@Suite("who may call, as a process", .serialized, .timeLimit(.minutes(3)))
struct WhoMayCallProcessTests {
    static func yaml(port: Int, directory: String, sandbox: SandboxCRM, store: String?) -> String {
        """
        server: {host: 127.0.0.1, port: \(port), trusted_proxies: [127.0.0.1]}
        audit: {path: "\(directory)/audit.jsonl"}
        \(store ?? "")
        sources:
          - name: standard
            kind: standard
            allow: [203.0.113.0/24]
            signature: {scheme: standard-webhooks, secret: "\(LoadHarness.secret)"}
        targets:
          - {name: omnichannel, kind: omnichannel, base_url: "\(sandbox.baseURL)/omnichannel", api_key: omni-key, timeout: 1s}
        routes:
          - {from: standard, to: omnichannel, contact_id: source_id}
        """
    }

    @Test("the forwarded client is allowed or refused, and named in the received and rejected lines and the log", arguments: ["file", "postgres"])
    func behindAProxy(store: String) async throws {
        let storeLine = try await PostgresCluster.storeLine(for: store)
        let directory = try TemporaryDirectory()
        try await withSandboxCRM { sandbox in
            let port = try ServeProcessTests.freePort()
            let yaml = Self.yaml(port: port, directory: directory.path, sandbox: sandbox, store: storeLine)
            try yaml.write(toFile: directory.file("hookline.yaml"), atomically: true, encoding: .utf8)
            let source = try ConfigurationLoader.load(yaml: yaml, file: directory.file("hookline.yaml"), environment: [:]).sources[0]
            let check = try await ServeProcessTests.run(["check-config", directory.file("hookline.yaml")], environment: [:])
            #expect(check.output.contains("  proxies    X-Forwarded-For names the client only from 127.0.0.1/32"), "\(check.output)")
            #expect(check.output.contains("             only from 203.0.113.0/24; others are refused 403"))
            let serve = try await ServeProcess.start(config: directory.file("hookline.yaml"), log: directory.file("serve.log"), port: port)
            defer { serve.killNow() }
            let url = "http://127.0.0.1:\(port)/webhooks/standard"
            let allowed = try await WebhookDeliverer().deliver(
                LoadHarness.body("144", 1), to: url, source: source, extraHeaders: [HeaderField(name: "X-Forwarded-For", value: "6.6.6.6, 203.0.113.9")])
            #expect(allowed.status == 202)
            let refused = try await WebhookDeliverer().deliver(
                LoadHarness.body("144", 2), to: url, source: source, extraHeaders: [HeaderField(name: "X-Forwarded-For", value: "203.0.113.9, 198.51.100.4")])
            #expect(refused.status == 403)
            try await eventuallyTrue { try RedriveProcessTests.outcomes(directory.file("audit.jsonl"), event: allowed.eventID).last == .applied }
            #expect(await serve.terminate() == 0)

            var lines: [AuditRecord] = []
            _ = try AuditLogReader.forEachRecord(in: directory.file("audit.jsonl")) { lines.append($0) }
            #expect(lines.first { $0.outcome == .received }?.remote == "203.0.113.9")
            let rejected = try #require(lines.first { $0.outcome == .rejected })
            #expect(rejected.remote == "198.51.100.4" && rejected.reason == "address_not_allowed" && rejected.status == 403)
            let log = try String(contentsOfFile: directory.file("serve.log"), encoding: .utf8)
            #expect(log.contains(#""remote":"203.0.113.9""#) && log.contains(#""remote":"198.51.100.4""#), "\(log.suffix(1500))")
        }
    }
}
