import HooklineCore

/// Why the journal could not keep something: the sender is answered 503 and retries.
package struct JournalFailure: Error, Sendable, Hashable, CustomStringConvertible {
    package let description: String
    /// The store could not be reached at all (no connection, no answer in time), as opposed to
    /// refusing one statement.
    package var unreachable = false

    package init(_ description: String, unreachable: Bool = false) {
        self.description = description
        self.unreachable = unreachable
    }

    package init(_ error: FileError) { self.description = error.description }
}
