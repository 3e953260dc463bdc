import HooklineCore
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A local-only HTTP endpoint on a Unix socket beside the audit log (`<audit.path>.sock`, mode
/// 0600) through which `hookline redrive` hands work to a running Hookline. Only users who can
/// open the socket file can reach it; nothing is exposed on the webhook port.
final class ControlServer: Sendable {
    private let channel: any Channel
    let path: String

    private init(channel: any Channel, path: String) {
        self.channel = channel
        self.path = path
    }

    /// The socket path for an audit log, or nil when it would be too long for a Unix socket.
    static func socketPath(forAuditLog auditPath: String) -> String? {
        let path = auditPath + ".sock"
        return path.utf8.count < 100 ? path : nil
    }

    static func start(path: String, redriver: Redriver, group: any EventLoopGroup) async throws -> ControlServer {
        unlink(path)
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOHTTPServerRequestAggregator(maxContentLength: 256 << 20),
                        ControlHandler(redriver: redriver),
                    ])
                }
            }
            .bind(unixDomainSocketPath: path).get()
        chmod(path, 0o600)
        return ControlServer(channel: channel, path: path)
    }

    func stop() async {
        try? await channel.close()
        unlink(path)
    }
}

/// `POST /redrive` with JSON lines of `redriven` records; answers `{"results": […]}`.
final class ControlHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let redriver: Redriver

    init(redriver: Redriver) {
        self.redriver = redriver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        guard request.head.method == .POST, request.head.uri == "/redrive" else {
            respond(404, ["error": "the control socket serves POST /redrive"], context: context)
            return
        }
        let bytes = request.body.map { Array($0.readableBytesView) } ?? []
        let records = bytes.split(separator: UInt8(ascii: "\n")).compactMap { try? AuditRecord(jsonLine: $0) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let redriver = self.redriver
        Task {
            let results = await redriver.redrive(records)
            let body: JSONValue = ["results": .array(results.map(\.json))]
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.respond(200, body, context: context)
            }
        }
    }

    private func respond(_ status: Int, _ body: JSONValue, context: ChannelHandlerContext) {
        let bytes = JSONWriter.bytes(body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(bytes.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
