import NIOCore
import NIOHTTP1

/// Writes Hookline's answers to the wire: each answer's status line, headers and body go out as
/// one buffer, which is kept and reused for the next answer once the socket has taken it. This
/// replaces NIO's `HTTPResponseEncoder`, which takes a new buffer for every head and copies the
/// head's headers to drop a `transfer-encoding` Hookline never sends (three allocations per
/// answer). Requests are still parsed by NIO's `HTTPRequestDecoder`.
///
/// What it writes is what `WebhookHTTPHandler` sends: a head with `Content-Length`, an optional
/// body, then the end (no trailers, no chunked bodies); a 1xx head (`100 Continue`) goes out at
/// once. Anything else is refused with `HTTPAnswerEncoder.Unsupported` rather than sent wrong.
package final class HTTPAnswerEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = ByteBuffer

    package struct Unsupported: Error, CustomStringConvertible {
        package let description: String
    }

    package init() {}

    /// The buffer answers are put together in; nil until the first head.
    private var pending: ByteBuffer?
    /// Whether a head was written and its end has not been.
    private var open = false
    /// Promises of the head and body parts, completed with the answer's one write.
    private var partPromises: [EventLoopPromise<Void>] = []

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            var buffer = pending ?? context.channel.allocator.buffer(capacity: 512)
            pending = nil
            // Unique again once the socket has written the last answer: cleared in place.
            buffer.clear()
            guard Self.writeHead(head, into: &buffer) else {
                promise?.fail(Unsupported(description: "a response header holds CR, LF or NUL"))
                return
            }
            pending = buffer
            if head.status.code < 200 {
                context.write(wrapOutboundOut(buffer), promise: promise)
                return
            }
            open = true
            if let promise { partPromises.append(promise) }
        case .body(.byteBuffer(var body)):
            guard open else {
                promise?.fail(Unsupported(description: "a response body without its head"))
                return
            }
            pending?.writeBuffer(&body)
            if let promise { partPromises.append(promise) }
        case .body(.fileRegion):
            promise?.fail(Unsupported(description: "file regions are not sent by Hookline"))
        case .end(let trailers):
            guard trailers == nil, open, let buffer = pending else {
                promise?.fail(Unsupported(description: trailers == nil ? "a response end without its head" : "trailers are not sent by Hookline"))
                return
            }
            open = false
            let all = Self.combine(promise, partPromises, on: context.eventLoop)
            partPromises.removeAll(keepingCapacity: true)
            context.write(wrapOutboundOut(buffer), promise: all)
        }
    }

    /// One promise for the write that completes `promise` and every part's promise.
    private static func combine(
        _ promise: EventLoopPromise<Void>?, _ parts: [EventLoopPromise<Void>], on eventLoop: any EventLoop
    ) -> EventLoopPromise<Void>? {
        guard !parts.isEmpty else { return promise }
        let all = promise ?? eventLoop.makePromise()
        for part in parts { all.futureResult.cascade(to: part) }
        return all
    }

    /// `HTTP/1.1 202 Accepted\r\n`, the headers, and the blank line. False if a header would
    /// break the framing.
    static func writeHead(_ head: HTTPResponseHead, into buffer: inout ByteBuffer) -> Bool {
        buffer.writeStaticString("HTTP/")
        buffer.writeString(String(head.version.major))
        buffer.writeStaticString(".")
        buffer.writeString(String(head.version.minor))
        buffer.writeStaticString(" ")
        buffer.writeString(String(head.status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(head.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in head.headers {
            guard isFieldSafe(name), isFieldSafe(value) else { return false }
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        return true
    }

    private static func isFieldSafe(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }
}
