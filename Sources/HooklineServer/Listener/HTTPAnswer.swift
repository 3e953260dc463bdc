import HooklineCore

/// A response Hookline sends: a status and a small JSON object (or text), plus extra headers.
package struct HTTPAnswer: Sendable, Hashable {
    /// What the response carries.
    package enum Body: Sendable, Hashable {
        case json(JSONValue)
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
    package var errorMessage: String? {
        if case .json(let value) = body { return value["error"]?.stringValue }
        return nil
    }

    /// The JSON body, if it is one.
    package var json: JSONValue? {
        if case .json(let value) = body { return value }
        return nil
    }

    /// The bytes sent and their content type.
    var encoded: (bytes: [UInt8], contentType: String) {
        switch body {
        case .json(let value):
            var bytes = JSONWriter.bytes(value)
            bytes.append(UInt8(ascii: "\n"))
            return (bytes, "application/json")
        case .text(let text, let contentType):
            return (Array(text.utf8), contentType)
        }
    }

    /// `{"status": …}` plus members.
    package static func status(_ code: Int, _ status: String, _ members: [(String, JSONValue)] = []) -> HTTPAnswer {
        HTTPAnswer(status: code, body: .object(JSONObject([.init(key: "status", value: .string(status))] + members.map { .init(key: $0.0, value: $0.1) })))
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
