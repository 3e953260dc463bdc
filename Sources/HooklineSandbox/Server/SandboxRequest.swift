import HooklineCore

/// A request the sandbox received, kept so tests can assert what reached each API and when.
package struct SandboxRequest: Sendable, Hashable {
    package var method: String
    package var path: String
    package var headers: [HeaderField]
    package var body: [UInt8]
    package var receivedAt: ContinuousClock.Instant
    /// The status the sandbox answered (nil for a dropped connection).
    package var status: Int?

    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    package var json: JSONValue? { try? JSONParser.parse(body) }

    /// `PATCH /buildr/api/2023-01/contacts/144`.
    package var summary: String { "\(method) \(path)" }
}

/// What the sandbox answers.
struct SandboxResponse: Sendable {
    var status: Int
    var headers: [HeaderField] = []
    var body: JSONValue?

    static func json(_ status: Int, _ body: JSONValue, headers: [HeaderField] = []) -> SandboxResponse {
        SandboxResponse(status: status, headers: headers, body: body)
    }
}
