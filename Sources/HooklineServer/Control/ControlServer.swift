import HooklineCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

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

    static func start(path: String, redriver: Redriver, group: any EventLoopGroup, logger: Logger) async throws -> ControlServer {
        // A socket left by a Hookline that died; the audit log's lock says none is running now.
        try SystemCalls.unlink(path)
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOHTTPServerRequestAggregator(maxContentLength: 256 << 20),
                        ControlHandler(redriver: redriver, logger: logger),
                    ])
                }
            }
            .bind(unixDomainSocketPath: path).get()
        try SystemCalls.setPermissions(path, 0o600)
        return ControlServer(channel: channel, path: path)
    }

    func stop(logger: Logger) async {
        do {
            try await channel.close()
            try SystemCalls.unlink(path)
        } catch {
            logger.warning("could not close the control socket", metadata: ["path": .string(path), "error": "\(error)"])
        }
    }
}

/// `POST /redrive` with JSON lines of `redriven` records, or `POST /redrive/select` with
/// `{"outcomes", "event", "since"}` for the journal to select them; answers `{"results": […]}`.
final class ControlHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let redriver: Redriver
    private let logger: Logger

    init(redriver: Redriver, logger: Logger) {
        self.redriver = redriver
        self.logger = logger
    }

    private enum Work: Sendable {
        case records([AuditRecord])
        case select(RedriveRequest)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        let bytes = request.body.map { Array($0.readableBytesView) } ?? []
        let work: Work
        switch (request.head.method, request.head.uri) {
        case (.POST, "/redrive"):
            var records: [AuditRecord] = []
            for (index, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
                do {
                    records.append(try AuditRecord(jsonLine: line))
                } catch {
                    respond(400, ["error": .string("line \(index + 1) is not an audit line: \(error)")], context: context)
                    return
                }
            }
            work = .records(records)
        case (.POST, "/redrive/select"):
            do {
                work = .select(try RedriveRequest(json: try JSONParser.parse(bytes)))
            } catch {
                respond(400, ["error": .string("not a redrive selection: \(error)")], context: context)
                return
            }
        default:
            respond(404, ["error": "the control socket serves POST /redrive and POST /redrive/select"], context: context)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let (redriver, logger) = (redriver, logger)
        // A loose task on purpose: a channel handler cannot await, and the redrive's answer goes
        // back through the loop-bound context; the connection closing does not stop a redrive.
        Task {
            let answer: (Int, JSONValue)
            do {
                let results: [RedriveResult]
                switch work {
                case .records(let records): results = await redriver.redrive(records)
                case .select(let request): results = try await redriver.redrive(request)
                }
                answer = (200, ["results": .array(results.map(\.json))])
            } catch {
                logger.error("a redrive could not read the journal", metadata: ["error": "\(error)"])
                answer = (503, ["error": .string("\(error)")])
            }
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.respond(answer.0, answer.1, context: context)
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
