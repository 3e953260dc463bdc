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
        return try decode(body, context: context)
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
