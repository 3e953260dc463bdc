import HooklineCore

/// A response Hookline sends: a status and a small JSON object (or text), plus extra headers.
package struct HTTPAnswer: Sendable, Hashable {
    /// What the response carries.
    package enum Body: Sendable, Hashable {
        case json(JSONValue)
        /// A JSON object already written, newline included (the 202, on every delivery).
        case encodedJSON([UInt8])
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
        case .encodedJSON(let bytes): try? JSONParser.parse(bytes)
        case .text: nil
        }
    }

    /// The bytes sent and their content type.
    var encoded: (bytes: [UInt8], contentType: String) {
        switch body {
        case .json(let value):
            var bytes = JSONWriter.bytes(value)
            bytes.append(UInt8(ascii: "\n"))
            return (bytes, "application/json")
        case .encodedJSON(let bytes):
            return (bytes, "application/json")
        case .text(let text, let contentType):
            return (Array(text.utf8), contentType)
        }
    }

    /// `{"status": …}` plus members.
    package static func status(_ code: Int, _ status: String, _ members: [(String, JSONValue)] = []) -> HTTPAnswer {
        HTTPAnswer(status: code, body: .object(JSONObject([.init(key: "status", value: .string(status))] + members.map { .init(key: $0.0, value: $0.1) })))
    }

    /// `{"status":"accepted","id":…}`, written straight into its bytes: the same JSON as
    /// `.status(202, "accepted", [("id", …)])`, without building the value first.
    package static func accepted(eventID: String) -> HTTPAnswer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36 + eventID.utf8.count)
        bytes.append(contentsOf: #"{"status":"accepted","id":""#.utf8)
        JSONWriter.writeEscaped(eventID.utf8, into: &bytes)
        bytes.append(contentsOf: "\"}\n".utf8)
        var answer = HTTPAnswer(status: 202, body: .null)
        answer.body = .encodedJSON(bytes)
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
