/// Why OpenSSL could not prepare a key or compute a MAC. Never carries key material.
package struct HMACError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case emptyKey
        case openSSL(String)
    }

    private let code: Code

    /// An HMAC key must have at least one byte.
    package static let emptyKey = HMACError(code: .emptyKey)

    /// An OpenSSL call failed; `step` names the call, never its arguments.
    static func openSSL(_ step: String) -> HMACError { HMACError(code: .openSSL(step)) }

    package var description: String {
        switch code {
        case .emptyKey: "an HMAC secret must not be empty"
        case .openSSL(let step): "OpenSSL failed in \(step)"
        }
    }
}
