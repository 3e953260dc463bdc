import HooklineCore
import HooklineTestSupport
import Testing

/// A body that arrives in one read is handed on as that read's bytes; one in many parts is
/// gathered. Either way the signature is checked over exactly what was sent, so a 202 means
/// the bytes were put together right.
@Suite("request bodies in one part or many")
struct BodyAssemblyTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A signed Standard Webhooks update of about `size` bytes, and its signature headers.
    static func delivery(_ id: String, size: Int) throws -> (body: String, headers: String) {
        var body = #"{"type":"contact.updated","data":{"id":"c_assembly","custom_fields":{"note":""#
        body += String(repeating: "n", count: max(0, size - body.utf8.count - 4)) + #""}}}"#
        let signed = try SignatureSigner(scheme: StandardWebhooksScheme(), secret: secret)
            .headers(for: Array(body.utf8), messageID: id, timestamp: UnixTime.now().seconds)
        return (body, signed.map { "\($0.name): \($0.value)\r\n" }.joined())
    }

    @Test("a Content-Length body sent in pieces, with pauses between them, is accepted as sent")
    func contentLengthInPieces() async throws {
        try await withHookline { hookline in
            for (index, size) in [600, 20_000].enumerated() {
                let (body, headers) = try Self.delivery("msg_pieces_\(index)", size: size)
                let connection = try RawConnection(port: hookline.running.port)
                connection.send("POST /webhooks/standard HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n")
                var rest = Substring(body)
                while !rest.isEmpty {
                    let piece = rest.prefix(size / 7 + 1)
                    connection.send(String(piece))
                    rest = rest.dropFirst(piece.count)
                    // Separate reads on the server: the parts must be gathered, not replaced.
                    try await Task.sleep(for: .milliseconds(20))
                }
                let response = await connection.readResponse()
                #expect(response.hasPrefix("HTTP/1.1 202"), "\(size) bytes in pieces: \(response.prefix(120))")
            }
        }
    }

    @Test("a chunked body of several chunks is accepted as sent; one in a single read too")
    func chunkedAndWhole() async throws {
        try await withHookline { hookline in
            let (body, headers) = try Self.delivery("msg_chunked", size: 900)
            var chunks = ""
            var rest = Substring(body)
            while !rest.isEmpty {
                let piece = rest.prefix(250)
                chunks += String(piece.utf8.count, radix: 16) + "\r\n" + piece + "\r\n"
                rest = rest.dropFirst(piece.count)
            }
            let chunked = try RawConnection(port: hookline.running.port)
            chunked.send("POST /webhooks/standard HTTP/1.1\r\nHost: x\r\n\(headers)Transfer-Encoding: chunked\r\n\r\n\(chunks)0\r\n\r\n")
            #expect(await chunked.readResponse().hasPrefix("HTTP/1.1 202"))

            let (whole, wholeHeaders) = try Self.delivery("msg_whole", size: 600)
            let single = try RawConnection(port: hookline.running.port)
            single.send("POST /webhooks/standard HTTP/1.1\r\nHost: x\r\n\(wholeHeaders)Content-Length: \(whole.utf8.count)\r\n\r\n\(whole)")
            #expect(await single.readResponse().hasPrefix("HTTP/1.1 202"))
        }
    }
}
