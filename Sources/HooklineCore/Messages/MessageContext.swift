/// What the transport says about a message beyond its body.
package struct MessageContext: Sendable, Hashable {
    /// The sender's message id from a header (`webhook-id`, or a configured id header).
    package var messageID: String?
    /// The event name from a configured header, for senders that put it there (thin Buildr deliveries).
    package var eventType: String?

    package init(messageID: String? = nil, eventType: String? = nil) {
        self.messageID = messageID
        self.eventType = eventType
    }
}
