import HooklineCore

/// A request the sandbox received, kept so tests can assert what reached each API and when.
public struct SandboxRequest: Sendable, Hashable {
    public var method: String
    public var path: String
    public var headers: [HeaderField]
    public var body: [UInt8]
    public var receivedAt: ContinuousClock.Instant
    /// The status the sandbox answered (nil for a dropped connection).
    public var status: Int?

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var json: JSONValue? { try? JSONParser.parse(body) }

    /// `PATCH /buildr/api/2023-01/contacts/144`.
    public var summary: String { "\(method) \(path)" }
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
