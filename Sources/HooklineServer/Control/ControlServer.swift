import HooklineCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A local-only HTTP endpoint on a Unix socket beside the audit log (`<audit.path>.sock`, mode
/// 0600) through which `hookline redrive` hands work to a running Hookline. Only users who can
/// open the socket file can reach it; nothing is exposed on the webhook port.
///
/// The socket's handlers only parse: each redrive goes into `calls`, which `ControlService`
/// serves one at a time, so a redrive is part of the runtime's structured work and is finished
/// (not abandoned) when Hookline stops.
final class ControlServer: Sendable {
    /// A redrive asked for, and how to answer it (on the asking connection's loop).
    struct Call: Sendable {
        enum Work: Sendable {
            case records([AuditRecord])
            case select(RedriveRequest)
            /// Pause (or resume) a target, in the name of `by`.
            case pause(target: String, by: String, resume: Bool)
            /// Erase a contact's personal data (`hookline erase`).
            case erase(ContactErasure, by: String, dryRun: Bool)
            /// Read the configuration again (`hookline reload`).
            case reload(by: String)
        }

        let work: ControlServer.Call.Work
        let answer: @Sendable (_ status: Int, _ body: JSONValue) -> Void
    }

    private let channel: any Channel
    let path: String
    let calls: AsyncStream<Call>
    private let submitted: AsyncStream<Call>.Continuation

    private init(channel: any Channel, path: String, calls: (AsyncStream<Call>, AsyncStream<Call>.Continuation)) {
        self.channel = channel
        self.path = path
        (self.calls, self.submitted) = calls
    }

    /// The socket path for an audit log, or nil when it would be too long for a Unix socket.
    static func socketPath(forAuditLog auditPath: String) -> String? {
        let path = ControlClient.socket(forAuditLog: auditPath)
        return path.utf8.count < 100 ? path : nil
    }

    static func start(path: String, group: any EventLoopGroup) async throws -> ControlServer {
        // A socket left by a Hookline that died; the audit log's lock says none is running now.
        try SystemCalls.unlink(path)
        let calls = AsyncStream.makeStream(of: Call.self)
        let submit = calls.continuation
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOHTTPServerRequestAggregator(maxContentLength: 256 << 20),
                        ControlHandler(submit: submit),
                    ])
                }
            }
            .bind(unixDomainSocketPath: path).get()
        try SystemCalls.setPermissions(path, 0o600)
        return ControlServer(channel: channel, path: path, calls: calls)
    }

    /// Serves the calls asked for, one at a time, until `stop`; those asked before it are served.
    /// A pause names one of the configured targets (`reloader`'s, as they are now).
    func serve(with redriver: Redriver, reloader: Reloader, logger: Logger) async {
        for await call in calls {
            let targets = Set(reloader.configuration.targets.map(\.name))
            do {
                switch call.work {
                case .records(let records):
                    call.answer(200, ["results": .array(await redriver.redrive(records).map(\.json))])
                case .select(let request):
                    call.answer(200, ["results": .array(try await redriver.redrive(request).map(\.json))])
                case .pause(let target, let by, let resume):
                    guard targets.contains(target) else {
                        call.answer(404, ["error": .string("no target named '\(target)' (targets: \(targets.sorted().joined(separator: ", ")))")])
                        continue
                    }
                    let store = redriver.store
                    let changed = resume ? try await store.resume(target, by: by) : try await store.pause(target, by: by)
                    if changed { logger.notice(resume ? "target resumed" : "target paused", metadata: ["target": .string(target), "by": .string(by)]) }
                    call.answer(200, ["target": .string(target), "changed": .bool(changed), "paused": .bool(store.paused[target] != nil)])
                case .erase(let erasure, let by, let dryRun):
                    let report = try await redriver.store.erase(erasure, by: by, dryRun: dryRun)
                    if !dryRun, !report.refused {
                        logger.notice(
                            "erased a contact's personal data",
                            metadata: [
                                "contact": .string(erasure.contact), "source": .string(erasure.source ?? "*"), "events": "\(report.events)",
                                "lines": "\(report.erasedLines)", "by": .string(by),
                            ])
                    }
                    call.answer(200, report.json)
                case .reload(let by):
                    let outcome = reloader.reload(trigger: "hookline reload (\(by))")
                    var answer: JSONObject = ["result": .string(outcome.result)]
                    switch outcome {
                    case .applied(let changes): answer["changes"] = .array(changes.map(JSONValue.string))
                    case .refused(let reasons): answer["needs_restart"] = .array(reasons.map(JSONValue.string))
                    case .invalid(let problem): answer["error"] = .string(problem)
                    case .unchanged: break
                    }
                    call.answer(200, .object(answer))
                }
            } catch {
                logger.error("a control request could not be carried out", metadata: ["error": "\(error)"])
                call.answer(503, ["error": .string("\(error)")])
            }
        }
    }

    /// Takes no more calls and closes the socket.
    func stop(logger: Logger) async {
        submitted.finish()
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
/// `POST /pause` and `POST /resume` with `{"target", "by"}`; answer `{"target", "changed",
/// "paused"}`. `POST /erase` with `{"contact", "source", "reason", "by", "dry_run"}`; answers
/// an `ErasureReport`.
final class ControlHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let submit: AsyncStream<ControlServer.Call>.Continuation

    init(submit: AsyncStream<ControlServer.Call>.Continuation) {
        self.submit = submit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        let bytes = request.body.map { Array($0.readableBytesView) } ?? []
        let work: ControlServer.Call.Work
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
        case (.POST, "/pause"), (.POST, "/resume"):
            guard case .success(let json) = Result(catching: { () throws(JSONParseError) in try JSONParser.parse(bytes) }),
                let target = json["target"]?.stringValue, !target.isEmpty, let by = json["by"]?.stringValue, !by.isEmpty
            else {
                respond(400, ["error": "expected {\"target\": …, \"by\": …}"], context: context)
                return
            }
            work = .pause(target: target, by: by, resume: request.head.uri == "/resume")
        case (.POST, "/erase"):
            guard case .success(let json) = Result(catching: { () throws(JSONParseError) in try JSONParser.parse(bytes) }),
                let contact = json["contact"]?.stringValue, !contact.isEmpty, let by = json["by"]?.stringValue, !by.isEmpty,
                let reason = json["reason"]?.stringValue, !reason.isEmpty
            else {
                respond(400, ["error": "expected {\"contact\": …, \"reason\": …, \"by\": …}"], context: context)
                return
            }
            let erasure = ContactErasure(contact: contact, source: json["source"]?.stringValue, reason: reason, at: .now())
            work = .erase(erasure, by: by, dryRun: json["dry_run"]?.boolValue ?? false)
        case (.POST, "/reload"):
            let json = try? JSONParser.parse(bytes)
            work = .reload(by: json?["by"]?.stringValue ?? "unknown")
        case (.POST, "/redrive/select"):
            do {
                work = .select(try RedriveRequest(json: try JSONParser.parse(bytes)))
            } catch {
                respond(400, ["error": .string("not a redrive selection: \(error)")], context: context)
                return
            }
        default:
            respond(404, ["error": "the control socket serves POST /redrive, /redrive/select, /pause, /resume, /erase and /reload"], context: context)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let call = ControlServer.Call(work: work) { status, body in
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.respond(status, body, context: context)
            }
        }
        if case .terminated = submit.yield(call) {
            respond(503, ["error": "Hookline is shutting down"], context: context)
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
