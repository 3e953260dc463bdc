/// A contact change found in a message, before Hookline gives it an event id.
package struct ContactMessage: Sendable, Hashable {
    /// The sender's message id, used for deduplication; nil when the sender gives none.
    package var messageID: String?
    /// The sender's event name as received or inferred (`contact.update`).
    package var type: String
    package var kind: ContactEventKind
    /// The contact's id in the source system.
    package var contactID: String
    package var contact: ContactSubject

    package init(messageID: String?, type: String, kind: ContactEventKind, contactID: String, contact: ContactSubject) {
        self.messageID = messageID
        self.type = type
        self.kind = kind
        self.contactID = contactID
        self.contact = contact
    }
}

/// The result of decoding a webhook message.
package enum DecodedMessage: Sendable, Hashable {
    /// A contact event to route.
    case contact(ContactMessage)
    /// A well-formed message Hookline has nothing to do with (`project.update`); answered 200.
    case ignored(type: String, reason: String)
}
