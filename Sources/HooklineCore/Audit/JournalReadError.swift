/// Why a journaled line could not be read back (the worker's re-read, rotation, recovery).
package struct JournalReadError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Code: Sendable, Hashable {
        /// The journal does not owe this event (finished, or never received here).
        case notOwed
        /// The file ended, or could not be read, where the line should be.
        case missing(String)
        /// The bytes there are not an audit line.
        case unreadable(String)
    }

    package let event: String
    package let code: Code

    package init(event: String, _ code: Code) {
        self.event = event
        self.code = code
    }

    package var description: String {
        switch code {
        case .notOwed: "event \(event) is not owed by the journal"
        case .missing(let why): "the opening line of event \(event) could not be read back: \(why)"
        case .unreadable(let why): "the opening line of event \(event) is not a readable audit line: \(why)"
        }
    }
}
