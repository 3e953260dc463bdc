import COpenSSL

/// Comparisons whose duration does not depend on where two secrets differ.
package enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. The lengths are compared first (a MAC's length
    /// is public); the contents with OpenSSL's `CRYPTO_memcmp`.
    package static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        b.withUnsafeBytes { equals(a, $0) }
    }

    /// `equals` against bytes not held in an array (a MAC computed on the stack).
    package static func equals(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { left in CRYPTO_memcmp(left.baseAddress, b.baseAddress, left.count) == 0 }
    }
}
