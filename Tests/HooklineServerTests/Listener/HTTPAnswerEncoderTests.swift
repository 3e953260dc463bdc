import HooklineServer
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@Suite("HTTP answer encoder")
struct HTTPAnswerEncoderTests {
    func head(_ status: HTTPResponseStatus, _ headers: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPServerResponsePart {
        .head(HTTPResponseHead(version: version, status: status, headers: HTTPHeaders(headers)))
    }

    func body(_ text: String) -> HTTPServerResponsePart { .body(.byteBuffer(ByteBuffer(string: text))) }

    /// Writes a head or body part without waiting: its promise completes with the answer's end.
    func put(_ part: HTTPServerResponsePart, on channel: EmbeddedChannel) {
        channel.pipeline.syncOperations.write(NIOAny(part), promise: nil)
    }

    /// Everything written so far, as text.
    func written(_ channel: EmbeddedChannel) throws -> [String] {
        var answers: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { answers.append(String(buffer: buffer)) }
        return answers
    }

    @Test("an answer goes out as one buffer: status line, headers, blank line, body — again and again on one connection")
    func answers() throws {
        let channel = EmbeddedChannel(handler: HTTPAnswerEncoder())
        for index in 0..<3 {
            let text = #"{"status":"accepted","id":"evt_\#(index)"}"# + "\n"
            put(head(.accepted, [("Content-Type", "application/json"), ("Content-Length", "\(text.utf8.count)")]), on: channel)
            put(body(text), on: channel)
            #expect(try written(channel).isEmpty, "nothing goes out before the end")
            try channel.writeOutbound(HTTPServerResponsePart.end(nil))
            #expect(try written(channel) == ["HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)"])
        }
        put(head(.ok, [("Content-Length", "0"), ("Connection", "close")], version: .http1_0), on: channel)
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try written(channel) == ["HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"])
        _ = try channel.finish()
    }

    @Test("100 Continue goes out at once, and the answer after it is whole")
    func informational() throws {
        let channel = EmbeddedChannel(handler: HTTPAnswerEncoder())
        try channel.writeOutbound(head(.continue, []))
        #expect(try written(channel) == ["HTTP/1.1 100 Continue\r\n\r\n"])
        put(head(.notFound, [("Content-Length", "2")]), on: channel)
        put(body("{}"), on: channel)
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(try written(channel) == ["HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}"])
        _ = try channel.finish()
    }

    @Test("a header that would break the framing, a body without a head and trailers are refused, not sent")
    func refusals() throws {
        let channel = EmbeddedChannel(handler: HTTPAnswerEncoder())
        #expect(throws: HTTPAnswerEncoder.Unsupported.self) {
            try channel.writeOutbound(head(.ok, [("X-Injected", "a\r\nSet-Cookie: b")]))
        }
        #expect(throws: HTTPAnswerEncoder.Unsupported.self) { try channel.writeOutbound(body("{}")) }
        put(head(.ok, [("Content-Length", "0")]), on: channel)
        #expect(throws: HTTPAnswerEncoder.Unsupported.self) {
            try channel.writeOutbound(HTTPServerResponsePart.end(HTTPHeaders([("x", "y")])))
        }
        #expect(try written(channel).isEmpty)
        _ = try channel.finish()
    }
}
