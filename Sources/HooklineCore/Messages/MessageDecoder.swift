/// Turns one source family's webhook bodies into contact messages.
///
/// A new message family is one new file conforming to this protocol plus one case in
/// `SourceKind`.
package protocol MessageDecoder: Sendable {
    /// Decodes a parsed body. Unknown event types are `.ignored`; wrong types and missing ids throw.
    func decode(_ body: JSONNode, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage
}

extension MessageDecoder {
    /// Parses and decodes raw body bytes.
    package func decode(bytes: UnsafeRawBufferPointer, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        let decoded = try JSONTape.withParsed(bytes) { parsed throws(MessageDecodeError) -> DecodedMessage in
            let root: JSONNode
            switch parsed {
            case .success(let node): root = node
            case .failure(let error): throw .malformed(error)
            }
            if let messageID = context.messageID { try MessageLimits.check(messageID, field: "message id", what: "a message id") }
            return try decode(root, context: context)
        }
        switch decoded {
        case .contact(let message): try MessageLimits.check(message.type, field: "type", what: "an event type")
        case .ignored(let type, _): try MessageLimits.check(type, field: "type", what: "an event type")
        }
        return decoded
    }

    /// Parses and decodes a body held in an array.
    package func decode(bytes: [UInt8], context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(MessageDecodeError) in try decode(bytes: buffer, context: context) }
        }.get()
    }
}

/// Bounds on the values a message's audit lines repeat (ids, the event type).
package enum MessageLimits {
    /// The longest id or event type accepted, in UTF-8 bytes.
    package static let maximumLength = 256

    /// Throws the 400 for a value over the limit: `data.id: an id may be at most 256 bytes; this one is 3900000`.
    /// The field's path is worked out only for the error.
    static func check(_ value: String, field: @autoclosure () -> String, what: String) throws(MessageDecodeError) {
        let length = value.utf8.count
        guard length <= maximumLength else {
            throw MessageDecodeError(field: field(), problem: "\(what) may be at most \(maximumLength) bytes; this one is \(length)")
        }
    }
}
