import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

/// `server.trusted_proxies` and `sources[].allow` over real loopback HTTP: the test's own
/// connections come from 127.0.0.1, which each configuration trusts or not.
@Suite("who may call: trusted proxies and allow lists", .timeLimit(.minutes(2)))
struct WhoMayCallTests {
    static func yaml(trustedProxies: String, allow: String?, proxyProtocol: Bool = false) -> (String, String) -> String {
        { audit, base in
            """
            server: {host: 127.0.0.1, port: 0, trusted_proxies: \(trustedProxies), proxy_protocol: \(proxyProtocol)}
            audit: {path: "\(audit)"}
            sources:
              - name: standard
                kind: standard
                signature: {scheme: standard-webhooks, secret: "${STANDARD_WEBHOOK_SECRET}"}
                \(allow.map { "allow: \($0)" } ?? "")
            targets:
              - {name: omnichannel, kind: omnichannel, base_url: "\(base)/omnichannel", api_key: omni-key}
            routes:
              - {from: standard, to: omnichannel, contact_id: source_id}
            """
        }
    }

    static let body = Array(#"{"type":"contact.updated","data":{"id":"144","first_name":"Ada"}}"#.utf8)

    /// The `remote` of the received line of `event`.
    static func remote(of event: String?, _ hookline: TestHookline) async throws -> String? {
        try await hookline.auditRecords().first { $0.outcome == .received && $0.event == event }?.remote
    }

    @Test("X-Forwarded-For from an untrusted peer is ignored: the received line names the socket's peer")
    func spoofed() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(trustedProxies: "[10.0.0.0/8]", allow: nil)) { hookline in
                let answer = try await hookline.deliver(Self.body, to: "standard", extraHeaders: [HeaderField(name: "X-Forwarded-For", value: "203.0.113.7")])
                #expect(answer.status == 202)
                #expect(try await Self.remote(of: answer.eventID, hookline) == "127.0.0.1")
            }
        }
    }

    @Test("through two trusted proxies, the client is the right-most hop neither of them is; what the client wrote to its left does not count")
    func chain() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(trustedProxies: "[127.0.0.1, 10.0.0.0/8]", allow: nil)) { hookline in
                let answer = try await hookline.deliver(
                    Self.body, to: "standard", extraHeaders: [HeaderField(name: "X-Forwarded-For", value: "6.6.6.6, 203.0.113.7, 10.1.2.3")])
                #expect(answer.status == 202)
                #expect(try await Self.remote(of: answer.eventID, hookline) == "203.0.113.7")
            }
        }
    }

    @Test("an address outside a source's allow list is refused 403 from the head alone: no body read, no signature checked, a rejected line with the address")
    func denied() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(trustedProxies: "[]", allow: "[192.0.2.0/24, \"2001:db8::/32\"]")) { hookline in
                // Unsigned, and the body never sent: the answer comes from the head alone.
                let connection = try RawConnection(port: hookline.running.port)
                connection.send("POST /webhooks/standard HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                let (text, closed) = await connection.readUntilClosed()
                #expect(text.hasPrefix("HTTP/1.1 403"), "\(text)")
                #expect(text.contains("127.0.0.1 may not call source standard"))
                #expect(closed)
                let records = try await hookline.auditRecords()
                let rejected = try #require(records.first { $0.outcome == .rejected })
                #expect(rejected.reason == "address_not_allowed" && rejected.status == 403 && rejected.remote == "127.0.0.1")
                #expect(!records.contains { $0.reason == "no_signature" || $0.reason == "no_matching_signature" }, "the signature is never looked at")
                let metrics = try await HTTPGet.fetch("\(hookline.baseURL)/metrics").body
                #expect(metrics.contains(#"hookline_rejections_total{source="standard",reason="address_not_allowed"} 1"#), "\(metrics)")
            }
        }
    }

    @Test("an allowed address is served; behind a trusted proxy, the forwarded client is what the list is checked against")
    func allowed() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(trustedProxies: "[]", allow: "[\"::ffff:127.0.0.0/104\"]")) { hookline in
                let answer = try await hookline.deliver(Self.body, to: "standard")
                #expect(answer.status == 202, "127.0.0.1 matches the IPv4-mapped block")
            }
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(trustedProxies: "[127.0.0.1]", allow: "[203.0.113.0/24]")) { hookline in
                let inside = try await hookline.deliver(Self.body, to: "standard", extraHeaders: [HeaderField(name: "X-Forwarded-For", value: "203.0.113.7")])
                #expect(inside.status == 202)
                #expect(try await Self.remote(of: inside.eventID, hookline) == "203.0.113.7")
                let outside = try await hookline.deliver(Self.body, to: "standard", extraHeaders: [HeaderField(name: "X-Forwarded-For", value: "198.51.100.1")])
                #expect(outside.status == 403)
                #expect(outside.error == "198.51.100.1 may not call source standard")
                // The proxy itself is not a client.
                let direct = try await hookline.deliver(Self.body, to: "standard")
                #expect(direct.status == 403)
            }
        }
    }

    /// A signed delivery of `body` to the standard source, as raw HTTP/1.1 text.
    static func rawRequest(_ hookline: TestHookline, body: [UInt8] = WhoMayCallTests.body) throws -> String {
        let headers = try hookline.source("standard").verifier.signatureHeaders(for: body, messageID: MessageIDGenerator.random(), timestamp: UnixTime.now().seconds)
        let lines = headers.map { "\($0.name): \($0.value)\r\n" }.joined()
        return "POST /webhooks/standard HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\(lines)\r\n"
            + String(decoding: body, as: UTF8.self)
    }

    @Test("with server.proxy_protocol, a v1 or v2 header names the client; a connection without one, or with a malformed one, is closed unanswered")
    func proxyProtocol() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(trustedProxies: "[127.0.0.1]", allow: "[203.0.113.0/24, \"2001:db8::/32\"]", proxyProtocol: true)) { hookline in
                let v1 = try RawConnection(port: hookline.running.port)
                v1.send("PROXY TCP4 203.0.113.7 192.0.2.1 56324 443\r\n" + (try Self.rawRequest(hookline)))
                let (first, _) = await v1.readUntilClosed()
                #expect(first.hasPrefix("HTTP/1.1 202"), "\(first)")

                // Version 2, IPv6, in the same packet as the request.
                var header: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x21, 0x00, 36]
                header += [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [0x09]
                header += [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [0x01] + [0xDC, 0x04, 0x01, 0xBB]
                let v2 = try RawConnection(port: hookline.running.port)
                v2.send(bytes: header + Array(try Self.rawRequest(hookline).utf8))
                let (second, _) = await v2.readUntilClosed()
                #expect(second.hasPrefix("HTTP/1.1 202"), "\(second)")
                let remotes = try await hookline.auditRecords().filter { $0.outcome == .received }.compactMap(\.remote)
                #expect(remotes == ["203.0.113.7", "2001:db8::9"])

                // The header's client is what the allow list is checked against.
                let outside = try RawConnection(port: hookline.running.port)
                outside.send("PROXY TCP4 198.51.100.1 192.0.2.1 56324 443\r\n" + (try Self.rawRequest(hookline)))
                #expect(await outside.readUntilClosed().text.hasPrefix("HTTP/1.1 403"))

                for opening in ["PROXY TCP4 bogus\r\n", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"] {
                    let refused = try RawConnection(port: hookline.running.port)
                    refused.send(opening)
                    let (text, closed) = await refused.readUntilClosed()
                    #expect(text.isEmpty && closed, "\(opening.debugDescription) → \(text)")
                }
                #expect(try await hookline.auditRecords().filter { $0.outcome == .received }.count == 2, "nothing else got in")
            }
        }
    }
}
