/// Why bytes are not JSON, with the byte offset where parsing stopped.
package struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Zero-based offset of the offending byte.
    package let offset: Int
    package let problem: String

    package init(offset: Int, problem: String) {
        self.offset = offset
        self.problem = problem
    }

    package var description: String { "malformed JSON at byte \(offset): \(problem)" }
}
