import COpenSSL

/// SHA-256 with the system OpenSSL: console tokens are kept as their digest.
package enum SHA256Digest {
    package static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let done = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBytes { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, EVP_sha256(), nil)
            }
        }
        // EVP_Digest of SHA-256 fails only when OpenSSL cannot allocate; a zero digest then
        // matches no configured hash (they are checked to be 32 bytes of hex, never all zeros).
        return done == 1 && length == 32 ? digest : [UInt8](repeating: 0, count: 32)
    }

    package static func hex(_ text: String) -> String { Hex.encode(hash(Array(text.utf8))) }
}
