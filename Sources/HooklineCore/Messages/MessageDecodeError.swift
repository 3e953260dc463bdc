/// Why a verified message cannot be turned into a contact event: a 400 whose text names the field.
public struct MessageDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the field at fault (`data.contact.email`), or empty for the whole body.
    public let field: String
    public let problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    /// The body was not JSON at all.
    public static func malformed(_ error: JSONParseError) -> MessageDecodeError {
        MessageDecodeError(field: "", problem: error.description)
    }

    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}
