/// The outcome of checking one request's signature.
package enum SignatureVerdict: Sendable, Hashable {
    /// A signature matched; `secretIndex` says which configured secret (useful during rotation).
    case verified(secretIndex: Int)
    /// No signature could be accepted.
    case rejected(SignatureRejection)
}
