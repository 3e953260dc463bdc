/// What happened to a contact.
public enum ContactEventKind: String, Sendable, Hashable, CaseIterable, Codable {
    case created
    case updated
    case deleted
}

/// A contact known only by reference: the sender said "this contact changed" and Hookline
/// must fetch it (Buildr's thin deliveries).
public struct ContactReference: Sendable, Hashable {
    /// The contact's id in the source system.
    public var id: String
    /// The API URL the sender gave for it, if any.
    public var url: String?

    public init(id: String, url: String? = nil) {
        self.id = id
        self.url = url
    }
}

/// The contact an event carries: the changed fields, or a reference to fetch first.
public indirect enum ContactSubject: Sendable, Hashable {
    case patch(ContactPatch)
    case reference(ContactReference)
    /// Kept in the audit log, not in memory: a queued job re-reads its event's journaled line
    /// when a worker takes it, so a long queue costs a few hundred bytes a job, not its payload.
    case inJournal

    /// The form a queued job holds: patches stay in the journal, references (tiny) inline.
    public var queued: ContactSubject {
        if case .patch = self { return .inJournal }
        return self
    }

    /// The patch, if the message carried one.
    public var patch: ContactPatch? {
        if case .patch(let patch) = self { return patch }
        return nil
    }
}

/// One contact change, decoded from a verified webhook message.
public struct ContactEvent: Sendable, Hashable {
    /// Hookline's id for the event (`evt_…`), unique in the audit log.
    public var id: String
    /// The sender's id for the message, used to recognise redeliveries.
    public var messageID: String?
    /// The configured source it arrived on.
    public var source: String
    /// The sender's own name for the event (`contact.update`, `account.updated`, …).
    public var type: String
    public var kind: ContactEventKind
    public var receivedAt: UnixTime
    /// The contact's id in the source system: events for one contact are applied in order.
    public var contactID: String
    public var contact: ContactSubject

    public init(
        id: String,
        messageID: String?,
        source: String,
        type: String,
        kind: ContactEventKind,
        receivedAt: UnixTime,
        contactID: String,
        contact: ContactSubject
    ) {
        self.id = id
        self.messageID = messageID
        self.source = source
        self.type = type
        self.kind = kind
        self.receivedAt = receivedAt
        self.contactID = contactID
        self.contact = contact
    }
}
