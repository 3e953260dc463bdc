/// The digests Hookline computes HMACs with.
package enum HMACAlgorithm: String, Sendable, CaseIterable, Codable {
    case sha1
    case sha256
    case sha512

    /// Bytes in one MAC.
    package var outputSize: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        case .sha512: 64
        }
    }

    /// The digest's name as OpenSSL's `EVP_MAC` parameter expects it.
    var openSSLName: String {
        switch self {
        case .sha1: "SHA1"
        case .sha256: "SHA256"
        case .sha512: "SHA512"
        }
    }
}
