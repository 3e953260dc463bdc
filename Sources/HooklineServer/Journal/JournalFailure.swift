import HooklineCore

/// Why the journal could not keep something: the sender is answered 503 and retries.
package struct JournalFailure: Error, Sendable, Hashable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) { self.description = description }

    package init(_ error: FileError) { self.description = error.description }
}
