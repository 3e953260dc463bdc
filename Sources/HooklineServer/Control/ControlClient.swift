import AsyncHTTPClient
import HooklineCore
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Talks to a running Hookline's control socket.
public enum ControlClient {
    /// Why the running Hookline could not be reached.
    public struct Unreachable: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Sends `records` to the Hookline listening on `socket`; its results, or `Unreachable` when
    /// no Hookline is listening there.
    public static func redrive(_ records: [AuditRecord], socket: String) async throws -> [RedriveResult] {
        guard access(socket, F_OK) == 0 else {
            throw Unreachable(description: "no control socket at \(socket)")
        }
        let encoded = socket.utf8.map { byte -> String in
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E || byte == 0x5F
            return unreserved ? String(UnicodeScalar(byte)) : "%" + Hex.encode([byte]).uppercased()
        }.joined()
        var request = HTTPClientRequest(url: "http+unix://\(encoded)/redrive")
        request.method = .POST
        var body: [UInt8] = []
        for record in records { record.appendJSONLine(to: &body) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
        } catch {
            throw Unreachable(description: "nothing answers on \(socket) (\(error))")
        }
        let answer = try await response.body.collect(upTo: 64 << 20)
        let json = try answer.withUnsafeReadableBytes { try JSONParser.parse($0) }
        return (json["results"]?.arrayValue ?? []).compactMap(RedriveResult.init(json:))
    }
}
