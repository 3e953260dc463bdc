/// What happened to a contact.
package enum ContactEventKind: String, Sendable, Hashable, CaseIterable, Codable {
    case created
    case updated
    case deleted
}

/// A contact known only by reference: the sender said "this contact changed" and Hookline
/// must fetch it (Buildr's thin deliveries).
package struct ContactReference: Sendable, Hashable {
    /// The contact's id in the source system.
    package var id: String
    /// The API URL the sender gave for it, if any.
    package var url: String?

    package init(id: String, url: String? = nil) {
        self.id = id
        self.url = url
    }
}

/// The contact an event carries: the changed fields, or a reference to fetch first.
package indirect enum ContactSubject: Sendable, Hashable {
    case patch(ContactPatch)
    case reference(ContactReference)
    /// Kept in the audit log, not in memory: a queued job re-reads its event's journaled line
    /// when a worker takes it, so a long queue costs a few hundred bytes a job, not its payload.
    case inJournal

    /// The form a queued job holds: patches stay in the journal, references (tiny) inline.
    package var queued: ContactSubject {
        if case .patch = self { return .inJournal }
        return self
    }

    /// The patch, if the message carried one.
    package var patch: ContactPatch? {
        if case .patch(let patch) = self { return patch }
        return nil
    }
}

/// One contact change, decoded from a verified webhook message.
package struct ContactEvent: Sendable, Hashable {
    /// Hookline's id for the event (`evt_…`), unique in the audit log.
    package var id: String
    /// The sender's id for the message, used to recognise redeliveries.
    package var messageID: String?
    /// The configured source it arrived on.
    package var source: String
    /// The sender's own name for the event (`contact.update`, `account.updated`, …).
    package var type: String
    package var kind: ContactEventKind
    package var receivedAt: UnixTime
    /// The contact's id in the source system: events for one contact are applied in order.
    package var contactID: String
    package var contact: ContactSubject
    /// The trace context its attempts join (`TraceCarrier` text), when tracing was on.
    package var trace: String?

    package init(
        id: String,
        messageID: String?,
        source: String,
        type: String,
        kind: ContactEventKind,
        receivedAt: UnixTime,
        contactID: String,
        contact: ContactSubject,
        trace: String? = nil
    ) {
        self.id = id
        self.messageID = messageID
        self.source = source
        self.type = type
        self.kind = kind
        self.receivedAt = receivedAt
        self.contactID = contactID
        self.contact = contact
        self.trace = trace
    }
}
