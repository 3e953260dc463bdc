/// Why a verified message cannot be turned into a contact event: a 400 whose text names the field.
package struct MessageDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the field at fault (`data.contact.email`), or empty for the whole body.
    package let field: String
    package let problem: String

    package init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    /// The body was not JSON at all.
    package static func malformed(_ error: JSONParseError) -> MessageDecodeError {
        MessageDecodeError(field: "", problem: error.description)
    }

    package var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}
