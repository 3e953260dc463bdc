/// Turns one source family's webhook bodies into contact messages.
///
/// A new message family is one new file conforming to this protocol plus one line in
/// `MessageDecoders.all`.
public protocol MessageDecoder: Sendable {
    /// The source `kind` in configuration (`buildr`, `plannr`, `standard`).
    var kind: String { get }

    /// Decodes a parsed body. Unknown event types are `.ignored`; wrong types and missing ids throw.
    func decode(_ body: JSONValue, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage
}

extension MessageDecoder {
    /// Parses and decodes raw body bytes.
    public func decode(bytes: UnsafeRawBufferPointer, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        let body: JSONValue
        do {
            body = try JSONParser.parse(bytes)
        } catch {
            throw .malformed(error)
        }
        if let messageID = context.messageID { try MessageLimits.check(messageID, field: "message id", what: "a message id") }
        let decoded = try decode(body, context: context)
        switch decoded {
        case .contact(let message): try MessageLimits.check(message.type, field: "type", what: "an event type")
        case .ignored(let type, _): try MessageLimits.check(type, field: "type", what: "an event type")
        }
        return decoded
    }

    /// Parses and decodes a body held in an array.
    public func decode(bytes: [UInt8], context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(MessageDecodeError) in try decode(bytes: buffer, context: context) }
        }.get()
    }
}

/// The registry of message decoders by source kind.
public enum MessageDecoders {
    // One line per message family.
    public static let all: [any MessageDecoder] = [
        BuildrMessageDecoder(),
        PlannrMessageDecoder(),
        StandardMessageDecoder(),
    ]

    public static var kinds: [String] { all.map(\.kind) }

    public static func decoder(forKind kind: String) -> (any MessageDecoder)? {
        all.first { $0.kind == kind }
    }
}

/// Bounds on the values a message's audit lines repeat (ids, the event type).
public enum MessageLimits {
    /// The longest id or event type accepted, in UTF-8 bytes.
    public static let maximumLength = 256

    /// Throws the 400 for a value over the limit: `data.id: an id may be at most 256 bytes; this one is 3900000`.
    static func check(_ value: String, field: String, what: String) throws(MessageDecodeError) {
        let length = value.utf8.count
        guard length <= maximumLength else {
            throw MessageDecodeError(field: field, problem: "\(what) may be at most \(maximumLength) bytes; this one is \(length)")
        }
    }
}
