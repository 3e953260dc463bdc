/// One way senders sign webhooks: which headers, which bytes, which encoding.
///
/// A new scheme is one new file conforming to this protocol plus one line in
/// `SignatureSchemes.factories`.
package protocol SignatureScheme: Sendable {
    /// The scheme's name in configuration (`standard-webhooks`, `stripe`, …).
    var name: String { get }

    /// Turns a configured secret into an HMAC key the way this scheme's senders do
    /// (e.g. Standard Webhooks base64-decodes what follows `whsec_`).
    func key(forSecret secret: String) throws(SignatureConfigurationError) -> HMACKey

    /// Checks the request's signature over the exact `body` bytes against every key
    /// (several keys during rotation). Timestamped schemes enforce `window`.
    func verify(
        body: UnsafeRawBufferPointer,
        headers: some HeaderFields,
        keys: [HMACKey],
        window: TimestampWindow
    ) -> SignatureVerdict

    /// The headers a sender would send with `body`, signed with `key`.
    /// Schemes without an id or a timestamp ignore those arguments.
    func signatureHeaders(
        body: UnsafeRawBufferPointer,
        key: HMACKey,
        messageID: String,
        timestamp: Int64
    ) throws(HMACError) -> [HeaderField]

    /// The sender's message id carried in a header by this scheme (`webhook-id`), if it has one.
    func messageID(in headers: some HeaderFields) -> String?
}

extension SignatureScheme {
    package func messageID(in headers: some HeaderFields) -> String? { nil }
}

/// Compares candidate signatures with the MAC each key gives over `prefix + body`.
enum SignatureMatcher {
    /// The verdict for `candidates` (already decoded; undecodable ones are nil and never match).
    static func verdict(
        candidates: [[UInt8]?],
        header: String,
        prefix: [UInt8],
        body: UnsafeRawBufferPointer,
        keys: [HMACKey]
    ) -> SignatureVerdict {
        for (index, key) in keys.enumerated() {
            // Every candidate is compared, so timing does not reveal which one matched.
            let matched: Bool
            do {
                matched = try key.withAuthenticationCode(prefix: prefix, message: body) { expected in
                    var matched = false
                    for case let candidate? in candidates where ConstantTime.equals(candidate, expected) {
                        matched = true
                    }
                    return matched
                }
            } catch {
                return .rejected(.internalFailure)
            }
            if matched { return .verified(secretIndex: index) }
        }
        return .rejected(.noMatchingSignature(header, checked: candidates.count))
    }
}
