/// A message id as the dedup window knows it: the source it arrived on and the sender's id.
/// Two strings the delivery already holds, so claiming a message id allocates nothing (the
/// joined `source\u{1F}id` string it replaced was one allocation per delivery, and 64 bytes per
/// id kept in the window).
package struct MessageKey: Hashable, Sendable, CustomStringConvertible {
    package var source: String
    package var messageID: String

    package init(source: String, messageID: String) {
        self.source = source
        self.messageID = messageID
    }

    package var description: String { "\(source)/\(messageID)" }
}
