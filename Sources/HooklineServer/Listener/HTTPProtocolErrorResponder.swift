import HooklineCore
import NIOCore
import NIOHTTP1

/// Answers a request NIO's parser refused, then lets the connection close: 431 when the request
/// line and headers are over `server.max_header_bytes` (or have too many fields), 400 otherwise —
/// with a JSON `error` like every other Hookline answer.
///
/// NIO's own `HTTPServerProtocolErrorHandler` answers 400 to everything; this one takes its place
/// (after `HTTPServerPipelineHandler`, so an error answer never overtakes one in flight).
final class HTTPProtocolErrorResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxHeaderBytes: Int
    private var responseInProgress = false

    init(maxHeaderBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // The decoder closes the channel right after this returns: answer now or not at all.
        if !responseInProgress {
            let answer = Self.answer(for: parserError, maxHeaderBytes: maxHeaderBytes)
            let (bytes, contentType) = answer.encoded
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(bytes.count))
            headers.add(name: "Connection", value: "close")
            let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: answer.status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireErrorCaught(error)
    }

    static func answer(for error: HTTPParserError, maxHeaderBytes: Int) -> HTTPAnswer {
        switch error {
        case .headerOverflow:
            .error(431, "the request line and headers are larger than \(maxHeaderBytes) bytes or have too many fields", close: true)
        case .invalidContentLength:
            .error(400, "the Content-Length header is not valid", close: true)
        case .invalidChunkSize:
            .error(400, "a chunk size in the chunked body is not valid", close: true)
        case .unknown:
            .error(400, "the request cannot be parsed (a Transfer-Encoding whose last coding is not chunked, or a malformed line)", close: true)
        default:
            .error(400, "the request is not valid HTTP/1.1 (\(error))", close: true)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where (100..<200).contains(head.status.code): break  // 100 Continue comes before the answer
        case .head: responseInProgress = true
        case .body: break
        case .end: responseInProgress = false
        }
        context.write(data, promise: promise)
    }
}
