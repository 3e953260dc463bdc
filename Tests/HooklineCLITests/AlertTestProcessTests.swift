import Foundation
import HooklineCore
import HooklineSandbox
import HooklineTestSupport
import Testing

/// `hookline alert-test` and `check-config` with alerts, as an operator runs them.
@Suite("hookline alert-test, as a process", .serialized, .timeLimit(.minutes(1)))
struct AlertTestProcessTests {
    static let slackToken = "xoxTokenInThePath"

    static func configurationFile(directory: String, sandbox: String) throws -> (path: String, environment: [String: String]) {
        let (base, environment) = try OperateProcessTests.configurationFile(directory: directory, auditPath: "\(directory)/audit.jsonl")
        let yaml = try String(contentsOfFile: base, encoding: .utf8) + """

            alerts:
              channels:
                - {name: ops, kind: webhook, url: "\(sandbox)/alerts/ops", secret: "${ALERT_SECRET}"}
                - {name: chat, kind: slack, url: "${SLACK_URL}"}
                - {name: down, kind: slack, url: "http://127.0.0.1:9/nothing-listens"}
              rules:
                - {when: consecutive_failures, warn_at: 10, pause_at: 50, to: [ops, chat]}
                - {name: slow, when: oldest_waiting, above: 15m, to: [ops], repeat_every: 1h}
            """
        let path = "\(directory)/alerts.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        var all = environment
        all["ALERT_SECRET"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        all["SLACK_URL"] = "\(sandbox)/alerts/slack/T0/B0/\(slackToken)"
        return (path, all)
    }

    @Test("alert-test sends a signed test alert to one channel or to each, says what each answered, and fails naming the one that did not")
    func sendsTests() async throws {
        let directory = try PauseProcessTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(200, on: "/alerts/", count: .max))
            let (path, environment) = try Self.configurationFile(directory: directory, sandbox: sandbox.baseURL)

            let one = try await ServeProcessTests.run(["alert-test", "ops", "--config", path], environment: environment)
            #expect(one.status == 0, "\(one.output)\(one.error)")
            #expect(one.output.contains("ops (webhook): sent, 127.0.0.1:\(sandbox.port) answered 200"), "\(one.output)")
            let sent = try #require(sandbox.requests(pathPrefix: "/alerts/ops").first)
            let verifier = try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
            #expect(verifier.verify(body: sent.body, headers: HeaderList(sent.headers), receivedAt: .now()) == .verified(secretIndex: 0))
            #expect(sent.json?["rule"]?.stringValue == "alert-test")
            #expect(sent.json?["summary"]?.stringValue?.contains("a test from `hookline alert-test`") == true)

            let all = try await ServeProcessTests.run(["alert-test", "--config", path], environment: environment)
            #expect(all.status == 1, "\(all.output)\(all.error)")
            #expect(all.output.contains("chat (slack): sent"), "\(all.output)")
            #expect(all.output.contains("down (slack): not sent: down (127.0.0.1:9) could not be reached"), "\(all.output)")
            #expect(all.error.contains("the test alert did not reach down"), "\(all.error)")
            #expect(!(all.output + all.error).contains(Self.slackToken), "a Slack URL's token is never printed")
            #expect(sandbox.requests(pathPrefix: "/alerts/slack").first?.json?["text"]?.stringValue?.hasPrefix("Hookline [firing] alert-test") == true)

            let unknown = try await ServeProcessTests.run(["alert-test", "pager", "--config", path], environment: environment)
            #expect(unknown.status == 2)
            #expect(unknown.error.contains("no channel named 'pager' in \(path) (channels: ops, chat, down)"), "\(unknown.error)")

            let check = try await ServeProcessTests.run(["check-config", path], environment: environment)
            #expect(check.status == 0, "\(check.error)")
            #expect(check.output.contains("alerts to  ops (webhook) at 127.0.0.1:\(sandbox.port), signed as Standard Webhooks"), "\(check.output)")
            #expect(check.output.contains("alerts to  chat (slack) at 127.0.0.1:\(sandbox.port)"), "\(check.output)")
            #expect(check.output.contains("alert      consecutive_failures: target * fails 10 attempts in a row (warning); paused at 50 → ops, chat"), "\(check.output)")
            #expect(check.output.contains("alert      slow: an event waits at target * longer than 15m → ops, again every 1h while it holds"), "\(check.output)")
            #expect(!check.output.contains(Self.slackToken) && !check.output.contains("MfKQ9r8G"), "no secret or token in check-config")

            // A console on every interface without TLS in front is warned about.
            let open = try String(contentsOfFile: path, encoding: .utf8)
                + "\nconsole:\n  listen: 0.0.0.0:9090\n  tokens: [{name: a, sha256: \"\(SHA256Digest.hex("hlc_x"))\"}]\n"
            try open.write(toFile: path, atomically: true, encoding: .utf8)
            let warned = try await ServeProcessTests.run(["check-config", path], environment: environment)
            #expect(warned.status == 0)
            #expect(warned.output.contains("console    http://0.0.0.0:9090 — tokens: a (viewer)"), "\(warned.output)")
            #expect(warned.output.contains("warning    the console listens on 0.0.0.0 without an https public_url"), "\(warned.output)")
        }
    }
}
