import HooklineCore
import NIOCore

/// A response Hookline sends: a status and a small JSON object (or text), plus extra headers.
package struct HTTPAnswer: Sendable, Hashable {
    /// What the response carries.
    package enum Body: Sendable, Hashable {
        case json(JSONValue)
        /// `{"status":"accepted","id":…}` (the 202, on every delivery), written straight into
        /// the response's buffer.
        case accepted(eventID: String)
        /// Text with its content type (the Prometheus exposition).
        case text(String, contentType: String)
    }

    package var status: Int
    package var body: Body
    package var headers: [HeaderField]
    /// Whether the connection must close after this answer (e.g. a 413 whose body was not read).
    package var closeConnection: Bool

    package init(status: Int, body: JSONValue, headers: [HeaderField] = [], closeConnection: Bool = false) {
        self.status = status
        self.body = .json(body)
        self.headers = headers
        self.closeConnection = closeConnection
    }

    package init(status: Int, text: String, contentType: String) {
        self.status = status
        self.body = .text(text, contentType: contentType)
        self.headers = []
        self.closeConnection = false
    }

    /// The `error` member of a JSON answer.
    package var errorMessage: String? { json?["error"]?.stringValue }

    /// The JSON body, if it is one.
    package var json: JSONValue? {
        switch body {
        case .json(let value): value
        case .accepted(let eventID): .object(JSONObject([.init(key: "status", value: "accepted"), .init(key: "id", value: .string(eventID))]))
        case .text: nil
        }
    }

    /// Writes the body into `buffer` and returns its content type.
    package func writeBody(into buffer: inout ByteBuffer) -> String {
        switch body {
        case .json(let value):
            buffer.writeBytes(JSONWriter.bytes(value))
            buffer.writeInteger(UInt8(ascii: "\n"))
        case .accepted(let eventID):
            buffer.writeStaticString(#"{"status":"accepted","id":""#)
            if eventID.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
                buffer.writeString(eventID)
            } else {
                var escaped: [UInt8] = []
                JSONWriter.writeEscaped(eventID.utf8, into: &escaped)
                buffer.writeBytes(escaped)
            }
            buffer.writeStaticString("\"}\n")
        case .text(let text, let contentType):
            buffer.writeString(text)
            return contentType
        }
        return "application/json"
    }

    /// `{"status": …}` plus members.
    package static func status(_ code: Int, _ status: String, _ members: [(String, JSONValue)] = []) -> HTTPAnswer {
        HTTPAnswer(status: code, body: .object(JSONObject([.init(key: "status", value: .string(status))] + members.map { .init(key: $0.0, value: $0.1) })))
    }

    /// `{"status":"accepted","id":…}`, written straight into the response: the same JSON as
    /// `.status(202, "accepted", [("id", …)])`, without building the value first.
    package static func accepted(eventID: String) -> HTTPAnswer {
        var answer = HTTPAnswer(status: 202, body: .null)
        answer.body = .accepted(eventID: eventID)
        return answer
    }

    /// `{"error": …}`.
    package static func error(_ code: Int, _ message: String, headers: [HeaderField] = [], close: Bool = false) -> HTTPAnswer {
        HTTPAnswer(status: code, body: ["error": .string(message)], headers: headers, closeConnection: close)
    }

    /// 503 with `Retry-After` in whole seconds.
    package static func unavailable(_ message: String, retryAfter: Duration) -> HTTPAnswer {
        let seconds = max(1, (retryAfter.wholeMilliseconds + 999) / 1000)
        return .error(503, message, headers: [HeaderField(name: "Retry-After", value: String(seconds))])
    }
}
