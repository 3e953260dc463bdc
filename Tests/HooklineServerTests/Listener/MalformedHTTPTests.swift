import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

@Suite("malformed HTTP leaves the server serving", .timeLimit(.minutes(1)))
struct MalformedHTTPTests {
    /// Whether a new client is served. A flood leaves the server's loop with a backlog to answer
    /// first, which a debug build on two busy cores takes its time over: this asks whether it is
    /// served, not how fast (Benchmarks/hostile.py times that on a release build).
    static func healthy(_ hookline: TestHookline) async throws -> Bool {
        try await HTTPGet.fetch("\(hookline.baseURL)/healthz", timeout: .seconds(30)).status == 200
    }

    @Test("a bad request line is answered 400 and the next client is served")
    func badRequestLine() async throws {
        try await withHookline() { hookline in
            let connection = try RawConnection(port: hookline.running.port)
            connection.send("THIS IS NOT HTTP\r\n\r\n")
            let (text, closed) = await connection.readUntilClosed()
            #expect(text.hasPrefix("HTTP/1.1 400"))
            #expect(closed)
            #expect(try await Self.healthy(hookline))
        }
    }

    @Test("headers larger than the limit are answered 431 and the next client is served")
    func hugeHeader() async throws {
        try await withHookline() { hookline in
            let connection = try RawConnection(port: hookline.running.port)
            connection.send("POST /webhooks/standard HTTP/1.1\r\nHost: x\r\nX-Padding: \(String(repeating: "a", count: 64 * 1024))\r\n\r\n")
            let (text, closed) = await connection.readUntilClosed()
            #expect(text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large"))
            #expect(text.contains(#"{"error":"the request line and headers are larger than 16384 bytes or have too many fields"}"#))
            #expect(closed)
            #expect(try await Self.healthy(hookline))
        }
    }

    /// Sends a request head one byte every 50 ms (the attack itself: an idle timeout never
    /// fires) for up to 5 s: whether the server cut the connection off, and after how long.
    /// Trickles a request head that never ends, 50 ms a byte; whether the server closed the
    /// connection, and when (the whole head takes 12 s, so a close before that is the deadline's).
    static func trickle(on connection: RawConnection) async -> (cutOff: Bool, elapsed: Duration) {
        let head = "POST /webhooks/standard HTTP/1.1\r\nHost: x\r\nX-Slow: \(String(repeating: "z", count: 200))"
        let (closed, elapsed) = await connection.trickle(head, every: .milliseconds(50), giveUpAfter: .seconds(10))
        return (cutOff: closed, elapsed: elapsed)
    }

    @Test("on a keep-alive connection that has served requests, a later request is held to its own deadline")
    func deadlinePerRequest() async throws {
        try await withHookline(yaml: { TestConfiguration.yaml(auditPath: $0, requestTimeout: "1s") }) { hookline in
            let connection = try RawConnection(port: hookline.running.port)
            // Whole requests for longer than the deadline: none is cut off. At least two, however
            // slowly a loaded machine answers (the deadline is per request, not per connection).
            let serving = ContinuousClock.now
            var served = 0
            while ContinuousClock.now - serving < .milliseconds(1500) || served < 2 {
                connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(await connection.readResponse().hasPrefix("HTTP/1.1 200 OK"))
                served += 1
                if ContinuousClock.now - serving > .seconds(30) { break }
            }
            #expect(served > 1 && ContinuousClock.now - serving >= .milliseconds(1500))
            // Then one trickled: closed about a second after it began, not earlier, not never.
            let (cutOff, elapsed) = await Self.trickle(on: connection)
            #expect(cutOff, "the trickling connection was closed")
            #expect(elapsed >= .seconds(1) && elapsed < .seconds(4), "closed at the 1 s deadline of its own request, after \(elapsed)")
        }
    }

    @Test("a request trickled byte by byte is cut off at the request deadline")
    func slowloris() async throws {
        try await withHookline(yaml: { TestConfiguration.yaml(auditPath: $0, requestTimeout: "1s") }) { hookline in
            let connection = try RawConnection(port: hookline.running.port)
            let (cutOff, elapsed) = await Self.trickle(on: connection)
            #expect(cutOff, "the trickling connection was closed")
            #expect(elapsed >= .seconds(1) && elapsed < .seconds(4), "closed at the 1 s request deadline, after \(elapsed)")
            #expect(try await Self.healthy(hookline))
        }
    }

    @Test("a chunked body past the limit is answered 413 and the connection closed")
    func chunkedOversize() async throws {
        try await withHookline() { hookline in
            let connection = try RawConnection(port: hookline.running.port)
            connection.send("POST /webhooks/standard HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = String(repeating: "x", count: 64 * 1024)
            for _ in 0..<5 where connection.send("10000\r\n\(chunk)\r\n") {}
            let (text, _) = await connection.readUntilClosed()
            #expect(text.hasPrefix("HTTP/1.1 413"))
            #expect(text.contains(#"{"error":"the body is larger than 262144 bytes"}"#))
            #expect(try await Self.healthy(hookline))
        }
    }

    @Test("a keep-alive connection serves several requests in a row")
    func keepAlive() async throws {
        try await withHookline() { hookline in
            let connection = try RawConnection(port: hookline.running.port)
            for _ in 0..<3 {
                connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = await connection.readResponse()
                #expect(response.hasPrefix("HTTP/1.1 200 OK"))
                #expect(response.hasSuffix(#"{"status":"ok"}"# + "\n"))
            }
        }
    }
}
