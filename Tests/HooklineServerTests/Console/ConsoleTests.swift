import AsyncHTTPClient
import HooklineConsole
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// The web console over real loopback HTTP: tokens, sessions, form tokens, pages, the API, actions.
@Suite("the web console", .serialized, .timeLimit(.minutes(2)))
struct ConsoleTests {
    static let operatorToken = "hlc_operator_token_for_tests"
    static let viewerToken = "hlc_viewer_token_for_tests"

    static func settings() -> ConsoleSettings {
        ConsoleSettings(
            host: "127.0.0.1", port: 0,
            tokens: [
                .init(name: "on-call", role: .operator, sha256: SHA256Digest.hash(Array(operatorToken.utf8))),
                .init(name: "ci", role: .viewer, sha256: SHA256Digest.hash(Array(viewerToken.utf8))),
            ])
    }

    /// A client that follows no redirect: the tests read them.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var json: JSONValue? { try? JSONParser.parse(Array(body.utf8)) }
    }

    /// One request; no redirect is followed.
    static func call(
        _ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], form: [(String, String)]? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            let body = form.map { "\($0.0)=\($0.1.addingPercentEncodingForForm)" }.joined(separator: "&")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    /// A running Hookline applying to the sandbox, with its console, for the length of `body`.
    static func withConsole(_ body: (TestHookline, String, SandboxCRM) async throws -> Void) async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(
                    auditPath: $0, targetBase: $1, retry: "{base_delay: 10ms, max_delay: 20ms, max_attempts: 2, max_age: 1m}",
                    routes: "  - {from: standard, to: omnichannel, contact_id: source_id}")
            }) { hookline in
                let console = try await ConsoleService.start(running: hookline.running, settings: settings(), logger: .init(label: "test"))
                let running = Task { await console.run() }
                defer { running.cancel() }
                try await body(hookline, "http://127.0.0.1:\(console.port)", sandbox)
            }
        }
    }

    static func update(_ contact: String, _ name: String) -> [UInt8] {
        Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"\#(name)","email":"\#(name.lowercased())@example.com"}}"#.utf8)
    }

    @Test("without a token: pages send to the sign-in, the API answers 401; every answer has the CSP and no-store")
    func signedOut() async throws {
        try await Self.withConsole { _, console, _ in
            let page = try await Self.call("\(console)/events")
            #expect(page.status == 303 && page.headers.first(name: "location") == "/login")
            let api = try await Self.call("\(console)/api/events")
            #expect(api.status == 401)
            let wrong = try await Self.call("\(console)/api/events", headers: [("authorization", "Bearer nope")])
            #expect(wrong.status == 401)
            let login = try await Self.call("\(console)/login")
            #expect(login.status == 200 && login.body.contains("<form method=\"post\" action=\"/login\""))
            let csp = try #require(login.headers.first(name: "content-security-policy"))
            #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
            #expect(login.headers.first(name: "cache-control") == "no-store")
            #expect(!login.body.contains("<script>"), "no inline script")
        }
    }

    @Test("the API lists events with each target's state, filters them, shows one, and masks its payload for a viewer")
    func apiEvents() async throws {
        try await Self.withConsole { hookline, console, sandbox in
            sandbox.inject(.status(500, on: "/omnichannel/contacts/c_0d91e4", count: .max))
            let applied = try #require(try await hookline.deliver(Self.update("c_7f3a21", "Rosalind"), to: "standard").eventID)
            let dead = try #require(try await hookline.deliver(Self.update("c_0d91e4", "Ezekiel"), to: "standard").eventID)
            _ = try await hookline.settled()
            let operatorAuth = [("authorization", "Bearer \(Self.operatorToken)")]
            let all = try await Self.call("\(console)/api/events", headers: operatorAuth)
            #expect(all.status == 200)
            let ids = all.json?["events"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
            #expect(ids == [dead, applied])
            let deadOnly = try await Self.call("\(console)/api/events?outcome=dead", headers: operatorAuth)
            #expect(deadOnly.json?["events"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [dead])
            let bad = try await Self.call("\(console)/api/events?outcome=exploded", headers: operatorAuth)
            #expect(bad.status == 400 && bad.body.contains("outcome: expected one of"))

            let full = try await Self.call("\(console)/api/events/\(applied)", headers: operatorAuth)
            #expect(full.json?["payload"]?["data"]?["first_name"]?.stringValue == "Rosalind")
            let viewer = try await Self.call("\(console)/api/events/\(applied)", headers: [("authorization", "Bearer \(Self.viewerToken)")])
            #expect(viewer.status == 200)
            #expect(viewer.json?["masked"] == .bool(true))
            #expect(viewer.json?["decoded"]?.stringValue == "updated of contact c_7f3a21: first_name, email", "names, never values")
            #expect(viewer.json?["payload"]?["data"]?["id"]?.stringValue == "c_7f3a21", "ids stay")
            #expect(!viewer.body.contains("Rosalind") && !viewer.body.contains("rosalind@example.com"), "values are masked")
            let missing = try await Self.call("\(console)/api/events/evt_nope", headers: operatorAuth)
            #expect(missing.status == 404)
        }
    }

    @Test("a viewer cannot act (403); an operator pauses and resumes a target and redrives an event, each written with who did it")
    func actions() async throws {
        try await Self.withConsole { hookline, console, sandbox in
            sandbox.inject(.status(500, on: "/omnichannel/contacts/c_0d91e4", count: 2))
            let dead = try #require(try await hookline.deliver(Self.update("c_0d91e4", "Ezekiel"), to: "standard").eventID)
            _ = try await hookline.settled()
            let viewer = [("authorization", "Bearer \(Self.viewerToken)")]
            let operatorAuth = [("authorization", "Bearer \(Self.operatorToken)")]
            #expect(try await Self.call("\(console)/api/targets/omnichannel/pause", method: .POST, headers: viewer).status == 403)
            #expect(try await Self.call("\(console)/api/events/\(dead)/redrive", method: .POST, headers: viewer).status == 403)

            let paused = try await Self.call("\(console)/api/targets/omnichannel/pause", method: .POST, headers: operatorAuth)
            #expect(paused.json?["changed"] == .bool(true) && paused.json?["paused"] == .bool(true))
            #expect(hookline.running.store.paused["omnichannel"]?.by == "console:on-call")
            let targets = try await Self.call("\(console)/api/targets", headers: viewer)
            let omni = targets.json?["targets"]?.arrayValue?.first { $0["name"]?.stringValue == "omnichannel" }
            #expect(omni?["success_rate_day"]?.stringValue == nil && omni?["success_rate_day"] == .number("0.00"), "one job, dead: \(targets.body)")
            #expect(omni?["jobs_ended_day"] == .number("1") && omni?["waiting"] == .number("0"))
            #expect(
                targets.json?["targets"]?.arrayValue?.first { $0["name"]?.stringValue == "omnichannel" }?["paused_by"]?.stringValue == "console:on-call")
            _ = try await Self.call("\(console)/api/targets/omnichannel/resume", method: .POST, headers: operatorAuth)

            let redrive = try await Self.call("\(console)/api/events/\(dead)/redrive", method: .POST, headers: operatorAuth)
            #expect(redrive.json?["redriven"]?.arrayValue == ["omnichannel"], "\(redrive.body)")
            let records = try await hookline.settled()
            #expect(AuditInvariant.outcomes(of: dead, in: records) == ["omnichannel": .applied])
            let actions = records.filter { [.paused, .resumed, .redriven].contains($0.outcome) }.map { "\($0.outcome.rawValue) by \($0.by ?? "")" }
            #expect(actions == ["paused by console:on-call", "resumed by console:on-call", "redriven by console:on-call"])
        }
    }

    @Test("redrive by filter: counted first, then run in the background with its progress; the events are applied and the lines name who asked")
    func redriveByFilter() async throws {
        try await Self.withConsole { hookline, console, sandbox in
            sandbox.inject(.status(500, on: "/omnichannel/contacts/c_0d91e4", count: 2))
            sandbox.inject(.status(500, on: "/omnichannel/contacts/c_7f3a21", count: 2))
            let first = try #require(try await hookline.deliver(Self.update("c_0d91e4", "Ezekiel"), to: "standard").eventID)
            let second = try #require(try await hookline.deliver(Self.update("c_7f3a21", "Rosalind"), to: "standard").eventID)
            _ = try await hookline.deliver(Self.update("48213", "Fine"), to: "standard")
            _ = try await hookline.settled()
            let operatorAuth = [("authorization", "Bearer \(Self.operatorToken)")]
            #expect(try await Self.call("\(console)/api/redrive?outcome=dead", headers: [("authorization", "Bearer \(Self.viewerToken)")]).status == 403)
            let count = try await Self.call("\(console)/api/redrive?outcome=dead", headers: operatorAuth)
            #expect(count.json?["events"] == .number("2") && count.json?["targets"] == .number("2"), "\(count.body)")
            let one = try await Self.call("\(console)/api/redrive?outcome=dead&contact=c_7f3a21", headers: operatorAuth)
            #expect(one.json?["events"] == .number("1"))
            #expect(try await Self.call("\(console)/api/redrive?outcome=applied", headers: operatorAuth).status == 400)

            let started = try await Self.call("\(console)/api/redrive?outcome=dead", method: .POST, headers: operatorAuth)
            #expect(started.status == 202)
            let id = try #require(started.json?["id"]?.stringValue)
            try await eventually(timeout: .seconds(10), "the redrive to finish") {
                try await Self.call("\(console)/api/redrive/\(id)", headers: operatorAuth).json?["finished"] == .bool(true)
            }
            let progress = try await Self.call("\(console)/api/redrive/\(id)", headers: operatorAuth)
            #expect(progress.json?["done"] == .number("2") && progress.json?["targets"] == .number("2"))
            let records = try await hookline.settled()
            #expect(AuditInvariant.outcomes(of: first, in: records) == ["omnichannel": .applied])
            #expect(AuditInvariant.outcomes(of: second, in: records) == ["omnichannel": .applied])
            #expect(records.filter { $0.outcome == .redriven }.map { $0.by ?? "" } == ["console:on-call", "console:on-call"])
            #expect(try await Self.call("\(console)/api/redrive?outcome=dead", headers: operatorAuth).json?["events"] == .number("0"))
        }
    }

    @Test("a browser signs in for an HttpOnly, SameSite=Strict cookie; its POSTs need the console's Origin and the form token")
    func browserSession() async throws {
        try await Self.withConsole { hookline, console, _ in
            let host = String(console.dropFirst("http://".count))
            let refused = try await Self.call("\(console)/login", method: .POST, headers: [("origin", "http://evil.example")], form: [("token", Self.operatorToken)])
            #expect(refused.status == 403)
            let wrong = try await Self.call("\(console)/login", method: .POST, headers: [("origin", console)], form: [("token", "hlc_wrong")])
            #expect(wrong.status == 401 && wrong.body.contains("not one of this console"))
            let login = try await Self.call("\(console)/login", method: .POST, headers: [("origin", console)], form: [("token", Self.operatorToken)])
            #expect(login.status == 303)
            let cookie = try #require(login.headers.first(name: "set-cookie"))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let session = try #require(cookie.split(separator: ";").first.map(String.init))

            let page = try await Self.call("\(console)/targets", headers: [("cookie", session)])
            #expect(page.status == 200 && page.body.contains("omnichannel"))
            let formToken = try #require(page.body.range(of: #"name="form_token" value=""#).map { range in
                String(page.body[range.upperBound...].prefix { $0 != "\"" })
            })
            // Without the form token, or from another origin: refused, nothing paused.
            let noToken = try await Self.call("\(console)/targets/omnichannel/pause", method: .POST, headers: [("cookie", session), ("origin", console)], form: [])
            #expect(noToken.status == 403)
            let crossSite = try await Self.call(
                "\(console)/targets/omnichannel/pause", method: .POST, headers: [("cookie", session), ("origin", "http://evil.example")],
                form: [("form_token", formToken)])
            #expect(crossSite.status == 403)
            #expect(hookline.running.store.paused.isEmpty)
            let paused = try await Self.call(
                "\(console)/targets/omnichannel/pause", method: .POST, headers: [("cookie", session), ("origin", "http://\(host)")],
                form: [("form_token", formToken)])
            #expect(paused.status == 303 && paused.headers.first(name: "location") == "/targets")
            #expect(hookline.running.store.paused["omnichannel"]?.by == "console:on-call")

            let events = try await Self.call("\(console)/events?source=standard", headers: [("cookie", session)])
            #expect(events.status == 200 && events.body.contains("value=\"standard\""), "the filter stays in the page")
            let logout = try await Self.call("\(console)/logout", method: .POST, headers: [("cookie", session), ("origin", console)], form: [("form_token", formToken)])
            #expect(logout.status == 303)
            #expect(try await Self.call("\(console)/targets", headers: [("cookie", session)]).status == 303, "signed out")
        }
    }
}

extension String {
    fileprivate var addingPercentEncodingForForm: String {
        var out = ""
        for byte in utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }
        }
        return out
    }

    fileprivate var leftPadded: String { count < 2 ? "0" + self : self }
}
