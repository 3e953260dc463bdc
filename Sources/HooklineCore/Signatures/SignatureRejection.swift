/// Why a webhook's signature was not accepted, worded for the sender's developer.
///
/// A rejection names the header and what was wrong with it; it never contains the expected
/// signature, a secret, or anything derived from one.
package struct SignatureRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable reason (a metrics label and the audit log's `reason`).
    package enum Reason: String, Sendable, CaseIterable {
        case missingHeader = "missing_header"
        case malformedHeader = "malformed_header"
        case timestampTooOld = "timestamp_too_old"
        case timestampTooNew = "timestamp_too_new"
        case noMatchingSignature = "no_matching_signature"
        case internalFailure = "internal_failure"
    }

    package let reason: Reason
    /// One sentence a sender's developer can act on.
    package let message: String

    package var description: String { message }

    /// A required header is absent.
    package static func missingHeader(_ name: String) -> SignatureRejection {
        SignatureRejection(reason: .missingHeader, message: "missing \(name) header")
    }

    /// A header is present but cannot be parsed; `problem` says what was expected.
    package static func malformedHeader(_ name: String, _ problem: String) -> SignatureRejection {
        SignatureRejection(reason: .malformedHeader, message: "malformed \(name) header: \(problem)")
    }

    /// The signed timestamp is older than the tolerance allows.
    package static func timestampTooOld(_ name: String, ageSeconds: Int64, toleranceSeconds: Int64) -> SignatureRejection {
        SignatureRejection(
            reason: .timestampTooOld,
            message: "\(name) is \(ageSeconds) s in the past; the tolerance is \(toleranceSeconds) s (check the sender's clock or stop replaying old requests)"
        )
    }

    /// The signed timestamp is further in the future than the tolerance allows.
    package static func timestampTooNew(_ name: String, aheadSeconds: Int64, toleranceSeconds: Int64) -> SignatureRejection {
        SignatureRejection(
            reason: .timestampTooNew,
            message: "\(name) is \(aheadSeconds) s in the future; the tolerance is \(toleranceSeconds) s (check the sender's clock)"
        )
    }

    /// Signatures were present and well-formed, but none was made with a configured secret.
    package static func noMatchingSignature(_ name: String, checked: Int) -> SignatureRejection {
        let message =
            checked == 1
            ? "the signature in \(name) does not match this request's body and the configured secret"
            : "none of the \(checked) signatures in \(name) matches this request's body and the configured secret"
        return SignatureRejection(reason: .noMatchingSignature, message: message)
    }

    /// OpenSSL failed; the request may be genuine. Answered with 500, never 401.
    package static let internalFailure = SignatureRejection(
        reason: .internalFailure,
        message: "the signature could not be checked because of an internal error"
    )
}
