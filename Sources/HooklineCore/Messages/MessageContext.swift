/// What the transport says about a message beyond its body.
public struct MessageContext: Sendable, Hashable {
    /// The sender's message id from a header (`webhook-id`, or a configured id header).
    public var messageID: String?
    /// The event name from a configured header, for senders that put it there (thin Buildr deliveries).
    public var eventType: String?

    public init(messageID: String? = nil, eventType: String? = nil) {
        self.messageID = messageID
        self.eventType = eventType
    }
}
