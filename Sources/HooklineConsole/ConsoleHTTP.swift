import HooklineCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request to the console, read whole (bodies are small forms and JSON).
struct ConsoleRequest: Sendable {
    var method: String
    var path: String
    var query: [(String, String)]
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }

    /// A cookie's value.
    func cookie(_ name: String) -> String? {
        for part in (header("cookie") ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingWhitespace() == name { return String(pair[1].trimmingWhitespace()) }
        }
        return nil
    }

    /// A form's fields (`application/x-www-form-urlencoded`).
    var form: [(String, String)] { FormEncoding.decode(String(decoding: body, as: UTF8.self)) }

    /// Whether the caller wants JSON (the API) rather than a page.
    var isAPI: Bool { path.hasPrefix("/api/") }
}

/// What the console answers.
struct ConsoleResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    static func html(_ status: Int, _ text: String, headers: [(String, String)] = []) -> ConsoleResponse {
        ConsoleResponse(status: status, headers: [("content-type", "text/html; charset=utf-8")] + headers, body: Array(text.utf8))
    }

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> ConsoleResponse {
        ConsoleResponse(status: status, headers: [("content-type", "application/json")] + headers, body: Array(JSONWriter.string(value).utf8))
    }

    /// 303 to `location` (a form posted, or a page that needs a login).
    static func redirect(_ location: String, headers: [(String, String)] = []) -> ConsoleResponse {
        ConsoleResponse(status: 303, headers: [("location", location)] + headers, body: [])
    }
}

/// `application/x-www-form-urlencoded` and URL query strings.
enum FormEncoding {
    static func decode(_ text: some StringProtocol) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = unescape(parts[0]) else { return nil }
            return (key, parts.count > 1 ? unescape(parts[1]) ?? "" : "")
        }
    }

    static func unescape(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else {
                    return nil
                }
                bytes.append(value)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    static func query(_ items: [(String, String)]) -> String {
        items.isEmpty ? "" : "?" + items.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

/// The console's listener: HTTP/1.1, whole requests of at most 64 KiB, each answered by `app`.
final class ConsoleHTTPHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    let app: ConsoleApp

    init(app: ConsoleApp) { self.app = app }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let full = unwrapInboundIn(data)
        let uri = full.head.uri
        let question = uri.firstIndex(of: "?")
        let request = ConsoleRequest(
            method: full.head.method.rawValue, path: String(uri[..<(question ?? uri.endIndex)]),
            query: question.map { FormEncoding.decode(uri[uri.index(after: $0)...]) } ?? [],
            headers: full.head.headers.map { ($0.name, $0.value) }, body: full.body.map { Array($0.readableBytesView) } ?? [])
        let keepAlive = full.head.isKeepAlive
        let promise = context.eventLoop.makePromise(of: ConsoleResponse.self)
        let app = self.app
        promise.completeWithTask { await app.handle(request) }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { response in
            let context = bound.value
            var head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status))
            for (name, value) in response.headers + ConsoleApp.securityHeaders { head.headers.add(name: name, value: value) }
            head.headers.add(name: "content-length", value: String(response.body.count))
            if !keepAlive { head.headers.add(name: "connection", value: "close") }
            context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
            let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
            if !keepAlive { done.whenComplete { _ in bound.value.close(promise: nil) } }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Binds the console's listener.
enum ConsoleListener {
    static func bind(host: String, port: Int, app: ConsoleApp, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(NIOHTTPServerRequestAggregator(maxContentLength: 64 * 1024))
                    try channel.pipeline.syncOperations.addHandler(ConsoleHTTPHandler(app: app))
                }
            }
            .bind(host: host, port: port).get()
    }
}
