import AsyncHTTPClient
import HooklineCore
import NIOCore

/// Talks to a running Hookline's control socket.
package enum ControlClient {
    /// Why the running Hookline could not be reached.
    package struct Unreachable: Error, Sendable, CustomStringConvertible {
        package let description: String
    }

    /// The running Hookline answered, and refused the request.
    package struct Refused: Error, Sendable, CustomStringConvertible {
        package let description: String
    }

    /// The control socket of the Hookline writing the audit log at `auditPath`
    /// (`ControlServer.socketPath`).
    package static func socket(forAuditLog auditPath: String) -> String { auditPath + ".sock" }

    /// Sends `records` to the Hookline listening on `socket`; its results, or `Unreachable` when
    /// no Hookline is listening there.
    package static func redrive(_ records: [AuditRecord], socket: String) async throws -> [RedriveResult] {
        var body: [UInt8] = []
        for record in records { record.appendJSONLine(to: &body) }
        return try await results(of: post(body, to: "/redrive", socket: socket))
    }

    /// Asks the Hookline on `socket` to select from its journal and redrive.
    package static func redrive(_ request: RedriveRequest, socket: String) async throws -> [RedriveResult] {
        try await results(of: post(JSONWriter.bytes(request.json), to: "/redrive/select", socket: socket))
    }

    /// Asks the Hookline on `socket` to pause (or resume) `target` in the name of `by`: whether
    /// that changed anything (false: it was paused, or not paused, already).
    package static func pause(_ target: String, by: String, resume: Bool, socket: String) async throws -> Bool {
        let body = JSONWriter.bytes(.object(["target": .string(target), "by": .string(by)]))
        return try await post(body, to: resume ? "/resume" : "/pause", socket: socket)["changed"]?.boolValue ?? false
    }

    /// Asks the Hookline on `socket` to erase a contact's personal data (`ErasureReport`).
    package static func erase(_ erasure: ContactErasure, by: String, dryRun: Bool, socket: String) async throws -> ErasureReport {
        var request: JSONObject = [
            "contact": .string(erasure.contact), "reason": .string(erasure.reason), "by": .string(by), "dry_run": .bool(dryRun),
        ]
        if let source = erasure.source { request["source"] = .string(source) }
        let answer = try await post(JSONWriter.bytes(.object(request)), to: "/erase", socket: socket)
        guard let report = ErasureReport(json: answer) else { throw Refused(description: "the running Hookline answered what is not an erase report") }
        return report
    }

    /// Asks the Hookline on `socket` to read its configuration again; its answer
    /// (`{"result", "changes" | "needs_restart" | "error"}`).
    package static func reload(by: String, socket: String) async throws -> JSONValue {
        try await post(JSONWriter.bytes(.object(["by": .string(by)])), to: "/reload", socket: socket)
    }

    private static func results(of json: JSONValue) -> [RedriveResult] {
        (json["results"]?.arrayValue ?? []).compactMap(RedriveResult.init(json:))
    }

    private static func post(_ body: [UInt8], to path: String, socket: String) async throws -> JSONValue {
        guard SystemCalls.exists(socket) else {
            throw Unreachable(description: "no control socket at \(socket)")
        }
        // A socket left by a Hookline that was killed: nobody listens, and the client would
        // keep trying to connect.
        guard SystemCalls.unixSocketListens(socket) else {
            throw Unreachable(description: "nothing listens on \(socket) (left by a Hookline that stopped without closing it)")
        }
        let encoded = socket.utf8.map { byte -> String in
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E || byte == 0x5F
            return unreserved ? String(UnicodeScalar(byte)) : "%" + Hex.encode([byte]).uppercased()
        }.joined()
        var request = HTTPClientRequest(url: "http+unix://\(encoded)\(path)")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
        } catch {
            throw Unreachable(description: "nothing answers on \(socket) (\(error))")
        }
        let answer = try await response.body.collect(upTo: 64 << 20)
        let json = try answer.withUnsafeReadableBytes { try JSONParser.parse($0) }
        guard response.status == .ok else {
            throw Refused(description: "the running Hookline refused it: \(json["error"]?.stringValue ?? "HTTP \(response.status.code)")")
        }
        return json
    }
}
