/// The message family a source speaks, resolved when the configuration loads.
///
/// A new message family is one new decoder file plus one case here.
package enum SourceKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case buildr
    case plannr
    case standard

    /// Its decoder: a concrete type per case, so decoding a body dispatches statically.
    package func decode(bytes: UnsafeRawBufferPointer, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        switch self {
        case .buildr: try BuildrMessageDecoder().decode(bytes: bytes, context: context)
        case .plannr: try PlannrMessageDecoder().decode(bytes: bytes, context: context)
        case .standard: try StandardMessageDecoder().decode(bytes: bytes, context: context)
        }
    }

    /// Decodes a body held in an array.
    package func decode(bytes: [UInt8], context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(MessageDecodeError) in try decode(bytes: buffer, context: context) }
        }.get()
    }

    /// Whether its deliveries may be thin references that a `buildr` target fetches.
    package var sendsThinReferences: Bool { self == .buildr }

    /// The names configuration accepts, for error messages.
    package static var names: [String] { allCases.map(\.rawValue) }

    package var description: String { rawValue }
}
