import COpenSSL

/// Comparisons whose duration does not depend on where two secrets differ.
package enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. The lengths are compared first (a MAC's length
    /// is public); the contents with OpenSSL's `CRYPTO_memcmp`.
    package static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        b.withUnsafeBytes { equals(a, $0) }
    }

    /// `equals` of two byte buffers (a MAC and a signature decoded on the stack).
    package static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0, let left = a.baseAddress, let right = b.baseAddress else { return true }
        return CRYPTO_memcmp(left, right, a.count) == 0
    }

    /// `equals` against bytes not held in an array (a MAC computed on the stack).
    package static func equals(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { left in CRYPTO_memcmp(left.baseAddress, b.baseAddress, left.count) == 0 }
    }
}
